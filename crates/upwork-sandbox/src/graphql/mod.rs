//! Upwork's `/graphql` endpoint: parse, validate, check scopes, execute, answer like graphql-java.
//!
//! Documents are parsed and validated by apollo-compiler against the full documented schema
//! (`shared/upwork/schema.graphql`, vendored as this crate's `schema/schema.graphql`, embedded and
//! parsed once in [`schema`]), so a document Upwork would reject fails here too; [`validation`]
//! turns apollo's diagnostics into the graphql-java error shapes Upwork sends. A document that asks
//! for a field the token's scopes do not cover (a root field, or a sub-field such as bid
//! statistics) gets Upwork's scope error, classified `ExecutionAborted`, and no data.
//! Execution (`execute`) is apollo-compiler's own (aliases, fragments, directives, `__typename`,
//! null propagation, introspection), over the resolvers in [`resolvers`], which read the market.
//! A [`Request`] and its [`Context`] go in (`request`), a `Response` in graphql-java's shapes comes
//! out (`response`). The server (`server.rs`) handles HTTP, auth and faults around this.

mod execute;
mod request;
mod resolvers;
mod response;
pub(crate) mod schema;
mod validation;

pub(crate) use execute::{Outcome, execute, root_fields};
pub(crate) use request::{Context, Request};
