//! Decoding a `marketplaceJobPostingsSearch` response body.
//!
//! The fetch stage needs only what paging needs (ids, publish times, the cursor), so this reads
//! the body once, leniently: a node with a missing id or an unreadable time is kept out of the
//! paging decisions here and quarantined later by the load stage, which reads the full node.
//! What must be right for paging (the connection, `pageInfo`) makes the whole body unusable when
//! it is wrong, and the fetch stage then asks again.
//!
//! Upwork's server is graphql-java: a null in a field the schema marks non-null nulls the nearest
//! nullable parent (for a posting, its edge) and adds an `errors` entry with the `path`, while the
//! rest of `data` still comes (API.md, "partial success"). Such a page is usable: its good
//! postings are kept, and [`PageSummary::errors`] says what was lost where. Only `errors` with no
//! search result at all fail the page.

use super::wire::{Envelope, GraphQlError, ProfileData, SearchResponse};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::Deserialize;

/// What paging needs from one response.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSummary {
    /// Upwork's count of all matches, when sent.
    pub total_count: Option<i64>,
    /// The postings on the page, in order.
    pub edges: Vec<EdgeSummary>,
    /// The offset of the next page, as a string.
    pub end_cursor: Option<String>,
    /// Whether Upwork says another page follows.
    pub has_next_page: bool,
    /// GraphQL errors of a partial answer (`message at path`); empty for a clean page.
    pub errors: Vec<String>,
}

impl PageSummary {
    /// Edges that came as null: postings this page should have had but Upwork withheld.
    pub fn lost(&self) -> usize {
        self.edges.iter().filter(|e| e.null).count()
    }
}

/// One posting as paging sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeSummary {
    /// The posting id, if the node had one.
    pub id: Option<String>,
    /// `publishedDateTime`, if readable.
    pub published: Option<DateTime<Utc>>,
    /// `renewedDateTime`, if set and readable.
    pub renewed: Option<DateTime<Utc>>,
    /// The edge itself was null (an error nulled it).
    pub null: bool,
}

impl EdgeSummary {
    /// Where the posting sorts under `RECENCY` if Upwork sorts by the latest of publication and
    /// renewal (nothing public says which; see API.md): the later of the two.
    pub fn recency(&self) -> Option<DateTime<Utc>> {
        match (self.published, self.renewed) {
            (Some(p), Some(r)) => Some(p.max(r)),
            (p, r) => p.or(r),
        }
    }
}

/// Why a body is unusable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON at all (an HTML error page, a cut-off body).
    #[error("response is not JSON: {0}")]
    NotJson(String),
    /// GraphQL `errors`: the operation failed.
    #[error("upwork answered with errors: {messages}")]
    GraphQl {
        /// The messages, joined.
        messages: String,
        /// Whether Upwork rejected the document itself (validation or permissions): asking
        /// again cannot help.
        permanent: bool,
    },
    /// JSON, but not a search connection.
    #[error("response has no job search result: {0}")]
    Shape(String),
}

#[derive(Deserialize)]
struct NodeKeys {
    id: Option<serde_json::Value>,
    #[serde(rename = "publishedDateTime")]
    published: Option<String>,
    #[serde(rename = "renewedDateTime")]
    renewed: Option<String>,
}

/// Decodes a response body into what paging needs.
pub fn decode(body: &[u8]) -> Result<PageSummary, DecodeError> {
    let body: SearchResponse<'_> =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let errors = body.errors.unwrap_or_default();
    let connection = match body.data.and_then(|d| d.search) {
        Some(connection) if !errors.iter().any(is_permanent) => connection,
        // No search result (or the document itself was refused): the page failed.
        _ => {
            check_errors(Some(&errors))?;
            return Err(DecodeError::Shape(
                "`marketplaceJobPostingsSearch` is null".into(),
            ));
        }
    };
    let page_info = connection
        .page_info
        .ok_or_else(|| DecodeError::Shape("`pageInfo` is missing".into()))?;
    let edges = connection
        .edges
        .unwrap_or_default()
        .into_iter()
        .map(|edge| {
            let null = edge.as_ref().is_none_or(|e| e.node.is_none());
            let keys = edge
                .and_then(|e| e.node)
                .and_then(|raw| serde_json::from_str::<NodeKeys>(raw.get()).ok());
            match keys {
                Some(keys) => EdgeSummary {
                    id: keys.id.and_then(|v| match v {
                        serde_json::Value::String(s) if !s.is_empty() => Some(s),
                        _ => None,
                    }),
                    published: keys.published.as_deref().and_then(parse_timestamp),
                    renewed: keys.renewed.as_deref().and_then(parse_timestamp),
                    null,
                },
                None => EdgeSummary {
                    id: None,
                    published: None,
                    renewed: None,
                    null,
                },
            }
        })
        .collect();
    Ok(PageSummary {
        total_count: connection.total_count,
        edges,
        end_cursor: page_info.end_cursor,
        has_next_page: page_info.has_next_page.unwrap_or(false),
        errors: errors.iter().map(describe_error).collect(),
    })
}

/// `at a/b/0/c: message`, for logs and notes (the path first: messages run long).
pub fn describe_error(error: &GraphQlError) -> String {
    let message = error.message.as_deref().unwrap_or("(no message)");
    match &error.path {
        Some(path) if !path.is_empty() => {
            let path: Vec<String> = path
                .iter()
                .map(|p| match p {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            crate::http::printable(&format!("at {}: {message}", path.join("/")))
        }
        _ => crate::http::printable(message),
    }
}

/// Fails on a GraphQL `errors` array: the operation failed.
pub(super) fn check_errors(errors: Option<&[GraphQlError]>) -> Result<(), DecodeError> {
    let Some(errors) = errors.filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    let permanent = errors.iter().any(is_permanent);
    let messages = errors
        .iter()
        .map(|e| e.message.as_deref().unwrap_or("(no message)"))
        .collect::<Vec<_>>()
        .join("; ");
    Err(DecodeError::GraphQl {
        messages,
        permanent,
    })
}

/// Decodes a `ping.graphql` answer: any `data` without errors.
pub fn decode_ping(body: &[u8]) -> Result<(), DecodeError> {
    let body: Envelope<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    check_errors(body.errors.as_deref())?;
    body.data
        .map(|_| ())
        .ok_or_else(|| DecodeError::Shape("`data` is null".into()))
}

/// Decodes a `profile.graphql` answer into the profile's skill labels, once each (ignoring
/// case), in profile order. Labels with a comma are left out: a search's skill list is
/// comma-separated.
pub fn decode_profile_skills(body: &[u8]) -> Result<Vec<String>, DecodeError> {
    let body: Envelope<ProfileData> =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    check_errors(body.errors.as_deref())?;
    let edges = body
        .data
        .and_then(|d| d.user)
        .and_then(|u| u.freelancer_profile)
        .and_then(|p| p.skills)
        .and_then(|s| s.edges)
        .ok_or_else(|| {
            DecodeError::Shape(
                "the answer has no profile skills (data.user.freelancerProfile.skills)".into(),
            )
        })?;
    let mut skills: Vec<String> = Vec::new();
    for node in edges.into_iter().flatten().filter_map(|e| e.node) {
        let label = node
            .pretty_name
            .as_deref()
            .or(node.preferred_label.as_deref())
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains(','));
        if let Some(label) = label
            && !skills.iter().any(|s| s.eq_ignore_ascii_case(label))
        {
            skills.push(label.to_string());
        }
    }
    Ok(skills)
}

/// The fields a permission error names (`Type.field`, in the order given), when `message` is
/// Upwork's answer to a key without the permission (HTTP 200, classification `ExecutionAborted`,
/// "... permissions/scopes to access: [Money.rawValue, PageInfo.endCursor]."); `None` for any
/// other message.
pub fn refused_fields(message: &str) -> Option<Vec<String>> {
    let at = message.find(SCOPE_ERROR)?;
    let rest = &message[at..];
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    Some(
        rest[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// What every permission error of Upwork's says.
const SCOPE_ERROR: &str = "permissions/scopes";

fn is_permanent(error: &GraphQlError) -> bool {
    let classification = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("classification"))
        .and_then(|c| c.as_str())
        .unwrap_or("");
    let message = error.message.as_deref().unwrap_or("");
    classification == "ValidationError"
        || message.contains(SCOPE_ERROR)
        || message.starts_with("Validation error")
}

/// Parses Upwork's timestamps leniently: `2025-10-16T06:06:47+0000` as seen live, RFC 3339
/// (`Z` or `+00:00`, with or without a fraction), and a bare local time taken as UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_seen_format() {
        let expected = "2025-10-16T06:06:47Z".parse::<DateTime<Utc>>().ok();
        for text in [
            "2025-10-16T06:06:47+0000",
            "2025-10-16T06:06:47Z",
            "2025-10-16T06:06:47.000+00:00",
            "2025-10-16T08:06:47+0200",
            "2025-10-16T06:06:47",
        ] {
            assert_eq!(parse_timestamp(text), expected, "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn validation_errors_are_permanent_and_others_are_not() {
        let body = br#"{"errors":[{"message":"Validation error (FieldUndefined@[x]) : no","extensions":{"classification":"ValidationError"}}]}"#;
        assert!(matches!(
            decode(body),
            Err(DecodeError::GraphQl {
                permanent: true,
                ..
            })
        ));
        let body = br#"{"errors":[{"message":"Internal error"}],"data":{"marketplaceJobPostingsSearch":null}}"#;
        assert!(matches!(
            decode(body),
            Err(DecodeError::GraphQl {
                permanent: false,
                ..
            })
        ));
    }

    #[test]
    fn profile_skills_come_once_each_and_scope_errors_are_permanent() {
        let body = br#"{"data": {"user": {"freelancerProfile": {"skills": {"edges": [
            {"node": {"preferredLabel": "Rust", "prettyName": "Rust"}},
            {"node": {"preferredLabel": "rust", "prettyName": null}},
            {"node": {"preferredLabel": "Docker"}},
            {"node": {"prettyName": "  "}}]}}}}}"#;
        assert_eq!(
            decode_profile_skills(body).expect("skills"),
            ["Rust", "Docker"]
        );
        let refused = br#"{"errors": [{"message": "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [Query.user, CurrentUser.id]."}]}"#;
        assert!(matches!(
            decode_profile_skills(refused),
            Err(DecodeError::GraphQl {
                permanent: true,
                ..
            })
        ));
    }

    #[test]
    fn a_partial_answer_keeps_its_good_postings_and_says_what_was_lost() {
        let body = br#"{"errors":[{"message":"The field at path '/marketplaceJobPostingsSearch/edges[1]/node/totalApplicants' was declared as a non null type, but the code involved in retrieving data has wrongly returned a null value.","path":["marketplaceJobPostingsSearch","edges",1,"node","totalApplicants"],"extensions":{"classification":"NullValueInNonNullableField"}}],
            "data":{"marketplaceJobPostingsSearch":{"totalCount":3,"edges":[
            {"cursor":"0","node":{"id":"1","publishedDateTime":"2025-10-16T06:06:47+0000"}},
            null,
            {"cursor":"2","node":{"id":"3","publishedDateTime":"2025-10-16T06:00:00+0000","renewedDateTime":"2025-10-16T07:00:00+0000"}}],
            "pageInfo":{"endCursor":"3","hasNextPage":false}}}}"#;
        let page = decode(body).expect("a partial page is usable");
        assert_eq!(page.edges.len(), 3);
        assert_eq!(page.lost(), 1);
        assert_eq!(page.edges[0].id.as_deref(), Some("1"));
        assert!(page.edges[1].null);
        assert_eq!(page.errors.len(), 1);
        assert!(
            page.errors[0]
                .starts_with("at marketplaceJobPostingsSearch/edges/1/node/totalApplicants: "),
            "{:?}",
            page.errors
        );
        assert_eq!(
            page.edges[2].recency(),
            parse_timestamp("2025-10-16T07:00:00Z")
        );
        // The whole search nulled: not usable, asked again.
        let body = br#"{"errors":[{"message":"Exception occurred","path":["marketplaceJobPostingsSearch"]}],"data":{"marketplaceJobPostingsSearch":null}}"#;
        assert!(matches!(
            decode(body),
            Err(DecodeError::GraphQl {
                permanent: false,
                ..
            })
        ));
    }

    #[test]
    fn a_permission_error_names_its_fields_and_nothing_else_does() {
        let message = "The client or authentication token doesn't have enough oauth2 permissions/scopes to access: [MarketplacePostingActivityStat.applicationsBidStats, ApplicationsBidStats.avgRateBid].";
        assert_eq!(
            refused_fields(message).expect("a permission error"),
            [
                "MarketplacePostingActivityStat.applicationsBidStats",
                "ApplicationsBidStats.avgRateBid"
            ]
        );
        assert_eq!(refused_fields("Exception occurred [x]"), None);
    }

    #[test]
    fn html_is_not_json() {
        assert!(matches!(
            decode(b"<html>502</html>"),
            Err(DecodeError::NotJson(_))
        ));
    }

    #[test]
    fn a_broken_node_does_not_break_the_page() {
        let body = br#"{"data":{"marketplaceJobPostingsSearch":{"totalCount":2,"edges":[
            {"cursor":"0","node":{"id":"1","publishedDateTime":"2025-10-16T06:06:47+0000"}},
            {"cursor":"1","node":{"id":null,"publishedDateTime":17}}],
            "pageInfo":{"endCursor":"2","hasNextPage":false}}}}"#;
        let page = decode(body).expect("decodes");
        assert_eq!(page.edges.len(), 2);
        assert_eq!(page.edges[0].id.as_deref(), Some("1"));
        assert_eq!(page.edges[1].id, None);
        assert_eq!(page.end_cursor.as_deref(), Some("2"));
    }
}
