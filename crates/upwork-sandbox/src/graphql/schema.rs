//! The documented schema every document is validated and executed against, embedded at build
//! time and parsed once.

use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use std::sync::OnceLock;

/// The documented schema, as generated from Upwork's docs (see `shared/upwork/API.md`).
const SCHEMA_SDL: &str = include_str!("../../schema/schema.graphql");

/// The parsed and validated schema, built on first use.
pub(crate) fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(
        || match Schema::parse_and_validate(SCHEMA_SDL, "schema.graphql") {
            Ok(schema) => schema,
            // The schema is embedded at build time; `schema_is_valid` below keeps this unreachable.
            Err(invalid) => panic!("the embedded Upwork schema is invalid: {}", invalid.errors),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid() {
        assert!(
            schema()
                .get_object("MarketplaceJobPostingSearchResult")
                .is_some()
        );
    }
}
