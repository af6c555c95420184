//! Decoding a `marketplaceJobPostingsSearch` response body.
//!
//! The fetch stage needs only what paging needs (ids, publish times, the cursor), so this reads
//! the body once, leniently: a node with a missing id or an unreadable time is kept out of the
//! paging decisions here and quarantined later by the load stage, which reads the full node.
//! What must be right for paging (the connection, `pageInfo`) makes the whole body unusable when
//! it is wrong, and the fetch stage then asks again.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

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
}

/// One posting as paging sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeSummary {
    /// The posting id, if the node had one.
    pub id: Option<String>,
    /// `publishedDateTime`, if readable.
    pub published: Option<DateTime<Utc>>,
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
struct Body<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: Option<String>,
    extensions: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "marketplaceJobPostingsSearch", borrow)]
    search: Option<Connection<'a>>,
}

#[derive(Deserialize)]
struct Connection<'a> {
    #[serde(rename = "totalCount")]
    total_count: Option<i64>,
    #[serde(borrow)]
    edges: Option<Vec<Option<Edge<'a>>>>,
    #[serde(rename = "pageInfo")]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct Edge<'a> {
    #[serde(borrow)]
    node: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(rename = "endCursor")]
    end_cursor: Option<String>,
    #[serde(rename = "hasNextPage")]
    has_next_page: Option<bool>,
}

#[derive(Deserialize)]
struct NodeKeys {
    id: Option<serde_json::Value>,
    #[serde(rename = "publishedDateTime")]
    published: Option<String>,
}

/// Decodes a response body into what paging needs.
pub fn decode(body: &[u8]) -> Result<PageSummary, DecodeError> {
    let body: Body<'_> =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    if let Some(errors) = body.errors.filter(|e| !e.is_empty()) {
        let permanent = errors.iter().any(is_permanent);
        let messages = errors
            .iter()
            .map(|e| e.message.as_deref().unwrap_or("(no message)"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(DecodeError::GraphQl {
            messages,
            permanent,
        });
    }
    let connection = body
        .data
        .and_then(|d| d.search)
        .ok_or_else(|| DecodeError::Shape("`marketplaceJobPostingsSearch` is null".into()))?;
    let page_info = connection
        .page_info
        .ok_or_else(|| DecodeError::Shape("`pageInfo` is missing".into()))?;
    let edges = connection
        .edges
        .unwrap_or_default()
        .into_iter()
        .map(|edge| {
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
                },
                None => EdgeSummary {
                    id: None,
                    published: None,
                },
            }
        })
        .collect();
    Ok(PageSummary {
        total_count: connection.total_count,
        edges,
        end_cursor: page_info.end_cursor,
        has_next_page: page_info.has_next_page.unwrap_or(false),
    })
}

fn is_permanent(error: &GraphQlError) -> bool {
    let classification = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("classification"))
        .and_then(|c| c.as_str())
        .unwrap_or("");
    let message = error.message.as_deref().unwrap_or("");
    classification == "ValidationError"
        || message.contains("permissions/scopes")
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
