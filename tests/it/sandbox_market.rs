//! The sandbox's synthetic market and its search, checked against the generated data.
//!
//! Every filter is checked by a predicate written here, over `open_postings()`, with its own
//! tokenizer and its own ordering, never by calling the filter code; each expected set is non-empty
//! and leaves something out. The nodes are checked against the job-search schema in
//! `crates/upwork-sandbox/schema/upwork-jobs.graphql` (vendored from `shared/upwork/`), read at
//! run time, so a posting can never carry a field, a null or an enum value the real API would not
//! send.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use upwork_sandbox::market::{
    ExperienceLevel, JobType, Market, MarketConfig, Posting, VerificationStatus, Workload,
};
use upwork_sandbox::search::{Filter, SortField};

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_760_594_400, 0).expect("a valid fixed start time")
}

fn market(seed: u64, initial_postings: usize) -> Market {
    Market::new(MarketConfig {
        seed,
        start: start(),
        initial_postings,
        ..MarketConfig::default()
    })
}

/// Lowercased runs of letters and digits: the test's own idea of "words".
fn tokens(text: &str) -> Vec<String> {
    split_words(&text.to_lowercase())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn split_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_phrase(text: &str, phrase: &str) -> bool {
    let (text, phrase) = (text.to_lowercase(), phrase.to_lowercase());
    let (hay, needle) = (split_words(&text), split_words(&phrase));
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn in_skills(p: &Posting, phrase: &str) -> bool {
    p.skills
        .iter()
        .any(|s| has_phrase(s.name, phrase) || has_phrase(s.pretty_name, phrase))
}

/// Whether `phrase` occurs where a search expression looks: title, description, skills.
fn anywhere(p: &Posting, phrase: &str) -> bool {
    has_phrase(&p.title, phrase) || has_phrase(&p.description, phrase) || in_skills(p, phrase)
}

fn numeric_id(p: &Posting) -> u64 {
    p.id.parse().expect("ids are numeric")
}

/// Newest first, then higher id first.
fn recency_key(p: &Posting) -> (std::cmp::Reverse<DateTime<Utc>>, std::cmp::Reverse<u64>) {
    (
        std::cmp::Reverse(p.published),
        std::cmp::Reverse(numeric_id(p)),
    )
}

fn expected(m: &Market, pred: impl Fn(&Posting) -> bool) -> Vec<String> {
    let mut hits: Vec<&Posting> = m.open_postings().filter(|p| pred(p)).collect();
    hits.sort_by_key(|p| recency_key(p));
    hits.into_iter().map(|p| p.id.clone()).collect()
}

fn search_ids(m: &Market, filter: &Value, sort: &[SortField]) -> Vec<String> {
    let filter = Filter::from_json(filter).expect("the filter parses");
    m.search(&filter, sort)
        .into_iter()
        .map(|p| p.id.clone())
        .collect()
}

/// Checks one filter against its independent predicate; returns how many postings matched.
fn check(m: &Market, filter: Value, pred: impl Fn(&Posting) -> bool) -> usize {
    let want = expected(m, pred);
    let got = search_ids(m, &filter, &[SortField::Recency]);
    assert_eq!(got, want, "filter {filter}");
    assert!(
        !want.is_empty(),
        "filter {filter} matches nothing: pick values from the data"
    );
    assert!(
        want.len() < m.len_open(),
        "filter {filter} excludes nothing"
    );
    want.len()
}

fn fixture() -> Market {
    let mut m = market(2025, 3000);
    m.advance_to(start() + Duration::hours(6));
    m
}

/// The first word of the first skill of the `n`-th open posting.
fn skill_word(m: &Market, n: usize) -> String {
    let p = m.open_postings().nth(n).expect("enough postings");
    tokens(p.skills[0].pretty_name).remove(0)
}

#[test]
fn search_expression_ands_words_over_title_description_and_skills() {
    let m = fixture();
    let word = skill_word(&m, 10);
    check(&m, json!({ "searchExpression_eq": word }), |p| {
        anywhere(p, &word)
    });
    let upper = word.to_uppercase();
    check(&m, json!({ "searchExpression_eq": upper }), |p| {
        anywhere(p, &word)
    });
    let both = format!("{word} experience");
    check(&m, json!({ "searchExpression_eq": both }), |p| {
        anywhere(p, &word) && anywhere(p, "experience")
    });
}

#[test]
fn search_expression_or_phrases_and_exclusions() {
    let m = fixture();
    let a = skill_word(&m, 3);
    let b = m
        .open_postings()
        .map(|p| tokens(p.skills[0].pretty_name).remove(0))
        .find(|w| *w != a)
        .expect("a second skill word");

    let or = format!("{a} OR {b}");
    let n_or = check(&m, json!({ "searchExpression_eq": or }), |p| {
        anywhere(p, &a) || anywhere(p, &b)
    });
    let n_a = check(&m, json!({ "searchExpression_eq": a }), |p| anywhere(p, &a));
    assert!(n_or > n_a);

    // OR binds tighter than the implicit AND.
    let grouped = format!("{a} OR {b} proposal");
    check(&m, json!({ "searchExpression_eq": grouped }), |p| {
        (anywhere(p, &a) || anywhere(p, &b)) && anywhere(p, "proposal")
    });

    let title = &m.open_postings().nth(7).expect("postings").title;
    let title_words = tokens(title);
    let phrase = format!("{} {}", title_words[0], title_words[1]);
    let quoted = format!("\"{phrase}\"");
    check(&m, json!({ "searchExpression_eq": quoted }), |p| {
        anywhere(p, &phrase)
    });

    let excluded = format!("{a} -{b}");
    check(&m, json!({ "searchExpression_eq": excluded }), |p| {
        anywhere(p, &a) && !anywhere(p, &b)
    });
    let not = format!("experience NOT {b}");
    check(&m, json!({ "searchExpression_eq": not }), |p| {
        anywhere(p, "experience") && !anywhere(p, &b)
    });
    let phrase_excluded = format!("experience -\"{phrase}\"");
    check(&m, json!({ "searchExpression_eq": phrase_excluded }), |p| {
        anywhere(p, "experience") && !anywhere(p, &phrase)
    });
}

#[test]
fn search_terms_apply_only_without_a_search_expression() {
    let m = fixture();
    let a = skill_word(&m, 1);
    let b = skill_word(&m, 200);
    check(
        &m,
        json!({ "searchTerm_eq": { "andTerms_all": [a, "proposal"] } }),
        |p| anywhere(p, &a) && anywhere(p, "proposal"),
    );
    check(
        &m,
        json!({ "searchTerm_eq": { "orTerms_any": [a, b], "excludeTerms_any": ["senior"] } }),
        |p| (anywhere(p, &a) || anywhere(p, &b)) && !anywhere(p, "senior"),
    );
    check(
        &m,
        json!({ "searchTerm_eq": { "exactTerms_any": ["long-term collaboration", "paid trial"] } }),
        |p| anywhere(p, "long term collaboration") || anywhere(p, "paid trial"),
    );
    let with_both = json!({
        "searchExpression_eq": a,
        "searchTerm_eq": { "andTerms_all": ["zzzz-not-a-word"] },
    });
    check(&m, with_both, |p| anywhere(p, &a));
}

#[test]
fn skill_expression_ors_comma_separated_skills() {
    let m = fixture();
    let first = m.open_postings().next().expect("postings");
    let other = m
        .open_postings()
        .find(|p| p.category.id != first.category.id)
        .expect("a posting in another category");
    let (a, b) = (first.skills[0], other.skills[0]);
    // Pretty name in capitals, slug as is, and an empty item.
    let expr = format!("{}, {} ,", a.pretty_name.to_uppercase(), b.name);
    check(&m, json!({ "skillExpression_eq": expr }), |p| {
        p.skills.iter().any(|s| {
            s.pretty_name.to_lowercase() == a.pretty_name.to_lowercase()
                || s.name.to_lowercase() == a.pretty_name.to_lowercase()
                || s.name == b.name
                || s.pretty_name.to_lowercase() == b.name
        })
    });
}

#[test]
fn title_expression_ands_words_in_the_title_only() {
    let m = fixture();
    let title = &m.open_postings().nth(42).expect("postings").title;
    let word = tokens(title)
        .into_iter()
        .max_by_key(String::len)
        .expect("title words");
    check(&m, json!({ "titleExpression_eq": word }), |p| {
        has_phrase(&p.title, &word)
    });
    let two = format!("{word} our");
    check(&m, json!({ "titleExpression_eq": two }), |p| {
        has_phrase(&p.title, &word) && has_phrase(&p.title, "our")
    });
    // No OR in titles: "OR" is just a word that titles do not contain.
    let or = format!("{word} OR our");
    let got = search_ids(&m, &json!({ "titleExpression_eq": or }), &[]);
    assert_eq!(
        got,
        expected(&m, |p| has_phrase(&p.title, &word)
            && has_phrase(&p.title, "or"))
    );
}

#[test]
fn category_subcategory_and_occupation_ids() {
    let m = fixture();
    let mut postings = m.open_postings();
    let first = postings.next().expect("postings");
    let second = postings
        .find(|p| p.category.id != first.category.id)
        .expect("a second category");
    let ids = [first.category.id, second.category.id];
    check(&m, json!({ "categoryIds_any": ids }), |p| {
        ids.contains(&p.category.id)
    });
    check(
        &m,
        json!({ "subcategoryIds_any": [first.subcategory.id] }),
        |p| p.subcategory.id == first.subcategory.id,
    );
    check(
        &m,
        json!({ "occupationIds_any": [second.occupation.id] }),
        |p| p.occupation.id == second.occupation.id,
    );
    let categories: HashSet<&str> = m.open_postings().map(|p| p.category.id).collect();
    assert!(
        categories.len() >= 9,
        "only {} categories",
        categories.len()
    );
}

#[test]
fn ontology_skill_ids_are_anded() {
    let m = fixture();
    let p = m
        .open_postings()
        .find(|p| p.skills.len() >= 2)
        .expect("postings");
    let ids = [p.skills[0].id(), p.skills[1].id()];
    check(&m, json!({ "ontologySkillIds_all": ids }), |q| {
        ids.iter().all(|id| q.skills.iter().any(|s| s.id() == *id))
    });
}

#[test]
fn job_type_and_workload() {
    let m = fixture();
    check(&m, json!({ "jobType_eq": "HOURLY" }), |p| {
        p.job_type == JobType::Hourly
    });
    check(&m, json!({ "jobType_eq": "FIXED" }), |p| {
        p.job_type == JobType::Fixed
    });
    for (name, workload) in [
        ("FULL_TIME", Workload::FullTime),
        ("PART_TIME", Workload::PartTime),
        ("AS_NEEDED", Workload::AsNeeded),
        ("NOT_SURE", Workload::NotSure),
    ] {
        // Fixed-price jobs have no workload and always pass.
        check(&m, json!({ "workload_eq": name }), |p| {
            p.job_type == JobType::Fixed || p.workload == Some(workload)
        });
    }
    check(
        &m,
        json!({ "workload_eq": "FULL_TIME", "jobType_eq": "HOURLY" }),
        |p| p.workload == Some(Workload::FullTime),
    );
}

fn dollars(d: Decimal) -> i64 {
    d.trunc().to_string().parse().expect("whole dollars")
}

#[test]
fn budget_and_hourly_rate_let_the_other_type_pass() {
    let m = fixture();
    check(
        &m,
        json!({ "budgetRange_eq": { "rangeStart": 500, "rangeEnd": 2000 } }),
        |p| p.job_type == JobType::Hourly || (500..=2000).contains(&dollars(p.amount)),
    );
    check(
        &m,
        json!({ "budgetRange_eq": { "rangeStart": 5000 } }),
        |p| p.job_type == JobType::Hourly || dollars(p.amount) >= 5000,
    );
    check(
        &m,
        json!({ "budgetRange_eq": { "rangeEnd": 100 }, "jobType_eq": "FIXED" }),
        |p| p.job_type == JobType::Fixed && dollars(p.amount) <= 100,
    );
    check(
        &m,
        json!({ "hourlyRate_eq": { "rangeStart": 20, "rangeEnd": 40 } }),
        |p| match (p.job_type, p.hourly_min, p.hourly_max) {
            (JobType::Fixed, _, _) => true,
            (JobType::Hourly, Some(min), Some(max)) => dollars(min) <= 40 && dollars(max) >= 20,
            (JobType::Hourly, _, _) => false,
        },
    );
    check(&m, json!({ "hourlyRate_eq": { "rangeStart": 100 } }), |p| {
        p.job_type == JobType::Fixed || p.hourly_max.is_some_and(|max| dollars(max) >= 100)
    });
}

#[test]
fn experience_level() {
    let m = fixture();
    for (name, level) in [
        ("ENTRY_LEVEL", ExperienceLevel::EntryLevel),
        ("INTERMEDIATE", ExperienceLevel::Intermediate),
        ("EXPERT", ExperienceLevel::Expert),
    ] {
        check(&m, json!({ "experienceLevel_eq": name }), |p| {
            p.experience_level == level
        });
    }
}

#[test]
fn client_hires_proposals_verification_enterprise() {
    let m = fixture();
    check(
        &m,
        json!({ "clientHiresRange_eq": { "rangeStart": 1, "rangeEnd": 10 } }),
        |p| (1..=10).contains(&p.client.total_hires),
    );
    check(
        &m,
        json!({ "clientHiresRange_eq": { "rangeEnd": 0 } }),
        |p| p.client.total_hires == 0,
    );
    check(
        &m,
        json!({ "proposalRange_eq": { "rangeStart": 5, "rangeEnd": 15 } }),
        |p| (5..=15).contains(&p.total_applicants),
    );
    check(&m, json!({ "verifiedPaymentOnly_eq": true }), |p| {
        p.client.verification_status == Some(VerificationStatus::Verified)
    });
    check(&m, json!({ "enterpriseOnly_eq": true }), |p| p.enterprise);
    // False flags and the no-op previousClients_eq constrain nothing.
    let all = search_ids(
        &m,
        &json!({ "verifiedPaymentOnly_eq": false, "enterpriseOnly_eq": false, "previousClients_eq": true }),
        &[],
    );
    assert_eq!(all.len(), m.len_open());
}

#[test]
fn locations_match_country_name_iso3_or_city() {
    let m = fixture();
    check(&m, json!({ "locations_any": ["united states"] }), |p| {
        p.client.location.country.name == "United States"
    });
    // A client shown with a full name is found by its ISO-3 code and the other way round.
    let iso3_client = m
        .open_postings()
        .find(|p| p.client.location.country_as_iso3)
        .expect("some clients show an ISO-3 country");
    let country = iso3_client.client.location.country;
    check(&m, json!({ "locations_any": [country.name] }), |p| {
        p.client.location.country.name == country.name
    });
    check(
        &m,
        json!({ "locations_any": [country.iso3.to_lowercase()] }),
        |p| p.client.location.country.iso3 == country.iso3,
    );
    let unicode_city = m
        .open_postings()
        .filter_map(|p| p.client.location.city)
        .find(|c| !c.is_ascii())
        .expect("some cities are not ASCII");
    check(
        &m,
        json!({ "locations_any": [unicode_city.to_uppercase(), "GBR"] }),
        |p| p.client.location.city == Some(unicode_city) || p.client.location.country.iso3 == "GBR",
    );
    let zone = m
        .open_postings()
        .nth(5)
        .expect("postings")
        .client
        .location
        .timezone;
    check(&m, json!({ "timezone_eq": zone }), |p| {
        p.client.location.timezone == zone
    });
}

#[test]
fn combined_filters_intersect() {
    let m = fixture();
    let category = m.open_postings().next().expect("postings").category.id;
    check(
        &m,
        json!({
            "categoryIds_any": [category],
            "jobType_eq": "FIXED",
            "budgetRange_eq": { "rangeStart": 100 },
            "verifiedPaymentOnly_eq": true,
        }),
        |p| {
            p.category.id == category
                && p.job_type == JobType::Fixed
                && dollars(p.amount) >= 100
                && p.client.verification_status == Some(VerificationStatus::Verified)
        },
    );
}

fn score(p: &Posting, terms: &[&str]) -> u32 {
    terms
        .iter()
        .map(|t| {
            3 * u32::from(has_phrase(&p.title, t))
                + 2 * u32::from(in_skills(p, t))
                + u32::from(has_phrase(&p.description, t))
        })
        .sum()
}

#[test]
fn sort_orders() {
    let m = fixture();
    let open: Vec<&Posting> = m.open_postings().collect();
    let all = Value::Null;

    let mut recency = open.clone();
    recency.sort_by_key(|p| recency_key(p));
    let ids = |v: &[&Posting]| v.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(search_ids(&m, &all, &[]), ids(&recency));
    assert_eq!(search_ids(&m, &all, &[SortField::Recency]), ids(&recency));

    let mut charge = open.clone();
    charge.sort_by_key(|p| (std::cmp::Reverse(p.client.total_spent), recency_key(p)));
    assert_eq!(
        search_ids(&m, &all, &[SortField::ClientTotalCharge]),
        ids(&charge)
    );
    assert!(
        charge
            .last()
            .is_some_and(|p| p.client.total_spent.is_none())
    );

    let mut rating = open.clone();
    rating.sort_by(|a, b| {
        b.client
            .total_feedback
            .total_cmp(&a.client.total_feedback)
            .then(recency_key(a).cmp(&recency_key(b)))
    });
    assert_eq!(
        search_ids(&m, &all, &[SortField::ClientRating]),
        ids(&rating)
    );

    let mut both = open.clone();
    both.sort_by(|a, b| {
        b.client
            .total_feedback
            .total_cmp(&a.client.total_feedback)
            .then(b.client.total_spent.cmp(&a.client.total_spent))
            .then(recency_key(a).cmp(&recency_key(b)))
    });
    let sort = [SortField::ClientRating, SortField::ClientTotalCharge];
    assert_eq!(search_ids(&m, &all, &sort), ids(&both));

    let a = skill_word(&m, 0);
    let query = format!("{a} OR developer");
    let terms = [a.as_str(), "developer"];
    let mut relevance: Vec<&Posting> = open
        .iter()
        .copied()
        .filter(|p| anywhere(p, &a) || anywhere(p, "developer"))
        .collect();
    relevance.sort_by_cached_key(|p| (std::cmp::Reverse(score(p, &terms)), recency_key(p)));
    let got = search_ids(
        &m,
        &json!({ "searchExpression_eq": query }),
        &[SortField::Relevance],
    );
    assert_eq!(got, ids(&relevance));
    assert!(score(relevance[0], &terms) > score(relevance[relevance.len() - 1], &terms));

    assert_eq!(
        SortField::from_name("CLIENT_TOTAL_CHARGE"),
        Some(SortField::ClientTotalCharge)
    );
    assert_eq!(SortField::from_name("NEWEST"), None);
}

/// Latest of published and renewed first, then higher id first: `RECENCY` with renewals on top.
fn listed_key(p: &Posting) -> (std::cmp::Reverse<DateTime<Utc>>, std::cmp::Reverse<u64>) {
    let listed = p.renewed.map_or(p.published, |r| r.max(p.published));
    (std::cmp::Reverse(listed), std::cmp::Reverse(numeric_id(p)))
}

#[test]
fn renewals_to_top_sorts_recency_by_the_later_of_published_and_renewed() {
    let mut m = market(23, 800);
    m.set_renewals_to_top(true);
    let activity = m.advance_to(start() + Duration::hours(3));
    let renewed_since_start: Vec<&Posting> = m
        .open_postings()
        .filter(|p| p.published < start() && p.renewed.is_some_and(|r| r > start()))
        .collect();
    assert!(
        renewed_since_start.len() >= 5,
        "changes renew postings at a useful rate: {} of {} changes",
        renewed_since_start.len(),
        activity.changed.len()
    );
    let open: Vec<&Posting> = m.open_postings().collect();
    let ids = |v: &[&Posting]| v.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    let mut listed = open.clone();
    listed.sort_by_key(|p| listed_key(p));
    let all = Value::Null;
    assert_eq!(search_ids(&m, &all, &[]), ids(&listed));
    assert_eq!(search_ids(&m, &all, &[SortField::Recency]), ids(&listed));
    let order = search_ids(&m, &all, &[SortField::Recency]);
    let above_newer = renewed_since_start.iter().any(|p| {
        let at = order
            .iter()
            .position(|id| *id == p.id)
            .unwrap_or(order.len());
        order[at.min(order.len())..]
            .iter()
            .any(|id| activity.arrived.contains(id))
    });
    assert!(
        above_newer,
        "a posting published before the start and renewed since sits above a newer arrival"
    );

    let mut rating = open.clone();
    rating.sort_by(|a, b| {
        b.client
            .total_feedback
            .total_cmp(&a.client.total_feedback)
            .then(listed_key(a).cmp(&listed_key(b)))
    });
    assert_eq!(
        search_ids(&m, &all, &[SortField::ClientRating]),
        ids(&rating),
        "renewals break the ties of the other sorts too"
    );

    let mut published = open;
    published.sort_by_key(|p| recency_key(p));
    let published = ids(&published);
    assert_ne!(published, ids(&listed), "renewals changed the order");
    m.set_renewals_to_top(false);
    assert_eq!(search_ids(&m, &all, &[]), published);
}

fn all_nodes(m: &Market) -> Vec<Value> {
    m.postings()
        .iter()
        .flat_map(|p| [p.to_node(), p.to_job_posting(m.now())])
        .collect()
}

#[test]
fn same_seed_same_market_different_seed_different_market() {
    let mut a = market(77, 300);
    let mut b = market(77, 300);
    assert_eq!(all_nodes(&a), all_nodes(&b));

    // One big step or several small ones, then the same manual pushes: still the same market.
    a.advance_to(start() + Duration::hours(9));
    b.advance_to(start() + Duration::hours(2));
    b.advance_to(start() + Duration::minutes(301));
    b.advance_to(start() + Duration::hours(9));
    for m in [&mut a, &mut b] {
        m.arrive(3);
        m.close(4);
        m.change(5);
    }
    assert_eq!(all_nodes(&a), all_nodes(&b));
    assert_eq!(a.len_open(), b.len_open());

    let c = market(78, 300);
    let titles = |m: &Market| {
        m.postings()
            .iter()
            .map(|p| p.title.clone())
            .collect::<Vec<_>>()
    };
    let (ta, tc) = (titles(&market(77, 300)), titles(&c));
    let same = ta.iter().zip(&tc).filter(|(x, y)| x == y).count();
    assert!(
        same < ta.len() / 4,
        "{same} of {} titles equal across seeds",
        ta.len()
    );
    assert_ne!(a.postings()[0].id, c.postings()[0].id);
}

#[test]
fn the_market_moves() {
    let mut m = market(5, 1000);
    let t0 = m.now();
    let t1 = t0 + Duration::hours(3);
    let before: HashMap<String, Posting> = m
        .open_postings()
        .map(|p| (p.id.clone(), p.clone()))
        .collect();

    let activity = m.advance_to(t1);
    assert_eq!(m.now(), t1);
    // 60 arrivals, 6 closes and 30 changes an hour by default.
    assert!(
        (120..=240).contains(&activity.arrived.len()),
        "{activity:?}"
    );
    assert!(!activity.closed.is_empty() && !activity.changed.is_empty());
    assert_eq!(
        m.len_open(),
        1000 + activity.arrived.len() - activity.closed.len()
    );

    let mut last: Option<(DateTime<Utc>, u64)> = None;
    for id in &activity.arrived {
        let p = m.get(id).expect("arrivals can be looked up");
        assert!(p.published > t0 && p.published <= t1);
        assert_eq!(p.published.timestamp_subsec_nanos(), 0);
        let key = (p.published, numeric_id(p));
        assert!(last.is_none_or(|l| l < key), "arrivals come in time order");
        last = Some(key);
    }

    let newest = search_ids(&m, &Value::Null, &[SortField::Recency]);
    let still_open: Vec<&String> = activity
        .arrived
        .iter()
        .rev()
        .filter(|id| m.get(id).is_some_and(|p| p.open))
        .collect();
    assert_eq!(
        newest.iter().take(still_open.len()).collect::<Vec<_>>(),
        still_open
    );

    let found: HashSet<&String> = newest.iter().collect();
    for id in &activity.closed {
        let p = m.get(id).expect("closed postings can still be looked up");
        assert!(!p.open && !found.contains(id));
        assert!(p.closed_at.is_some_and(|t| t > t0 && t <= t1));
        assert_eq!(
            p.to_job_posting(m.now())["workFlowState"]["status"],
            "CLOSED"
        );
    }

    let mut renewed = 0;
    for id in activity
        .changed
        .iter()
        .filter(|id| before.contains_key(*id))
    {
        let p = m.get(id).expect("changed postings exist");
        let old = &before[id];
        assert!(
            p.total_applicants > old.total_applicants,
            "changes add applicants"
        );
        assert_eq!(
            p.published, old.published,
            "renewal never moves publishedDateTime"
        );
        assert_eq!((&p.title, &p.description), (&old.title, &old.description));
        if p.renewed != old.renewed {
            renewed += 1;
            assert!(p.renewed.is_some_and(|r| r > t0 && r <= t1));
        }
    }
    assert!(renewed > 0, "some changes renew their posting");

    // Going back in time does nothing.
    assert_eq!(m.advance_to(t0), Default::default());
    assert_eq!(m.now(), t1);

    // Pushing the market by hand.
    let arrived = m.arrive(2);
    let top = search_ids(&m, &Value::Null, &[]);
    assert_eq!(top[..2], [arrived[1].clone(), arrived[0].clone()]);
    assert!(
        arrived
            .iter()
            .all(|id| m.get(id).is_some_and(|p| p.published == t1))
    );
    assert!(m.close_id(&arrived[1]));
    assert!(!m.close_id(&arrived[1]));
    assert!(!m.close_id("not-an-id"));
    assert_eq!(search_ids(&m, &Value::Null, &[])[0], arrived[0]);
    let open = m.len_open();
    assert_eq!(m.close(3).len(), 3);
    assert_eq!(m.len_open(), open - 3);
    let changed = m.change(4);
    assert_eq!(changed.len(), 4);
    assert!(
        changed
            .iter()
            .all(|id| m.get(id).is_some_and(|p| p.total_applicants > 0))
    );
}

#[test]
fn text_search_stays_right_while_the_market_moves() {
    let mut m = market(12, 1500);
    let word = skill_word(&m, 0);
    let query = json!({ "searchExpression_eq": format!("{word} OR \"long-term collaboration\"") });
    let pred = |p: &Posting| anywhere(p, &word) || anywhere(p, "long term collaboration");
    let mut counts = Vec::new();
    for hours in [4, 9, 30] {
        counts.push(check(&m, query.clone(), pred));
        m.advance_to(start() + Duration::hours(hours));
        m.arrive(5);
        m.close(5);
    }
    counts.push(check(&m, query, pred));
    assert!(counts.windows(2).any(|w| w[0] != w[1]), "{counts:?}");
}

#[test]
fn a_market_without_rates_stands_still() {
    let mut m = Market::new(MarketConfig {
        seed: 1,
        start: start(),
        initial_postings: 50,
        arrivals_per_hour: 0.0,
        closes_per_hour: 0.0,
        changes_per_hour: 0.0,
        ..MarketConfig::default()
    });
    let activity = m.advance_to(start() + Duration::days(30));
    assert_eq!(activity, Default::default());
    assert_eq!(m.len_open(), 50);
}

/// `dddd-dd-ddTdd:dd:dd+0000`, the live timestamp format.
fn is_upwork_timestamp(v: &Value) -> bool {
    let pattern = "dddd-dd-ddTdd:dd:dd+0000";
    v.as_str().is_some_and(|s| {
        s.len() == pattern.len()
            && s.chars()
                .zip(pattern.chars())
                .all(|(c, p)| if p == 'd' { c.is_ascii_digit() } else { c == p })
    })
}

fn money_value(v: &Value) -> Option<Decimal> {
    let raw = v["rawValue"].as_str()?;
    (raw.contains('.') && v["currency"] == "USD" && v["displayValue"] == raw)
        .then(|| raw.parse().ok())
        .flatten()
}

#[test]
fn nodes_use_the_live_value_formats() {
    let mut m = market(31, 3000);
    m.advance_to(start() + Duration::hours(30));
    let mut iso3 = 0;
    let mut non_ascii = false;
    let mut fixed_by_level: HashMap<&str, Vec<Decimal>> = HashMap::new();
    for p in m.postings() {
        let n = p.to_node();
        let id = n["id"].as_str().expect("id is a string");
        assert!(
            id.len() == 19 && id.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
        assert_eq!(n["ciphertext"], format!("~02{id}"));
        for key in ["createdDateTime", "publishedDateTime"] {
            assert!(is_upwork_timestamp(&n[key]), "{key}: {}", n[key]);
        }
        assert!(n["renewedDateTime"].is_null() || is_upwork_timestamp(&n["renewedDateTime"]));
        assert!(n["createdDateTime"].as_str() <= n["publishedDateTime"].as_str());
        assert!(n["totalFreelancersToHire"].is_null());

        let amount = money_value(&n["amount"]).expect("amount is Money with a string rawValue");
        let (min, max) = (&n["hourlyBudgetMin"], &n["hourlyBudgetMax"]);
        match p.job_type {
            JobType::Hourly => {
                assert_eq!(n["amount"]["rawValue"], "0.0");
                assert!(n["engagement"].is_string() && n["hourlyBudgetType"].is_string());
                assert_eq!(min.is_null(), max.is_null());
                if let (Some(lo), Some(hi)) = (money_value(min), money_value(max)) {
                    assert!(Decimal::from(10) <= lo && lo <= hi && hi <= Decimal::from(150));
                }
            }
            JobType::Fixed => {
                assert!(amount >= Decimal::from(50) && amount <= Decimal::from(20_000));
                assert!(min.is_null() && max.is_null() && n["hourlyBudgetType"].is_null());
                assert!(n["engagement"].is_null() && n["weeklyBudget"].is_null());
                fixed_by_level
                    .entry(p.experience_level.as_str())
                    .or_default()
                    .push(amount);
            }
        }

        let c = &n["client"];
        let hires = c["totalHires"].as_u64().expect("totalHires");
        assert!(hires <= c["totalPostedJobs"].as_u64().expect("totalPostedJobs"));
        let reviews = c["totalReviews"].as_u64().expect("totalReviews");
        assert!(reviews <= hires);
        let feedback = c["totalFeedback"].as_f64().expect("totalFeedback");
        assert!((0.0..=5.0).contains(&feedback));
        assert!(reviews > 0 || feedback == 0.0);
        assert!(c["totalSpent"].is_null() || money_value(&c["totalSpent"]).is_some());
        let country = c["location"]["country"].as_str().expect("country");
        if country.len() == 3 && country.bytes().all(|b| b.is_ascii_uppercase()) {
            iso3 += 1;
        }
        non_ascii |= !p.title.is_ascii() || !p.description.is_ascii();
        non_ascii |= p.client.location.city.is_some_and(|c| !c.is_ascii());

        for skill in &p.skills {
            assert!(
                p.description.contains(skill.pretty_name),
                "description names its skills"
            );
        }
    }
    let total = m.postings().len();
    assert!(
        iso3 > 0 && iso3 < total / 4,
        "{iso3} of {total} countries are ISO-3"
    );
    assert!(non_ascii, "some text is not ASCII");

    let median = |level: &str| {
        let mut v = fixed_by_level[level].clone();
        v.sort();
        v[v.len() / 2]
    };
    assert!(median("EXPERT") > median("INTERMEDIATE"));
    assert!(median("INTERMEDIATE") > median("ENTRY_LEVEL"));
}

/// The parts of an SDL file the test needs: object types with their fields, and enums.
struct Schema {
    types: HashMap<String, Vec<(String, String)>>,
    enums: HashMap<String, HashSet<String>>,
}

impl Schema {
    fn load() -> Schema {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/crates/upwork-sandbox/schema/upwork-jobs.graphql"
        );
        let text = std::fs::read_to_string(path).expect("the vendored job-search schema");
        let mut schema = Schema {
            types: HashMap::new(),
            enums: HashMap::new(),
        };
        let mut in_description = false;
        let mut current: Option<(bool, String)> = None;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let quotes = line.matches("\"\"\"").count();
            if quotes > 0 {
                if quotes % 2 == 1 {
                    in_description = !in_description;
                }
                continue;
            }
            if in_description || line.is_empty() || line.starts_with('"') {
                continue;
            }
            if line == "}" {
                current = None;
                continue;
            }
            if let Some((is_enum, name)) = &current {
                if *is_enum {
                    schema
                        .enums
                        .entry(name.clone())
                        .or_default()
                        .insert(line.to_owned());
                } else {
                    let field_name = line
                        .split(['(', ':'])
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_owned();
                    let ty = line.rsplit(':').next().unwrap_or("").trim().to_owned();
                    schema
                        .types
                        .entry(name.clone())
                        .or_default()
                        .push((field_name, ty));
                }
                continue;
            }
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some("type" | "interface"), Some(name)) if line.ends_with('{') => {
                    current = Some((false, name.to_owned()));
                }
                (Some("enum"), Some(name)) if line.ends_with('{') => {
                    current = Some((true, name.to_owned()));
                }
                (Some("input" | "schema"), _) if line.ends_with('{') => {
                    current = Some((false, String::from("<ignored>")));
                }
                _ => {}
            }
        }
        schema
    }

    /// Checks `value` against the GraphQL type `ty`, collecting every mismatch.
    fn check(&self, value: &Value, ty: &str, path: &str, errors: &mut Vec<String>) {
        let (non_null, ty) = match ty.strip_suffix('!') {
            Some(inner) => (true, inner),
            None => (false, ty),
        };
        if value.is_null() {
            if non_null {
                errors.push(format!("{path}: null for non-null {ty}!"));
            }
            return;
        }
        if let Some(item) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            match value.as_array() {
                Some(items) => {
                    for (i, v) in items.iter().enumerate() {
                        self.check(v, item, &format!("{path}[{i}]"), errors);
                    }
                }
                None => errors.push(format!("{path}: {value} is not a list of {item}")),
            }
            return;
        }
        let ok = match ty {
            "String" | "ID" => value.is_string(),
            "Int" => value.is_i64() || value.is_u64(),
            "Float" => value.is_number(),
            "Boolean" => value.is_boolean(),
            _ => {
                if let Some(values) = self.enums.get(ty) {
                    value.as_str().is_some_and(|v| values.contains(v))
                } else if let Some(fields) = self.types.get(ty) {
                    self.check_object(value, ty, fields, path, errors);
                    true
                } else {
                    errors.push(format!("{path}: type {ty} is not in the schema file"));
                    true
                }
            }
        };
        if !ok {
            errors.push(format!("{path}: {value} is not a {ty}"));
        }
    }

    fn check_object(
        &self,
        value: &Value,
        ty: &str,
        fields: &[(String, String)],
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let Some(object) = value.as_object() else {
            errors.push(format!("{path}: {value} is not a {ty} object"));
            return;
        };
        for key in object.keys() {
            if !fields.iter().any(|(name, _)| name == key) {
                errors.push(format!("{path}.{key}: {ty} has no such field"));
            }
        }
        for (name, field_ty) in fields {
            match object.get(name) {
                Some(v) => self.check(v, field_ty, &format!("{path}.{name}"), errors),
                None => errors.push(format!("{path}.{name}: missing from {ty}")),
            }
        }
    }
}

#[test]
fn nodes_carry_exactly_the_schema_fields() {
    let schema = Schema::load();
    assert!(
        schema
            .types
            .contains_key("MarketplaceJobPostingSearchResult")
    );
    assert!(schema.enums["JobDuration"].contains("SEMESTER"));
    let mut m = market(8, 400);
    m.advance_to(start() + Duration::hours(20));
    let mut errors = Vec::new();
    for p in m.postings() {
        let node = p.to_node();
        schema.check(
            &node,
            "MarketplaceJobPostingSearchResult!",
            &p.id,
            &mut errors,
        );
        let job = p.to_job_posting(m.now());
        schema.check(&job, "MarketplaceJobPosting", &p.id, &mut errors);
        assert!(node.as_object().is_some_and(|o| !o.contains_key("job")));
    }
    errors.sort();
    errors.dedup();
    assert!(
        errors.is_empty(),
        "{} problems, first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(20)]
    );
}

#[test]
fn the_schema_check_catches_what_upwork_would_not_send() {
    let schema = Schema::load();
    let posting = market(8, 1).postings()[0].clone();
    let mut node = posting.to_node();
    node["salary"] = json!(1);
    node["title"] = Value::Null;
    node["duration"] = json!("FORTNIGHT");
    node["client"]["totalHires"] = json!("3");
    if let Some(object) = node.as_object_mut() {
        object.remove("ciphertext");
    }
    let mut errors = Vec::new();
    schema.check(
        &node,
        "MarketplaceJobPostingSearchResult!",
        "node",
        &mut errors,
    );
    errors.sort();
    assert_eq!(
        errors,
        [
            "node.ciphertext: missing from MarketplaceJobPostingSearchResult",
            "node.client.totalHires: \"3\" is not a Int",
            "node.duration: \"FORTNIGHT\" is not a JobDuration",
            "node.salary: MarketplaceJobPostingSearchResult has no such field",
            "node.title: null for non-null String!",
        ]
    );
}

/// Paging through a search costs one scan of the market, not one per page (#11: a 1M-posting
/// market is served page by page in O(page) once its first page is found), every page is the
/// slice of the full result, and any change to the market makes the next page scan again.
#[test]
fn pages_of_one_search_come_from_one_scan_until_the_market_changes() {
    let mut market = Market::new(MarketConfig {
        seed: 11,
        initial_postings: 2_000,
        ..MarketConfig::default()
    });
    let filter = Filter::from_json(&json!({ "jobType_eq": "FIXED" })).expect("filter");
    let all: Vec<String> = market
        .search(&filter, &[])
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let scans = market.scans();
    let mut paged = Vec::new();
    for offset in (0..all.len() + 100).step_by(100) {
        let (total, page) = market.search_page("fixed", &filter, &[], offset, 100);
        assert_eq!(total, all.len());
        paged.extend(page.iter().map(|p| p.id.clone()));
    }
    assert_eq!(paged, all, "the pages are the result, in order");
    assert_eq!(market.scans() - scans, 1, "one scan for every page");
    // Another search, then a change to the market: each scans once more.
    market.search_page("other", &filter, &[SortField::ClientRating], 0, 10);
    assert_eq!(market.scans() - scans, 2);
    market.close(1);
    let (total, _) = market.search_page("other", &filter, &[SortField::ClientRating], 0, 10);
    assert_eq!(
        market.scans() - scans,
        3,
        "a closed posting makes the cache stale"
    );
    assert_eq!(
        total,
        market.search(&filter, &[SortField::ClientRating]).len()
    );
}
