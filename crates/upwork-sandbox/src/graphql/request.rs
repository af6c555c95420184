//! A GraphQL request: the body as sent, and the [`Context`] it runs in (what the token may read,
//! how far a search may page, which of live Upwork's quirks to imitate).

use crate::config::Scope;
use crate::market::Market;
use crate::realism::Realism;

/// Page size when a search sends no `pagination_eq` (seen live).
pub(crate) const DEFAULT_PAGE_SIZE: usize = 10;

/// A GraphQL request body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub(crate) query: String,
    pub(crate) variables: serde_json::Map<String, serde_json::Value>,
    pub(crate) operation_name: Option<String>,
}

/// A request body that is not a GraphQL request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    #[error("the body is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the body has no `query` string")]
    NoQuery,
    #[error("`variables` must be an object")]
    BadVariables,
}

impl Request {
    /// Reads `{"query", "variables", "operationName"}`.
    pub(crate) fn parse(body: &[u8]) -> Result<Request, RequestError> {
        let value: serde_json::Value = serde_json::from_slice(body)?;
        let query = value
            .get("query")
            .and_then(serde_json::Value::as_str)
            .ok_or(RequestError::NoQuery)?
            .to_owned();
        let variables = match value.get("variables") {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(map)) => map.clone(),
            Some(_) => return Err(RequestError::BadVariables),
        };
        let operation_name = value
            .get("operationName")
            .and_then(serde_json::Value::as_str)
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        Ok(Request {
            query,
            variables,
            operation_name,
        })
    }
}

/// What a request may read and how far it may page.
pub(crate) struct Context<'a> {
    pub(crate) market: &'a Market,
    pub(crate) scopes: &'a [Scope],
    pub(crate) max_page_size: usize,
    pub(crate) max_offset: usize,
    /// How the answers imitate live Upwork's quirks.
    pub(crate) realism: &'a Realism,
}
