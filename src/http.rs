//! What every HTTP answer the product reads goes through: a cap on the body's size.
//!
//! A server (or anything answering in its place: a captive portal, a misconfigured proxy) could
//! otherwise make a sync read without end. Both the token endpoint (`auth`) and the GraphQL
//! endpoint (`upwork`) read bodies only through [`read_body`], and any text of a server's that
//! reaches a message or a log goes through [`printable`].

/// The largest GraphQL answer read: a page of 100 postings with long descriptions is about
/// 2 MB, so this leaves room without letting a broken server fill memory.
pub const MAX_GRAPHQL_BODY: usize = 32 << 20;
/// The largest token endpoint answer read (a real one is under 1 kB).
pub const MAX_TOKEN_BODY: usize = 64 << 10;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the cap.
    #[error("the response is larger than {} kB; refusing to read it", limit / 1024)]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The connection broke while reading.
    #[error(transparent)]
    Read(#[from] reqwest::Error),
}

/// Reads `response`'s body, failing as soon as it passes `limit` bytes.
pub async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Untrusted text (a callback's query, a server's `error_description`) made safe to print:
/// control characters, which could rewrite the user's terminal, become `?`, and the length is
/// capped.
pub fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}
