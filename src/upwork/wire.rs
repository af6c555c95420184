//! Upwork's wire format, once: the GraphQL envelope, the search connection, and the posting node
//! with its money and client types, as `search.graphql` asks for them.
//!
//! Every field is optional here, even where the schema promises a value: live responses break
//! those promises (API.md), and the readers decide what a missing value means. [`page`] reads the
//! envelope for paging; the load stage reads the node into typed rows. Nodes stay borrowed
//! [`RawValue`]s until someone needs them, so a page is parsed once and the raw JSON of each
//! posting can be stored as Upwork sent it.
//!
//! [`page`]: super::page

use serde::Deserialize;
use serde_json::value::RawValue;

/// The GraphQL response envelope: `data` and/or `errors`.
#[derive(Debug, Deserialize)]
pub struct Envelope<D> {
    /// What the operation returned (possibly partial, possibly null).
    pub data: Option<D>,
    /// Errors, when Upwork reported any.
    pub errors: Option<Vec<GraphQlError>>,
}

/// One entry of `errors`.
#[derive(Debug, Deserialize)]
pub struct GraphQlError {
    /// What went wrong.
    pub message: Option<String>,
    /// graphql-java's `classification` and friends.
    pub extensions: Option<serde_json::Value>,
    /// Where in `data` the error nulled a value.
    pub path: Option<Vec<serde_json::Value>>,
}

/// `data` of the search query.
#[derive(Debug, Deserialize)]
pub struct SearchData<'a> {
    /// The search result (null when the whole search failed).
    #[serde(rename = "marketplaceJobPostingsSearch", borrow)]
    pub search: Option<SearchConnection<'a>>,
}

/// `MarketplaceJobPostingSearchConnection`.
#[derive(Debug, Deserialize)]
pub struct SearchConnection<'a> {
    /// Upwork's count of all matches.
    #[serde(rename = "totalCount")]
    pub total_count: Option<i64>,
    /// The postings of this page; an edge is null where an error nulled it.
    #[serde(borrow)]
    pub edges: Option<Vec<Option<Edge<'a>>>>,
    /// The cursor of the next page.
    #[serde(rename = "pageInfo")]
    pub page_info: Option<PageInfo>,
}

/// One edge: the node, kept raw.
#[derive(Debug, Deserialize)]
pub struct Edge<'a> {
    /// The posting as Upwork sent it.
    #[serde(borrow)]
    pub node: Option<&'a RawValue>,
}

/// `pageInfo`.
#[derive(Debug, Deserialize)]
pub struct PageInfo {
    /// The offset of the next page, as a string.
    #[serde(rename = "endCursor")]
    pub end_cursor: Option<String>,
    /// Whether another page follows.
    #[serde(rename = "hasNextPage")]
    pub has_next_page: Option<bool>,
}

/// A search response.
pub type SearchResponse<'a> = Envelope<SearchData<'a>>;

/// A posting node (`MarketplaceJobPostingSearchResult`), the fields `search.graphql` asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Numeric id as a string.
    pub id: Option<String>,
    /// `~02` + id: the job URL's last part.
    pub ciphertext: Option<String>,
    /// Upwork's record number.
    pub record_number: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// When the client created it.
    pub created_date_time: Option<String>,
    /// When it was published.
    pub published_date_time: Option<String>,
    /// When it was last renewed.
    pub renewed_date_time: Option<String>,
    /// `WEEK`, `MONTH`, ...
    pub duration: Option<String>,
    /// Human duration.
    pub duration_label: Option<String>,
    /// Workload text.
    pub engagement: Option<String>,
    /// Fixed budget (`0.0` for hourly jobs).
    pub amount: Option<Money>,
    /// `DEFAULT`, `MANUAL`, `NOT_PROVIDED`.
    pub hourly_budget_type: Option<String>,
    /// Lowest hourly rate.
    pub hourly_budget_min: Option<Money>,
    /// Highest hourly rate.
    pub hourly_budget_max: Option<Money>,
    /// Weekly budget.
    pub weekly_budget: Option<Money>,
    /// `ENTRY_LEVEL`, `INTERMEDIATE`, `EXPERT`, `NONE`.
    pub experience_level: Option<String>,
    /// Category slug.
    pub category: Option<String>,
    /// Subcategory slug.
    pub subcategory: Option<String>,
    /// The occupation tree.
    pub occupations: Option<Occupations>,
    /// Skills; an entry may be null.
    pub skills: Option<Vec<Option<Skill>>>,
    /// Freelancers still wanted.
    pub freelancers_to_hire: Option<i64>,
    /// Proposals so far.
    pub total_applicants: Option<i64>,
    /// Premium posting.
    pub premium: Option<bool>,
    /// Enterprise client.
    pub enterprise: Option<bool>,
    /// The client.
    pub client: Option<Client>,
}

/// `Money`: `rawValue` is a decimal string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// `"40.0"`.
    pub raw_value: Option<String>,
    /// `"USD"`.
    pub currency: Option<String>,
}

/// `occupations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Occupations {
    /// The category.
    pub category: Option<Occupation>,
}

/// An occupation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Occupation {
    /// Its label.
    pub pref_label: Option<String>,
}

/// A skill on a posting.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skill {
    /// The slug.
    pub name: Option<String>,
    /// The label.
    pub pretty_name: Option<String>,
}

/// The client of a posting.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    /// Hires so far.
    pub total_hires: Option<i64>,
    /// Jobs posted so far.
    pub total_posted_jobs: Option<i64>,
    /// Money spent on Upwork.
    pub total_spent: Option<Money>,
    /// Payment verification.
    pub verification_status: Option<String>,
    /// Where the client is.
    pub location: Option<Location>,
    /// Reviews received.
    pub total_reviews: Option<i64>,
    /// Average feedback, 0-5.
    pub total_feedback: Option<f64>,
}

/// A client's location.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// City.
    pub city: Option<String>,
    /// Country: a name, sometimes ISO-3.
    pub country: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
}

/// `data` of the profile query (`profile.graphql`).
#[derive(Debug, Deserialize)]
pub struct ProfileData {
    /// The signed-in user.
    pub user: Option<User>,
}

/// `user`.
#[derive(Debug, Deserialize)]
pub struct User {
    /// The freelancer profile.
    #[serde(rename = "freelancerProfile")]
    pub freelancer_profile: Option<FreelancerProfile>,
}

/// `freelancerProfile`.
#[derive(Debug, Deserialize)]
pub struct FreelancerProfile {
    /// Its skills.
    pub skills: Option<ProfileSkills>,
}

/// `skills { edges { node } }`.
#[derive(Debug, Deserialize)]
pub struct ProfileSkills {
    /// The edges.
    pub edges: Option<Vec<Option<ProfileSkillEdge>>>,
}

/// One profile skill edge.
#[derive(Debug, Deserialize)]
pub struct ProfileSkillEdge {
    /// The skill.
    pub node: Option<ProfileSkill>,
}

/// A skill on the freelancer's profile.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSkill {
    /// The ontology label.
    pub preferred_label: Option<String>,
    /// The label people see.
    pub pretty_name: Option<String>,
}
