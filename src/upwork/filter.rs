//! A `[[search]]` in Upwork's words: the `MarketplaceJobPostingsSearchFilter` and the sort field
//! sent with `search.graphql`.
//!
//! `config` validates what a search asks for and keeps it typed ([`Criteria`], [`Sort`]); this is
//! the one place that knows the GraphQL names of those fields and enum values. Pagination is
//! added by the client, not here.

use crate::config::{Criteria, Experience, IntRange, JobType, Sort, Workload};
use serde_json::{Map, Value, json};

/// The `MarketplaceJobPostingsSearchFilter` for `criteria`, without pagination. Criteria left
/// out of the search are left out of the filter.
pub fn search_filter(criteria: &Criteria) -> Map<String, Value> {
    let mut filter = Map::new();
    for (key, text) in [
        ("searchExpression_eq", &criteria.expression),
        ("titleExpression_eq", &criteria.title),
    ] {
        if let Some(text) = text {
            filter.insert(key.into(), json!(text));
        }
    }
    if !criteria.skills.is_empty() {
        filter.insert(
            "skillExpression_eq".into(),
            json!(criteria.skills.join(",")),
        );
    }
    for (key, ids) in [
        ("categoryIds_any", &criteria.category_ids),
        ("subcategoryIds_any", &criteria.subcategory_ids),
        ("occupationIds_any", &criteria.occupation_ids),
    ] {
        if !ids.is_empty() {
            filter.insert(key.into(), json!(ids));
        }
    }
    if let Some(job_type) = criteria.job_type {
        let value = match job_type {
            JobType::Hourly => "HOURLY",
            JobType::Fixed => "FIXED",
        };
        filter.insert("jobType_eq".into(), json!(value));
    }
    if let Some(workload) = criteria.workload {
        let value = match workload {
            Workload::FullTime => "FULL_TIME",
            Workload::PartTime => "PART_TIME",
            Workload::AsNeeded => "AS_NEEDED",
            Workload::NotSure => "NOT_SURE",
        };
        filter.insert("workload_eq".into(), json!(value));
    }
    if let Some(experience) = criteria.experience {
        let value = match experience {
            Experience::EntryLevel => "ENTRY_LEVEL",
            Experience::Intermediate => "INTERMEDIATE",
            Experience::Expert => "EXPERT",
        };
        filter.insert("experienceLevel_eq".into(), json!(value));
    }
    for (key, range) in [
        ("budgetRange_eq", criteria.budget),
        ("hourlyRate_eq", criteria.hourly_rate),
        ("clientHiresRange_eq", criteria.client_hires),
        ("proposalRange_eq", criteria.proposals),
    ] {
        if let Some(range) = range {
            filter.insert(key.into(), int_range(range));
        }
    }
    if criteria.verified_payment_only {
        filter.insert("verifiedPaymentOnly_eq".into(), json!(true));
    }
    if criteria.enterprise_only {
        filter.insert("enterpriseOnly_eq".into(), json!(true));
    }
    if !criteria.locations.is_empty() {
        filter.insert("locations_any".into(), json!(criteria.locations));
    }
    filter
}

/// The `MarketplaceJobPostingSearchSortField` value for `sort`.
pub fn sort_field(sort: Sort) -> &'static str {
    match sort {
        Sort::Recency => "RECENCY",
        Sort::Relevance => "RELEVANCE",
        Sort::ClientTotalCharge => "CLIENT_TOTAL_CHARGE",
        Sort::ClientRating => "CLIENT_RATING",
    }
}

/// An `IntRange` input: the open ends are left out.
fn int_range(range: IntRange) -> Value {
    let mut value = Map::new();
    if let Some(lo) = range.min {
        value.insert("rangeStart".into(), json!(lo));
    }
    if let Some(hi) = range.max {
        value.insert("rangeEnd".into(), json!(hi));
    }
    Value::Object(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_search_sends_an_empty_filter() {
        assert!(search_filter(&Criteria::default()).is_empty());
    }

    #[test]
    fn every_criterion_has_its_graphql_field() {
        let criteria = Criteria {
            expression: Some("rust OR tokio".into()),
            title: Some("backend".into()),
            skills: vec!["python".into(), "duckdb".into()],
            category_ids: vec!["531770282580668418".into()],
            subcategory_ids: vec!["531770282589057025".into()],
            occupation_ids: vec!["1110580755107926016".into()],
            job_type: Some(JobType::Hourly),
            workload: Some(Workload::PartTime),
            experience: Some(Experience::EntryLevel),
            budget: Some(IntRange {
                min: Some(500),
                max: Some(20_000),
            }),
            hourly_rate: Some(IntRange {
                min: Some(40),
                max: None,
            }),
            client_hires: Some(IntRange {
                min: Some(1),
                max: None,
            }),
            proposals: Some(IntRange {
                min: None,
                max: Some(20),
            }),
            verified_payment_only: true,
            enterprise_only: true,
            locations: vec!["Canada".into(), "GBR".into()],
        };
        let expected = json!({
            "searchExpression_eq": "rust OR tokio",
            "titleExpression_eq": "backend",
            "skillExpression_eq": "python,duckdb",
            "categoryIds_any": ["531770282580668418"],
            "subcategoryIds_any": ["531770282589057025"],
            "occupationIds_any": ["1110580755107926016"],
            "jobType_eq": "HOURLY",
            "workload_eq": "PART_TIME",
            "experienceLevel_eq": "ENTRY_LEVEL",
            "budgetRange_eq": { "rangeStart": 500, "rangeEnd": 20000 },
            "hourlyRate_eq": { "rangeStart": 40 },
            "clientHiresRange_eq": { "rangeStart": 1 },
            "proposalRange_eq": { "rangeEnd": 20 },
            "verifiedPaymentOnly_eq": true,
            "enterpriseOnly_eq": true,
            "locations_any": ["Canada", "GBR"],
        });
        assert_eq!(Value::Object(search_filter(&criteria)), expected);
    }

    #[test]
    fn enum_values_are_upworks() {
        let value = |criteria: Criteria| Value::Object(search_filter(&criteria));
        for (job_type, wire) in [(JobType::Hourly, "HOURLY"), (JobType::Fixed, "FIXED")] {
            let filter = value(Criteria {
                job_type: Some(job_type),
                ..Criteria::default()
            });
            assert_eq!(filter["jobType_eq"], wire);
        }
        for (workload, wire) in [
            (Workload::FullTime, "FULL_TIME"),
            (Workload::PartTime, "PART_TIME"),
            (Workload::AsNeeded, "AS_NEEDED"),
            (Workload::NotSure, "NOT_SURE"),
        ] {
            let filter = value(Criteria {
                workload: Some(workload),
                ..Criteria::default()
            });
            assert_eq!(filter["workload_eq"], wire);
        }
        for (experience, wire) in [
            (Experience::EntryLevel, "ENTRY_LEVEL"),
            (Experience::Intermediate, "INTERMEDIATE"),
            (Experience::Expert, "EXPERT"),
        ] {
            let filter = value(Criteria {
                experience: Some(experience),
                ..Criteria::default()
            });
            assert_eq!(filter["experienceLevel_eq"], wire);
        }
        assert_eq!(sort_field(Sort::Recency), "RECENCY");
        assert_eq!(sort_field(Sort::Relevance), "RELEVANCE");
        assert_eq!(sort_field(Sort::ClientTotalCharge), "CLIENT_TOTAL_CHARGE");
        assert_eq!(sort_field(Sort::ClientRating), "CLIENT_RATING");
    }

    #[test]
    fn false_flags_are_left_out() {
        let filter = search_filter(&Criteria {
            verified_payment_only: false,
            enterprise_only: false,
            ..Criteria::default()
        });
        assert!(!filter.contains_key("verifiedPaymentOnly_eq"));
        assert!(!filter.contains_key("enterpriseOnly_eq"));
    }
}
