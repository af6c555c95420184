//! Resolvers: the market and the sandbox's fixed account, seen through the schema.
//!
//! The root object answers the five root fields the sandbox serves. Everything below a root field
//! is plain JSON in the live wire format, keyed by schema field names (the market's
//! `Posting::to_node`/`to_job_posting` as the realism switches alter them, the fixed user and
//! organization here), read by one generic [`JsonObject`] that lets the schema's field types
//! decide what is a leaf, a list or an object. apollo-compiler's executor then picks exactly the
//! selected fields, so aliases, fragments, directives and `__typename` come for free and a field
//! the data lacks is null.

use super::request::{Context, DEFAULT_PAGE_SIZE};
use super::response::EXCEPTION_OCCURRED;
use crate::market::{Posting, Skill};
use crate::realism::MissingAfter;
use crate::search::{Filter, SortField};
use apollo_compiler::Schema;
use apollo_compiler::ast::Type;
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::ExtendedType;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::cell::Cell;

/// The `Query` object.
pub(super) struct QueryRoot<'c> {
    ctx: &'c Context<'c>,
    internal_error: Cell<bool>,
}

impl<'c> QueryRoot<'c> {
    pub(super) fn new(ctx: &'c Context<'c>) -> Self {
        QueryRoot {
            ctx,
            internal_error: Cell::new(false),
        }
    }

    /// Whether a resolver hit a failure that Upwork answers with HTTP 500.
    pub(super) fn internal_error(&self) -> bool {
        self.internal_error.get()
    }

    fn arguments(info: &ResolveInfo<'_>) -> Value {
        serde_json::to_value(info.arguments()).unwrap_or_default()
    }

    /// One page of `marketplaceJobPostingsSearch` as a connection object.
    fn search(&self, info: &ResolveInfo<'_>) -> Result<Value, FieldError> {
        let args = Self::arguments(info);
        let filter_json = args
            .get("marketPlaceJobFilter")
            .cloned()
            .unwrap_or(Value::Null);
        let filter = Filter::from_json(&filter_json).map_err(|e| FieldError {
            message: e.to_string(),
        })?;
        let (offset, first) = match filter.pagination() {
            None => (0, DEFAULT_PAGE_SIZE),
            Some((after, first)) => {
                // Live, a search without `after` fails, in one of the two reported forms; so does
                // an `after` that is not an offset, as the same server code would parse it.
                let Some(offset) = after.and_then(|a| a.trim().parse::<usize>().ok()) else {
                    let message = match self.ctx.realism.missing_after {
                        MissingAfter::Http500 => {
                            self.internal_error.set(true);
                            "pagination_eq.after is missing or not an offset"
                        }
                        MissingAfter::ErrorsEntry => EXCEPTION_OCCURRED,
                    };
                    return Err(FieldError {
                        message: message.to_owned(),
                    });
                };
                (offset, usize::try_from(first).unwrap_or(0))
            }
        };
        let sort: Vec<SortField> = args
            .get("sortAttributes")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.get("field").and_then(Value::as_str))
                    .filter_map(SortField::from_name)
                    .collect()
            })
            .unwrap_or_default();
        let market = self.ctx.market;
        // The same search without its pagination is the same result: its pages come from one
        // scan of the market (until the market changes).
        let mut key_filter = filter_json.clone();
        if let Some(object) = key_filter.as_object_mut() {
            object.remove("pagination_eq");
        }
        let key = format!("{key_filter}|{sort:?}");
        let first = first.min(self.ctx.max_page_size);
        let cap = self.ctx.max_offset;
        let len = first.min(cap.saturating_sub(offset));
        let (total, page) = market.search_page(&key, &filter, &sort, offset, len);
        let reachable = total.min(cap);
        let end = offset + page.len();
        let edges: Vec<Value> = page
            .iter()
            .enumerate()
            .map(|(i, posting)| {
                let node = self.ctx.realism.search_node(market.seed(), posting);
                json!({"cursor": (offset + i).to_string(), "node": node})
            })
            .collect();
        Ok(json!({
            "totalCount": total,
            "edges": edges,
            "pageInfo": {"endCursor": end.to_string(), "hasNextPage": end < reachable},
        }))
    }
}

impl ObjectValue for QueryRoot<'_> {
    fn type_name(&self) -> &str {
        "Query"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let value = match info.field_name() {
            "marketplaceJobPostingsSearch" => self.search(info)?,
            "marketplaceJobPosting" => {
                let args = Self::arguments(info);
                let id = args.get("id").and_then(Value::as_str).unwrap_or_default();
                match self.ctx.market.get(id).filter(|p| !p.removed) {
                    Some(posting) => job_posting(self.ctx, posting),
                    None => {
                        return Err(FieldError {
                            message: format!("{JOB_NOT_FOUND}: {id}"),
                        });
                    }
                }
            }
            "user" => sandbox_user(),
            "organization" => sandbox_organization(),
            "companySelector" => sandbox_company_selector(),
            _ => return Err(self.unknown_field_error(info)),
        };
        resolve_owned(info.schema(), self.ctx, &info.field_definition().ty, value)
    }
}

/// What a `marketplaceJobPosting(id)` whose id never existed or was removed fails with, before
/// the id. The evidence has no such answer; the sandbox answers as graphql-java does when a data
/// fetcher throws: that field (that alias) `null`, an `errors` entry with its `path`, locations
/// and `DataFetchingException`, the document's other fields answered. Closed postings are found.
pub(super) const JOB_NOT_FOUND: &str = "Job posting not found";

/// The job aggregate of `posting` at the market's clock, as the realism switches render it.
fn job_posting(ctx: &Context<'_>, posting: &Posting) -> Value {
    ctx.realism
        .job_posting(ctx.market.seed(), posting, ctx.market.now())
}

/// An object of the schema backed by JSON keyed by its field names.
pub(super) struct JsonObject<'v> {
    ty: &'v str,
    value: Cow<'v, Value>,
    /// For the one link the JSON leaves out: a search result's `job` aggregate, built on demand.
    ctx: &'v Context<'v>,
}

impl ObjectValue for JsonObject<'_> {
    fn type_name(&self) -> &str {
        self.ty
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let ty = &info.field_definition().ty;
        if self.ty == "MarketplaceJobPostingSearchResult" && info.field_name() == "job" {
            let id = self
                .value
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let job = self
                .ctx
                .market
                .get(id)
                .map_or(Value::Null, |p| job_posting(self.ctx, p));
            return resolve_owned(info.schema(), self.ctx, ty, job);
        }
        let value = self.value.get(info.field_name()).unwrap_or(&Value::Null);
        resolve(info.schema(), self.ctx, ty, value)
    }
}

/// Like [`resolve`], for an object value the resolver built itself.
fn resolve_owned<'a>(
    schema: &'a Schema,
    ctx: &'a Context<'a>,
    ty: &'a Type,
    value: Value,
) -> Result<ResolvedValue<'a>, FieldError> {
    match (ty, &value) {
        (_, Value::Null) => Ok(ResolvedValue::null()),
        (Type::Named(name) | Type::NonNullNamed(name), Value::Object(_)) => {
            let ty = concrete_type(schema, name.as_str(), &value)?;
            Ok(ResolvedValue::object(JsonObject {
                ty,
                value: Cow::Owned(value),
                ctx,
            }))
        }
        _ => Err(FieldError {
            message: format!("unexpected value for type {ty}"),
        }),
    }
}

/// A JSON value as the GraphQL type `ty`: leaf, list or object.
fn resolve<'a>(
    schema: &'a Schema,
    ctx: &'a Context<'a>,
    ty: &'a Type,
    value: &'a Value,
) -> Result<ResolvedValue<'a>, FieldError> {
    if value.is_null() {
        return Ok(ResolvedValue::null());
    }
    match ty {
        Type::List(item) | Type::NonNullList(item) => match value {
            Value::Array(items) => Ok(ResolvedValue::List(Box::new(
                items.iter().map(move |v| resolve(schema, ctx, item, v)),
            ))),
            _ => Err(FieldError {
                message: format!("expected a list for type {ty}"),
            }),
        },
        Type::Named(name) | Type::NonNullNamed(name) => match schema.types.get(name) {
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                let ty = concrete_type(schema, name.as_str(), value)?;
                Ok(ResolvedValue::object(JsonObject {
                    ty,
                    value: Cow::Borrowed(value),
                    ctx,
                }))
            }
            Some(_) => Ok(ResolvedValue::Leaf(to_json_value(value))),
            None => Err(FieldError {
                message: format!("undefined type {name}"),
            }),
        },
    }
}

/// The object type a value of `declared` (object, interface or union) has: declared itself, the
/// value's `__typename`, or the only object type that can stand there.
fn concrete_type<'a>(
    schema: &'a Schema,
    declared: &'a str,
    value: &Value,
) -> Result<&'a str, FieldError> {
    let found = match schema.types.get(declared) {
        Some(ExtendedType::Object(_)) => Some(declared),
        Some(_) => value
            .get("__typename")
            .and_then(Value::as_str)
            .and_then(|name| schema.types.get_key_value(name))
            .map(|(name, _)| name.as_str())
            .or_else(|| {
                let mut possible = schema.types.iter().filter(|(_, def)| match def {
                    ExtendedType::Object(object) => object
                        .implements_interfaces
                        .iter()
                        .any(|interface| interface.as_str() == declared),
                    _ => false,
                });
                match (possible.next(), possible.next()) {
                    (Some((name, _)), None) => Some(name.as_str()),
                    _ => None,
                }
            }),
        None => None,
    };
    found.ok_or_else(|| FieldError {
        message: format!("cannot tell the object type of a {declared}"),
    })
}

/// serde_json to the executor's JSON.
pub(super) fn to_json_value(value: &Value) -> JsonValue {
    match value {
        Value::Null => JsonValue::Null,
        Value::Bool(b) => JsonValue::Bool(*b),
        Value::Number(n) => JsonValue::Number(n.clone()),
        Value::String(s) => JsonValue::String(s.as_str().into()),
        Value::Array(items) => JsonValue::Array(items.iter().map(to_json_value).collect()),
        Value::Object(map) => JsonValue::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().into(), to_json_value(v)))
                .collect(),
        ),
    }
}

/// The sandbox's freelancer id, shared by the user, the organization and the company selector.
const USER_ID: &str = "1181921839933591552";
const ORGANIZATION_ID: &str = "1181921839950368769";
const ORGANIZATION_RID: &str = "6842057";
const PHOTO_URL: &str =
    "https://www.upwork.com/profile-portraits/c1Jd3bYxkAzqnBwTjPL0uB8kVnM9Cq3xPzUoWkSs1eR";

/// The signed-in freelancer: a developer whose profile skills exist in the market.
fn sandbox_user() -> Value {
    let skills: Vec<Value> = [
        ("rust", "Rust"),
        ("python", "Python"),
        ("postgresql", "PostgreSQL"),
        ("api-integration", "API Integration"),
        ("docker", "Docker"),
    ]
    .into_iter()
    .map(|(name, pretty_name)| {
        let id = Skill { name, pretty_name }.id();
        json!({"node": {
            "id": id,
            "ontologyId": format!("upwork:{}", pretty_name.replace(' ', "")),
            "type": ["SKILL"],
            "entityStatus": "ACTIVE",
            "preferredLabel": pretty_name,
            "prettyName": pretty_name,
            "legacySkillNid": name,
            "allowMultipleClient": false,
            "allowMultipleFreelancer": false,
            "allowOther": false,
            "advancedClient": false,
            "client": true,
            "freelancer": true,
            "requiredClient": false,
            "requiredFreelancer": false,
        }})
    })
    .collect();
    json!({
        "id": USER_ID,
        "nid": "samsandbox",
        "rid": "2366358",
        "email": null,
        "name": "Sam S.",
        "photoUrl": PHOTO_URL,
        "ciphertext": "~01f3b2c4d5e6a7b8c9",
        "freelancerProfile": {
            "fullName": "Sam Sandbox",
            "firstName": "Sam",
            "lastName": "Sandbox",
            "email": null,
            "skills": {"edges": skills},
        },
    })
}

/// The freelancer's own organization.
fn sandbox_organization() -> Value {
    json!({
        "id": ORGANIZATION_ID,
        "rid": ORGANIZATION_RID,
        "legacyId": ORGANIZATION_RID,
        "name": "Sam Sandbox",
        "type": "SOLE_PROPRIETOR",
        "legacyType": "VENDOR",
        "flag": {"client": false, "vendor": true, "agency": false, "individual": true},
        "parentOrganization": null,
        "active": true,
        "hidden": false,
        "childOrganizations": [],
        "photoUrl": PHOTO_URL,
        "creationDate": "2019-03-14T10:22:31+0000",
    })
}

/// The companies the freelancer can act for: only their own.
fn sandbox_company_selector() -> Value {
    json!({"items": [{
        "title": "Sam Sandbox",
        "photoUrl": PHOTO_URL,
        "organizationId": ORGANIZATION_ID,
        "organizationRid": ORGANIZATION_RID,
        "organizationType": "SoleProprietor",
        "organizationLegacyType": "Vendor",
        "organizationEnterpriseType": "Standard",
        "legacyEnterpriseOrganization": false,
        "typeTitle": "Freelancer",
    }]})
}
