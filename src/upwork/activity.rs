//! Competition signals: `marketplaceJobPosting(id)` for several postings in one GraphQL document,
//! and the answer read back into one [`Snapshot`] per posting.
//!
//! The document asks `activity.graphql`'s selection once per posting under the aliases `p0`,
//! `p1`, ... with the ids as variables `$i0`, `$i1`, ... A key without the permission for bid
//! statistics is refused the whole document (HTTP 200, an `ExecutionAborted` error naming the
//! fields, API.md); [`document`] can leave `applicationsBidStats` out so the other figures still
//! come. A posting Upwork answers with `null` and no error of its own, or with a "not found"
//! error, is gone (removed, or no longer visible): a state, not an error. A `null` with another
//! error at its alias is a failure of that posting only, asked again by a later sync.

use super::batch::braced;
use super::page::{DecodeError, check_errors};
use super::queries::ACTIVITY_QUERY;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The field left out for a key that may not read bid statistics.
pub const BID_STATS_FIELD: &str = "applicationsBidStats";

/// Where a posting stands, as its detail says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingState {
    /// Open for proposals.
    Active,
    /// Closed (filled, or withdrawn by the client).
    Closed,
    /// Upwork answered no posting for the id.
    Gone,
}

impl PostingState {
    /// How the database writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PostingState::Active => "ACTIVE",
            PostingState::Closed => "CLOSED",
            PostingState::Gone => "GONE",
        }
    }
}

/// One posting's activity at the time it was asked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// `invitesSent`.
    pub invites_sent: Option<i64>,
    /// `totalInvitedToInterview`.
    pub interviewing: Option<i64>,
    /// `totalHired`.
    pub hired: Option<i64>,
    /// `totalUnansweredInvites`.
    pub unanswered_invites: Option<i64>,
    /// `totalOffered`.
    pub offered: Option<i64>,
    /// `totalRecommended`.
    pub recommended: Option<i64>,
    /// `lastClientActivity` as sent.
    pub last_client_activity: Option<String>,
    /// `applicationsBidStats.avgRateBid`, when asked and readable.
    pub bid_avg: Option<f64>,
    /// `applicationsBidStats.minRateBid`.
    pub bid_min: Option<f64>,
    /// `applicationsBidStats.maxRateBid`.
    pub bid_max: Option<f64>,
    /// `applicationsBidStats.avgInterviewedRateBid`.
    pub bid_avg_interviewed: Option<f64>,
}

/// A posting's answer: its state and, unless it is gone, its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Active, closed or gone.
    pub state: PostingState,
    /// The activity figures (all `None` for a gone posting).
    pub figures: Figures,
}

/// The document asking `count` postings, with or without the bid statistics.
pub fn document(count: usize, bid_stats: bool) -> String {
    let root = ACTIVITY_QUERY.find("marketplaceJobPosting(").unwrap_or(0);
    let mut selection = braced(ACTIVITY_QUERY, root).to_string();
    if !bid_stats && let Some(at) = selection.find(BID_STATS_FIELD) {
        let block = braced(&selection, at).len();
        let end = selection[at..]
            .find('{')
            .map_or(selection.len(), |o| at + o)
            + block;
        selection.replace_range(at..end, "");
    }
    let variables: Vec<String> = (0..count).map(|i| format!("$i{i}: ID!")).collect();
    let mut fields = String::new();
    for i in 0..count {
        fields.push_str(&format!(
            "  p{i}: marketplaceJobPosting(id: $i{i}) {selection}\n"
        ));
    }
    format!(
        "query JobActivity({}) {{\n{fields}}}\n",
        variables.join(", ")
    )
}

/// The variables of [`document`] for `ids`.
pub fn variables(ids: &[String]) -> Value {
    let mut map = Map::new();
    for (i, id) in ids.iter().enumerate() {
        map.insert(format!("i{i}"), Value::String(id.clone()));
    }
    Value::Object(map)
}

#[derive(Deserialize)]
struct Money {
    #[serde(rename = "rawValue")]
    raw_value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobActivity {
    last_client_activity: Option<String>,
    invites_sent: Option<i64>,
    total_invited_to_interview: Option<i64>,
    total_hired: Option<i64>,
    total_unanswered_invites: Option<i64>,
    total_offered: Option<i64>,
    total_recommended: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BidStats {
    avg_rate_bid: Option<Money>,
    min_rate_bid: Option<Money>,
    max_rate_bid: Option<Money>,
    avg_interviewed_rate_bid: Option<Money>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityStat {
    job_activity: Option<JobActivity>,
    applications_bid_stats: Option<BidStats>,
}

#[derive(Deserialize)]
struct WorkFlowState {
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobPosting {
    work_flow_state: Option<WorkFlowState>,
    activity_stat: Option<ActivityStat>,
}

fn amount(money: Option<Money>) -> Option<f64> {
    match money?.raw_value? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
    .filter(|v: &f64| v.is_finite())
}

/// Reads one alias's value: `None` when it is not a posting's detail at all.
fn snapshot(value: Value) -> Option<Snapshot> {
    let posting: JobPosting = serde_json::from_value(value).ok()?;
    let state = match posting.work_flow_state.and_then(|w| w.status).as_deref() {
        Some("CLOSED") => PostingState::Closed,
        _ => PostingState::Active,
    };
    let stat = posting.activity_stat;
    let (activity, bids) = match stat {
        Some(s) => (s.job_activity, s.applications_bid_stats),
        None => (None, None),
    };
    let mut figures = Figures::default();
    if let Some(a) = activity {
        figures.invites_sent = a.invites_sent;
        figures.interviewing = a.total_invited_to_interview;
        figures.hired = a.total_hired;
        figures.unanswered_invites = a.total_unanswered_invites;
        figures.offered = a.total_offered;
        figures.recommended = a.total_recommended;
        figures.last_client_activity = a.last_client_activity;
    }
    if let Some(b) = bids {
        figures.bid_avg = amount(b.avg_rate_bid);
        figures.bid_min = amount(b.min_rate_bid);
        figures.bid_max = amount(b.max_rate_bid);
        figures.bid_avg_interviewed = amount(b.avg_interviewed_rate_bid);
    }
    Some(Snapshot { state, figures })
}

/// Splits an answer to [`document`] for `count` postings into one outcome each, in order:
/// `Some` snapshot, or `None` when that posting's part failed. Fails when the document as a
/// whole failed (no `data`), with the error its errors call for.
pub fn decode(body: &[u8], count: usize) -> Result<Vec<Option<Snapshot>>, DecodeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let errors: Vec<super::wire::GraphQlError> = value
        .get("errors")
        .cloned()
        .and_then(|e| serde_json::from_value(e).ok())
        .unwrap_or_default();
    let Some(data) = value.get("data").and_then(Value::as_object) else {
        check_errors(Some(&errors))?;
        return Err(DecodeError::Shape("`data` is null".into()));
    };
    // The errors at an alias: "not found" says the posting is gone, anything else failed.
    let failed_at = |i: usize| {
        let alias = format!("p{i}");
        errors.iter().any(|e| {
            let at_alias = e
                .path
                .as_ref()
                .and_then(|p| p.first())
                .and_then(Value::as_str)
                .is_some_and(|first| first == alias);
            let gone = e
                .message
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains("not found"));
            at_alias && !gone
        })
    };
    let gone = || Snapshot {
        state: PostingState::Gone,
        figures: Figures::default(),
    };
    Ok((0..count)
        .map(|i| match data.get(&format!("p{i}")) {
            None | Some(Value::Null) if failed_at(i) => None,
            None | Some(Value::Null) => Some(gone()),
            Some(value) => snapshot(value.clone()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_document_asks_each_posting_under_its_alias_with_or_without_bid_stats() {
        let with = document(2, true);
        assert!(with.starts_with("query JobActivity($i0: ID!, $i1: ID!) {"));
        assert!(with.contains("p1: marketplaceJobPosting(id: $i1) {"));
        assert_eq!(with.matches(BID_STATS_FIELD).count(), 2);
        let without = document(2, false);
        assert!(!without.contains(BID_STATS_FIELD) && !without.contains("RateBid"));
        assert_eq!(without.matches("totalInvitedToInterview").count(), 2);
        assert_eq!(
            without.matches('{').count(),
            without.matches('}').count(),
            "{without}"
        );
    }

    #[test]
    fn each_posting_is_active_closed_gone_or_failed() {
        let body = json!({
            "data": {
                "p0": {"id": "1", "workFlowState": {"status": "ACTIVE"}, "activityStat": {
                    "jobActivity": {"lastClientActivity": "2026-12-06T10:00:00+0000", "invitesSent": 5,
                        "totalInvitedToInterview": 3, "totalHired": 0, "totalUnansweredInvites": 2,
                        "totalOffered": 0, "totalRecommended": null},
                    "applicationsBidStats": {"avgRateBid": {"rawValue": "40.0"}, "minRateBid": null,
                        "maxRateBid": {"rawValue": "x"}, "avgInterviewedRateBid": null}}},
                "p1": {"id": "2", "workFlowState": {"status": "CLOSED"}, "activityStat": null},
                "p2": null,
                "p3": null,
                "p4": null
            },
            "errors": [
                {"message": "Exception occurred", "path": ["p3"]},
                {"message": "Exception while fetching data (/p4) : Job posting not found: 9", "path": ["p4"],
                 "extensions": {"classification": "DataFetchingException"}}
            ]
        });
        let parts = decode(body.to_string().as_bytes(), 5).expect("decodes");
        let first = parts[0].as_ref().expect("p0");
        assert_eq!(first.state, PostingState::Active);
        assert_eq!(first.figures.interviewing, Some(3));
        assert_eq!(first.figures.invites_sent, Some(5));
        assert_eq!(first.figures.recommended, None);
        assert_eq!(first.figures.bid_avg, Some(40.0));
        assert_eq!(first.figures.bid_max, None);
        assert_eq!(
            parts[1].as_ref().map(|s| s.state),
            Some(PostingState::Closed)
        );
        assert_eq!(parts[2].as_ref().map(|s| s.state), Some(PostingState::Gone));
        assert_eq!(parts[3], None);
        assert_eq!(parts[4].as_ref().map(|s| s.state), Some(PostingState::Gone));
    }

    #[test]
    fn a_refused_document_is_a_permanent_error() {
        let body = json!({"errors": [{"message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [MarketplacePostingActivityStat.applicationsBidStats, ApplicationsBidStats.avgRateBid].",
            "extensions": {"classification": "ExecutionAborted"}}]});
        assert!(matches!(
            decode(body.to_string().as_bytes(), 1),
            Err(DecodeError::GraphQl {
                permanent: true,
                ..
            })
        ));
    }
}
