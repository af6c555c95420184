//! What `/graphql` answers, in graphql-java's shapes: the response body, its `errors` entries and
//! their locations.

use apollo_compiler::response::{JsonMap, JsonValue};
use serde::Serialize;

/// The message of the `errors` entry a search without `after` gets in the
/// [`MissingAfter::ErrorsEntry`](crate::MissingAfter::ErrorsEntry) form (API.md: "an `errors`
/// entry "Exception occurred""). Only the message is reported; the entry's `locations`, `path`
/// and `DataFetchingException` classification are graphql-java's usual ones for a failed data
/// fetcher (guess).
pub(crate) const EXCEPTION_OCCURRED: &str = "Exception occurred";

/// A GraphQL response body, serialized in graphql-java's order: `errors` first, then `data`.
#[derive(Debug, Serialize)]
pub(crate) struct Response {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) errors: Vec<GqlError>,
    /// `None`: no `data` key; `Some(None)`: `"data": null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) data: Option<Option<JsonMap>>,
    /// The first root field's response key and location, for injected errors.
    #[serde(skip)]
    pub(super) first_root: Option<(String, Vec<Location>)>,
}

/// One entry of `errors`, with graphql-java's keys and order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GqlError {
    pub(super) message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) path: Option<Vec<serde_json::Value>>,
    extensions: Extensions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Location {
    pub(super) line: usize,
    pub(super) column: usize,
}

#[derive(Debug, Clone, Serialize)]
struct Extensions {
    classification: String,
}

impl GqlError {
    pub(super) fn new(
        message: impl Into<String>,
        locations: Vec<Location>,
        classification: &str,
    ) -> Self {
        GqlError {
            message: message.into(),
            locations,
            path: None,
            extensions: Extensions {
                classification: classification.to_owned(),
            },
        }
    }
}

impl Response {
    pub(super) fn errors(errors: Vec<GqlError>) -> Self {
        Response {
            errors,
            data: None,
            first_root: None,
        }
    }

    /// Replaces this response by a data-fetching failure of the first root field: with
    /// `partial`, `data` stays with that field null; without, there is no `data`.
    pub(crate) fn inject_error(&mut self, partial: bool) {
        let (key, locations) = self
            .first_root
            .clone()
            .unwrap_or_else(|| ("marketplaceJobPostingsSearch".to_owned(), Vec::new()));
        let mut error = GqlError::new(
            format!("Exception while fetching data (/{key}) : Internal server error"),
            locations,
            "DataFetchingException",
        );
        error.path = Some(vec![serde_json::Value::String(key.clone())]);
        self.errors = vec![error];
        self.data = if partial {
            let mut data = self.data.take().flatten().unwrap_or_default();
            data.insert(key.as_str(), JsonValue::Null);
            Some(Some(data))
        } else {
            None
        };
    }

    /// The body as JSON bytes.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}
