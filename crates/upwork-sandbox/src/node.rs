//! Postings rendered in Upwork's wire format, for the GraphQL layer to project onto a selection.
//!
//! [`Posting::to_node`] builds the whole `MarketplaceJobPostingSearchResult` object of a search
//! edge and [`Posting::to_job_posting`] the `MarketplaceJobPosting` aggregate that
//! `marketplaceJobPosting(id)` returns. Both carry every field their schema type defines (those the
//! sandbox cannot know are `null`, and only nullable fields are), keyed by the schema's field
//! names, nested by the schema's types, and nothing else: a posting never carries data the real
//! API would not send. Values use the formats seen live (`upwork/API.md`, "Value formats"):
//! timestamps like `2025-10-16T06:06:47+0000`, Money with a string `rawValue`, hourly jobs with a
//! zero `amount`. Where the format is a guess (`offsetToUTC` in seconds, `relevance.publishTime` in
//! epoch milliseconds) the guess is documented here and nowhere else.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use crate::market::{ExperienceLevel, JobType, Occupation, Posting, Skill, VerificationStatus};

/// A timestamp in Upwork's live format: `2025-10-16T06:06:47+0000` (no fraction, no colon).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// A decimal as Upwork writes `Money.rawValue`: at least one decimal place (`40.0`, `12.5`).
pub fn raw_value(amount: Decimal) -> String {
    let text = amount.normalize().to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A `Money` object in US dollars.
pub fn money(amount: Decimal) -> Value {
    let raw = raw_value(amount);
    json!({ "rawValue": raw, "currency": "USD", "displayValue": raw })
}

/// The `relevanceEncoded` string of the result at `position` in a result list (0-based), as seen
/// live; [`Posting::to_node`] writes position 0 and the server may overwrite it.
pub fn relevance_encoded(position: usize) -> String {
    format!("{{\"position\":\"{position}\"}}")
}

fn money_opt(amount: Option<Decimal>) -> Value {
    amount.map_or(Value::Null, money)
}

fn id_label(id: &str, label: &str) -> Value {
    json!({ "id": id, "prefLabel": label })
}

fn engagement_duration(posting: &Posting) -> Value {
    posting.duration.map_or(Value::Null, |d| {
        let e = d.engagement_duration();
        json!({ "id": e.id, "label": e.label, "weeks": e.weeks })
    })
}

fn decimal_f64(amount: Option<Decimal>) -> Value {
    amount
        .and_then(|d| d.to_f64())
        .map_or(Value::Null, Value::from)
}

/// Inserts `null` for each name, for the nullable fields the sandbox has nothing for.
fn nulls(map: &mut Map<String, Value>, names: &[&str]) {
    for name in names {
        map.insert((*name).to_owned(), Value::Null);
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An ontology entity (`JobCategory` or `Occupation`) with the fields the sandbox knows.
fn ontology_entity(id: &str, ontology_id: &str, label: &str) -> Map<String, Value> {
    let mut map = object(json!({
        "id": id,
        "ontologyId": ontology_id,
        "type": ["OCCUPATION"],
        "entityStatus": "ACTIVE",
        "preferredLabel": label,
    }));
    nulls(
        &mut map,
        &["definition", "createdDateTime", "modifiedDateTime"],
    );
    map
}

fn occupation_entity(occupation: &Occupation) -> Value {
    let mut map = ontology_entity(occupation.id, occupation.ontology_id, occupation.label);
    map.insert("skills".to_owned(), Value::Null);
    Value::Object(map)
}

/// The ontology `Skill` object of a skill.
fn ontology_skill(skill: &Skill) -> Value {
    let mut map = object(json!({
        "id": skill.id(),
        "ontologyId": format!("upwork:{}", skill.name),
        "type": ["SKILL"],
        "entityStatus": "ACTIVE",
        "preferredLabel": skill.pretty_name,
        "allowMultipleClient": false,
        "allowMultipleFreelancer": false,
        "allowOther": false,
        "advancedClient": false,
        "client": true,
        "freelancer": true,
        "requiredClient": false,
        "requiredFreelancer": false,
        "legacySkillNid": skill.name,
        "prettyName": skill.pretty_name,
    }));
    nulls(
        &mut map,
        &[
            "createdDateTime",
            "modifiedDateTime",
            "definition",
            "altLabel",
            "narrower",
            "narrowerIds",
            "broader",
            "broaderIds",
            "dependsOn",
            "dependsOnIds",
            "splitInto",
            "splitIntoIds",
            "mergedInto",
            "mergedIntoId",
            "replacedBy",
            "replacedById",
            "scopeNote",
            "externalLink",
            "exactMatch",
            "exactMatchIds",
            "closeMatch",
            "closeMatchIds",
            "comment",
            "attributeLevel",
            "clientQuestion",
            "clientTip",
            "freelancerQuestion",
            "freelancerTip",
            "otherClientLabel",
            "otherFreelancerLabel",
            "presentationMode",
            "priority",
            "isRequiredBy",
            "isRequiredByIds",
            "legacySkillId",
        ],
    );
    Value::Object(map)
}

impl Posting {
    /// The full `MarketplaceJobPostingSearchResult` object of this posting, as a search edge's
    /// `node` carries it.
    pub fn to_node(&self) -> Value {
        let skills: Vec<Value> = self
            .skills
            .iter()
            .map(|s| {
                json!({
                    "id": null,
                    "name": s.name,
                    "prettyName": s.pretty_name,
                    "highlighted": false,
                })
            })
            .collect();
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "ciphertext": self.ciphertext(),
            "duration": self.duration.map(|d| d.as_str()),
            "durationLabel": self.duration.map(|d| d.label()),
            "engagement": self.engagement(),
            "amount": money(self.amount),
            "recordNumber": self.record_number.to_string(),
            "experienceLevel": self.experience_level.as_str(),
            "category": self.category.slug,
            "subcategory": self.subcategory.slug,
            "freelancersToHire": self.freelancers_to_hire,
            "relevance": self.relevance(),
            "enterprise": self.enterprise,
            "relevanceEncoded": relevance_encoded(0),
            "totalApplicants": self.total_applicants,
            "preferredFreelancerLocation": self.preferred_locations,
            "preferredFreelancerLocationMandatory": self.preferred_location_mandatory,
            "premium": self.premium,
            "clientNotSureFields": [],
            "clientPrivateFields": [],
            "applied": false,
            "createdDateTime": timestamp(self.created),
            "publishedDateTime": timestamp(self.published),
            "renewedDateTime": self.renewed.map(timestamp),
            "client": self.client_info(),
            "skills": skills,
            "occupations": self.occupations(),
            "hourlyBudgetType": self.hourly_budget_type.map(|t| t.as_str()),
            "hourlyBudgetMin": money_opt(self.hourly_min),
            "hourlyBudgetMax": money_opt(self.hourly_max),
            "localJobUserDistance": null,
            "weeklyBudget": money_opt(self.weekly_budget),
            "engagementDuration": engagement_duration(self),
            "totalFreelancersToHire": null,
            "teamId": null,
            "freelancerClientRelation": null,
        })
    }

    /// The `MarketplaceJobPosting` aggregate of this posting at `now` (the market's clock), as
    /// `marketplaceJobPosting(id)` returns it; a closed posting is still there, with
    /// `workFlowState.status` `CLOSED` (hired or not).
    pub fn to_job_posting(&self, now: DateTime<Utc>) -> Value {
        json!({
            "id": self.id,
            "workFlowState": {
                "closeResult": null,
                "status": if self.open { "ACTIVE" } else { "CLOSED" },
            },
            "ownership": self.ownership(),
            "annotations": null,
            "activityStat": self.activity_stat(now),
            "content": { "title": self.title, "description": self.description },
            "attachments": [],
            "classification": self.classification(),
            "segmentationData": null,
            "contractTerms": self.contract_terms(),
            "contractorSelection": self.contractor_selection(),
            "additionalSearchInfo": null,
            "clientCompany": null,
            "clientCompanyPublic": self.client_company_public(),
            "canClientReceiveContractProposal": self.open,
        })
    }

    /// `MarketplaceJobPostingSearchClientInfo`.
    fn client_info(&self) -> Value {
        let client = &self.client;
        let location = &client.location;
        json!({
            "memberSinceDateTime": null,
            "totalHires": client.total_hires,
            "totalPostedJobs": client.total_posted_jobs,
            "totalSpent": money_opt(client.total_spent),
            "verificationStatus": client.verification_status.map(VerificationStatus::as_str),
            "location": {
                "city": location.city,
                "country": location.country_text(),
                "timezone": location.timezone,
                "state": location.state,
                "offsetToUTC": location.offset_to_utc_secs.to_string(),
            },
            "totalReviews": client.total_reviews,
            "totalFeedback": client.total_feedback,
            "companyRid": client.company_rid.to_string(),
            "companyName": null,
            "edcUserId": client.edc_user_id.to_string(),
            "lastContractPlatform": null,
            "lastContractRid": null,
            "lastContractTitle": null,
            "companyOrgUid": client.company_org_uid.to_string(),
            "hasFinancialPrivacy": client.has_financial_privacy,
        })
    }

    /// `MarketplaceJobPostingSearchRelevance`.
    fn relevance(&self) -> Value {
        json!({
            "id": self.id,
            "effectiveCandidates": self.total_applicants,
            "recommendedEffectiveCandidates": self.total_applicants / 3,
            "uniqueImpressions": self.impressions,
            "publishTime": self.published.timestamp_millis().to_string(),
            "hoursInactive": 0,
        })
    }

    /// `MarketplaceJobPostingSearchOccupations`.
    fn occupations(&self) -> Value {
        json!({
            "category": id_label(self.category.id, self.category.label),
            "subCategories": [id_label(self.subcategory.id, self.subcategory.label)],
            "occupationService": id_label(self.occupation.id, self.occupation.label),
        })
    }

    /// `MarketplacePostingOwnership`: the client's organization.
    fn ownership(&self) -> Value {
        let client = &self.client;
        json!({
            "company": {
                "id": client.company_org_uid.to_string(),
                "rid": client.company_rid.to_string(),
                "legacyId": client.company_rid.to_string(),
                "name": null,
                "type": "BUSINESS",
                "legacyType": "CLIENT",
                "flag": { "client": true, "vendor": false, "agency": false, "individual": false },
                "parentOrganization": null,
                "active": true,
                "hidden": false,
                "company": null,
                "photoUrl": null,
                "creationDate": null,
            },
            "team": null,
        })
    }

    /// `MarketplacePostingClassification`.
    fn classification(&self) -> Value {
        let classification_skills: Vec<Value> =
            self.skills.iter().map(|s| ontology_skill(s)).collect();
        json!({
            "category": ontology_entity(self.category.id, self.category.ontology_id, self.category.label),
            "subCategory": ontology_entity(
                self.subcategory.id,
                self.subcategory.ontology_id,
                self.subcategory.label,
            ),
            "occupation": occupation_entity(self.occupation),
            "skills": classification_skills,
            "additionalSkills": [],
        })
    }

    /// `MarketplaceContractTerms`.
    fn contract_terms(&self) -> Value {
        let fixed = self.job_type == JobType::Fixed;
        json!({
            "contractStartDate": null,
            "contractEndDate": null,
            "contractType": self.job_type.as_str(),
            "onSiteType": "REMOTE",
            "personsToHire": self.freelancers_to_hire,
            "experienceLevel": match self.experience_level {
                ExperienceLevel::None => None,
                level => Some(level.as_str()),
            },
            "fixedPriceContractTerms": if fixed {
                json!({
                    "amount": money(self.amount),
                    "maxAmount": null,
                    "engagementDuration": engagement_duration(self),
                })
            } else {
                Value::Null
            },
            "hourlyContractTerms": match self.workload {
                Some(workload) if !fixed => json!({
                    "engagementDuration": engagement_duration(self),
                    "engagementType": workload.as_str(),
                    "notSureProjectDuration": self.duration.is_none(),
                    "hourlyBudgetType": self.hourly_budget_type.map(|t| t.as_str()),
                    "hourlyBudgetMin": decimal_f64(self.hourly_min),
                    "hourlyBudgetMax": decimal_f64(self.hourly_max),
                }),
                _ => Value::Null,
            },
            "notSurePersonsToHire": false,
            "notSureExperiencelevel": self.experience_level == ExperienceLevel::None,
        })
    }

    /// `MarketplaceContractorSelection`.
    fn contractor_selection(&self) -> Value {
        let fixed = self.job_type == JobType::Fixed;
        json!({
            "proposalRequirement": {
                "coverLetterRequired": true,
                "freelancerMilestonesAllowed": fixed,
                "screeningQuestions": [],
            },
            "qualification": {
                "contractorType": "ALL",
                "englishProficiency": "ANY",
                "hasPortfolio": false,
                "hoursWorked": null,
                "risingTalent": null,
                "jobSuccessScore": null,
                "minEarning": null,
                "preferredGroups": [],
                "preferenceTests": [],
            },
            "location": {
                "countries": self.preferred_locations,
                "states": [],
                "timezones": [],
                "localCheckRequired": false,
                "localMarket": false,
                "areas": [],
                "notSureLocationPreference": self.preferred_locations.is_empty(),
                "localDescription": null,
                "localFlexibilityDescription": null,
            },
        })
    }

    /// `MarketplacePublicCompanyInfo`.
    fn client_company_public(&self) -> Value {
        let client = &self.client;
        let location = &client.location;
        json!({
            "id": client.company_org_uid.to_string(),
            "legacyType": "CLIENT",
            "teamsEnabled": false,
            "canHire": true,
            "hidden": false,
            "includeInStats": null,
            "country": {
                "id": null,
                "name": location.country.name,
                "twoLetterAbbreviation": location.country.iso2,
                "threeLetterAbbreviation": location.country.iso3,
                "region": if location.country.eu { "EU" } else { "OTHER" },
                "phoneCode": location.country.phone_code,
                "relatedRegion": null,
                "relatedSubRegion": null,
                "active": true,
                "registrationAllowed": true,
            },
            "state": location.state,
            "city": location.city,
            "timezone": location.timezone,
            "accountingEntity": null,
            "billingType": "BILL",
            "paymentVerification": {
                "status": match client.verification_status {
                    Some(VerificationStatus::Verified) => Some("VERIFIED"),
                    Some(VerificationStatus::ActiveButNotVerified) => Some("ACTIVE"),
                    Some(VerificationStatus::VerificationInProgress) => Some("VERIFICATIONINPROGRESS"),
                    _ => None,
                },
                "paymentVerified": client.verification_status == Some(VerificationStatus::Verified),
            },
            "agencyDetails": null,
        })
    }

    /// `MarketplacePostingActivityStat` at `now`: bids derived from the budget, activity from
    /// the posting's plan ([`Posting::job_activity`]). `lastClientActivity` is a guess in form:
    /// the evidence says only "string", so it is written as every other sandbox timestamp.
    fn activity_stat(&self, now: DateTime<Utc>) -> Value {
        let activity = self.job_activity(now);
        let base = match self.job_type {
            JobType::Fixed => Some(self.amount),
            JobType::Hourly => match (self.hourly_min, self.hourly_max) {
                (Some(min), Some(max)) => Some((min + max) / Decimal::TWO),
                _ => None,
            },
        };
        let bid = |factor: Decimal| -> Value {
            match base {
                Some(base) if self.total_applicants > 0 => money((base * factor).round_dp(2)),
                _ => Value::Null,
            }
        };
        let interviewed = if activity.invited_to_interview > 0 {
            bid(Decimal::new(11, 1))
        } else {
            Value::Null
        };
        json!({
            "applicationsBidStats": {
                "avgRateBid": bid(Decimal::ONE),
                "minRateBid": bid(Decimal::new(6, 1)),
                "maxRateBid": bid(Decimal::new(15, 1)),
                "avgInterviewedRateBid": interviewed,
            },
            "jobActivity": {
                "lastClientActivity": timestamp(activity.last_client_activity),
                "invitesSent": activity.invites_sent,
                "totalInvitedToInterview": activity.invited_to_interview,
                "totalHired": activity.hired,
                "totalUnansweredInvites": activity.unanswered_invites,
                "totalOffered": activity.offered,
                "totalRecommended": activity.recommended,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_always_have_a_decimal_point() {
        assert_eq!(raw_value(Decimal::ZERO), "0.0");
        assert_eq!(raw_value(Decimal::from(40)), "40.0");
        assert_eq!(raw_value(Decimal::new(1250, 2)), "12.5");
        assert_eq!(raw_value(Decimal::new(123_456, 2)), "1234.56");
        assert_eq!(raw_value(Decimal::new(40_000, 3)), "40.0");
    }

    #[test]
    fn timestamps_have_no_fraction_and_no_colon_in_the_offset() {
        let t = DateTime::from_timestamp(1_760_594_807, 123_000_000).unwrap_or_default();
        assert_eq!(timestamp(t), "2025-10-16T06:06:47+0000");
    }

    #[test]
    fn relevance_encoded_is_json_with_a_string_position() {
        let parsed: Result<Value, _> = serde_json::from_str(&relevance_encoded(7));
        assert_eq!(parsed.ok(), Some(json!({"position": "7"})));
    }
}
