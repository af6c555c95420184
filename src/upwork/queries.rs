//! The GraphQL documents the product sends, from `*.graphql` beside this file.

/// The search document: a page of `marketplaceJobPostingsSearch`, newest first.
pub const SEARCH_QUERY: &str = include_str!("search.graphql");
/// The profile document: the signed-in freelancer's skills.
pub const PROFILE_QUERY: &str = include_str!("profile.graphql");
/// The probe document `doctor` sends.
pub const PING_QUERY: &str = include_str!("ping.graphql");
/// The signals document: one posting's state and activity (`marketplaceJobPosting`).
pub const ACTIVITY_QUERY: &str = include_str!("activity.graphql");
