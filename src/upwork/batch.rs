//! The first pages of several searches in one GraphQL document, and the answer split back into
//! one search answer each.
//!
//! An idle poll of ten searches would otherwise cost ten requests of Upwork's daily budget for
//! ten empty answers. The batch document asks `marketplaceJobPostingsSearch` once per search
//! under the aliases `s0`, `s1`, ... with the selection of `search.graphql`, so each part of the
//! answer has exactly the shape of a single search's answer. [`split`] rebuilds those single
//! answers (`data.marketplaceJobPostingsSearch` and the errors whose path starts at its alias),
//! so the spool, the page decoder and the load see nothing new. Errors that name no alias concern
//! the whole document and go with every part.

use super::page::{self, DecodeError};
use super::queries::SEARCH_QUERY;
use serde_json::{Map, Value, json};

/// The selection set of the search document's root field, braces included.
fn selection() -> &'static str {
    let after_arguments = SEARCH_QUERY
        .find("marketplaceJobPostingsSearch(")
        .and_then(|at| SEARCH_QUERY[at..].find(')').map(|close| at + close))
        .unwrap_or(0);
    braced(SEARCH_QUERY, after_arguments)
}

/// The first `{ ... }` block of `text` at or after `from`, braces included (to the end of
/// `text` if it is not closed).
pub(super) fn braced(text: &str, from: usize) -> &str {
    let start = text[from..]
        .find('{')
        .map_or(text.len(), |open| from + open);
    let mut depth = 0;
    for (offset, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..=start + offset];
                }
            }
            _ => {}
        }
    }
    &text[start..]
}

/// The batch document for `count` searches; its variables are `$f0`, `$o0` (filter, sort), ...
pub fn document(count: usize) -> String {
    let selection = selection();
    let mut variables = Vec::new();
    let mut fields = String::new();
    for i in 0..count {
        variables.push(format!(
            "$f{i}: MarketplaceJobPostingsSearchFilter, $o{i}: [MarketplaceJobPostingSearchSortAttribute]"
        ));
        fields.push_str(&format!(
            "  s{i}: marketplaceJobPostingsSearch(marketPlaceJobFilter: $f{i}, searchType: USER_JOBS_SEARCH, sortAttributes: $o{i}) {selection}\n"
        ));
    }
    format!(
        "query JobSearchBatch({}) {{\n{fields}}}\n",
        variables.join(", ")
    )
}

/// Splits a batch answer into one single-search answer body per search, in order. Fails when
/// the document as a whole failed (no `data`), with the error its errors call for.
pub fn split(body: &[u8], count: usize) -> Result<Vec<Vec<u8>>, DecodeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let Some(data) = value.get("data").and_then(Value::as_object) else {
        // Decoded as a single answer, whose classification of the errors applies.
        return Err(page::decode(body)
            .err()
            .unwrap_or_else(|| DecodeError::Shape("`data` is null".into())));
    };
    let errors: Vec<Value> = value
        .get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let alias_of = |error: &Value| -> Option<usize> {
        error
            .get("path")
            .and_then(Value::as_array)
            .and_then(|path| path.first())
            .and_then(Value::as_str)
            .and_then(|key| key.strip_prefix('s'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n < count)
    };
    let mut parts = Vec::with_capacity(count);
    for i in 0..count {
        let mut part_errors = Vec::new();
        for error in &errors {
            match alias_of(error) {
                Some(n) if n == i => {
                    let mut error = error.clone();
                    if let Some(first) = error
                        .get_mut("path")
                        .and_then(Value::as_array_mut)
                        .and_then(|p| p.first_mut())
                    {
                        *first = json!("marketplaceJobPostingsSearch");
                    }
                    part_errors.push(error);
                }
                Some(_) => {}
                None => part_errors.push(error.clone()),
            }
        }
        let mut part = Map::new();
        part.insert(
            "data".into(),
            json!({ "marketplaceJobPostingsSearch": data.get(&format!("s{i}")).cloned().unwrap_or(Value::Null) }),
        );
        if !part_errors.is_empty() {
            part.insert("errors".into(), Value::Array(part_errors));
        }
        parts.push(serde_json::to_vec(&Value::Object(part)).unwrap_or_default());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_asks_the_single_documents_selection_under_each_alias() {
        let doc = document(2);
        assert!(doc.starts_with("query JobSearchBatch($f0: MarketplaceJobPostingsSearchFilter"));
        assert_eq!(doc.matches(selection()).count(), 2);
        assert!(selection().starts_with('{') && selection().ends_with('}'));
        assert!(selection().contains("totalCount") && selection().contains("pageInfo"));
    }

    #[test]
    fn each_part_gets_its_data_and_its_errors_and_the_documents_errors() {
        let body = json!({
            "data": {"s0": {"totalCount": 1}, "s1": null},
            "errors": [
                {"message": "broken", "path": ["s1", "edges", 0]},
                {"message": "about everything"}
            ]
        });
        let parts = split(body.to_string().as_bytes(), 2).expect("split");
        let part = |i: usize| serde_json::from_slice::<Value>(&parts[i]).expect("json");
        assert_eq!(
            part(0)["data"]["marketplaceJobPostingsSearch"]["totalCount"],
            1
        );
        assert_eq!(part(0)["errors"].as_array().expect("errors").len(), 1);
        assert_eq!(part(1)["data"]["marketplaceJobPostingsSearch"], Value::Null);
        assert_eq!(
            part(1)["errors"][0]["path"],
            json!(["marketplaceJobPostingsSearch", "edges", 0])
        );
        let refused = json!({"errors": [{"message": "Validation error: no", "extensions": {"classification": "ValidationError"}}]});
        assert!(matches!(
            split(refused.to_string().as_bytes(), 2),
            Err(DecodeError::GraphQl {
                permanent: true,
                ..
            })
        ));
    }
}
