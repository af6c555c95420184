//! Fidelity of what the sandbox sends: a posting never carries data the real API could not send.
//!
//! Every key of a search node and of a job aggregate must be a field of its schema type, with a
//! value of that field's type; and a document selecting every field of a search result (and its
//! `job`) must execute without a single error, so no non-null field is ever missing.

use crate::support::sandbox::*;
use apollo_compiler::Schema;
use apollo_compiler::ast::Type;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use serde_json::{Value, json};

fn schema() -> Valid<Schema> {
    Schema::parse_and_validate(
        include_str!("../../crates/upwork-sandbox/schema/schema.graphql"),
        "schema.graphql",
    )
    .expect("the documented schema is valid")
}

/// Problems with `value` as a value of GraphQL type `ty`, as `path: problem` lines.
fn check(schema: &Schema, ty: &Type, value: &Value, path: &str, problems: &mut Vec<String>) {
    if value.is_null() {
        if ty.is_non_null() {
            problems.push(format!("{path}: null for non-null {ty}"));
        }
        return;
    }
    match ty {
        Type::List(item) | Type::NonNullList(item) => match value.as_array() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(schema, item, v, &format!("{path}[{i}]"), problems);
                }
            }
            None => problems.push(format!("{path}: not a list for {ty}")),
        },
        Type::Named(name) | Type::NonNullNamed(name) => match schema.types.get(name) {
            Some(ExtendedType::Object(object)) => match value.as_object() {
                Some(map) => {
                    for (key, v) in map {
                        match object.fields.get(key.as_str()) {
                            Some(field) => {
                                check(schema, &field.ty, v, &format!("{path}.{key}"), problems);
                            }
                            None => problems.push(format!("{path}.{key}: not a field of {name}")),
                        }
                    }
                }
                None => problems.push(format!("{path}: not an object for {name}")),
            },
            Some(ExtendedType::Enum(e)) => {
                if !value.as_str().is_some_and(|v| e.values.contains_key(v)) {
                    problems.push(format!("{path}: {value} is not a {name}"));
                }
            }
            Some(ExtendedType::Scalar(_)) => {
                let ok = match name.as_str() {
                    "String" | "ID" => value.is_string(),
                    "Int" => value.is_i64() || value.is_u64(),
                    "Float" => value.is_number(),
                    "Boolean" => value.is_boolean(),
                    _ => true,
                };
                if !ok {
                    problems.push(format!("{path}: {value} is not a {name}"));
                }
            }
            _ => problems.push(format!("{path}: unexpected type {name}")),
        },
    }
}

#[test]
fn nodes_and_jobs_hold_only_schema_fields_of_the_right_types() {
    let schema = schema();
    let sandbox = start(config());
    let (nodes, jobs) = sandbox.with_market(|market| {
        market
            .open_postings()
            .map(|p| (p.to_node(), p.to_job_posting(market.now())))
            .unzip::<_, _, Vec<_>, Vec<_>>()
    });
    let mut problems = Vec::new();
    let node_type = Type::NonNullNamed(apollo_compiler::name!("MarketplaceJobPostingSearchResult"));
    let job_type = Type::NonNullNamed(apollo_compiler::name!("MarketplaceJobPosting"));
    for (node, job) in nodes.iter().zip(&jobs) {
        check(&schema, &node_type, node, "node", &mut problems);
        check(&schema, &job_type, job, "job", &mut problems);
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Client-side fields Upwork refuses to a freelancer's key (the sandbox answers a scope error).
const REFUSED: [&str; 3] = ["clientProposals", "customFields", "jobPosts"];

/// A selection of every field of `type_name` without required arguments, `depth` objects deep.
fn everything(schema: &Schema, type_name: &str, depth: usize) -> String {
    let Some(ExtendedType::Object(object)) = schema.types.get(type_name) else {
        return "__typename".to_owned();
    };
    let mut parts = Vec::new();
    for (name, field) in &object.fields {
        if REFUSED.contains(&name.as_str())
            || field
                .arguments
                .iter()
                .any(|a| a.ty.is_non_null() && a.default_value.is_none())
        {
            continue;
        }
        let inner = field.ty.inner_named_type();
        match schema.types.get(inner) {
            Some(ExtendedType::Scalar(_) | ExtendedType::Enum(_)) => parts.push(name.to_string()),
            Some(ExtendedType::Object(_)) if depth > 0 => {
                parts.push(format!(
                    "{name} {{ {} }}",
                    everything(schema, inner, depth - 1)
                ));
            }
            Some(ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                parts.push(format!("{name} {{ __typename }}"));
            }
            _ => {}
        }
    }
    parts.join(" ")
}

#[test]
fn selecting_every_field_of_a_search_result_gives_no_errors() {
    let schema = schema();
    let sandbox = start(config());
    let query = format!(
        "{{ marketplaceJobPostingsSearch(marketPlaceJobFilter: {{pagination_eq: {{after: \"0\", first: 50}}}}) {{ totalCount edges {{ cursor node {{ {} }} }} pageInfo {{ endCursor hasNextPage }} }} }}",
        everything(&schema, "MarketplaceJobPostingSearchResult", 4)
    );
    let (status, body) = graphql(&sandbox, &token(&sandbox), &query, json!({}));
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{}", body["errors"]);
    let edges = body["data"]["marketplaceJobPostingsSearch"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 50);
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["job"]["id"] == e["node"]["id"])
    );
}

/// The schemas are vendored into the crate so a clone builds on its own; where the project's
/// shared folder sits beside the repository, the copies must still be the documented ones.
#[test]
fn the_vendored_schemas_match_the_shared_documentation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["schema.graphql", "upwork-jobs.graphql"] {
        let shared = root.join("../shared/upwork").join(name);
        let Ok(documented) = std::fs::read_to_string(&shared) else {
            eprintln!("{} is not here: comparison skipped", shared.display());
            continue;
        };
        let vendored =
            std::fs::read_to_string(root.join("crates/upwork-sandbox/schema").join(name))
                .expect("vendored schema");
        assert!(
            vendored == documented,
            "crates/upwork-sandbox/schema/{name} differs from {}: copy it again",
            shared.display()
        );
    }
}
