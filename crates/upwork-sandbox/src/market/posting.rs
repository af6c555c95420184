//! What the market is made of: postings and their clients, and the ontology and vocabulary they
//! draw on (categories, occupations, skills, countries, job types, budgets, durations).
//!
//! [`Market`](super::Market) keeps the postings, `generate` makes them from `tables`, and search and
//! the wire format read them; these types depend on nothing else in the sandbox.

use super::activity::ActivityPlan;
use super::hash::fnv1a;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// An Upwork job category (the top level of the occupation ontology).
#[derive(Debug, PartialEq, Eq)]
pub struct Category {
    /// Numeric ontology id, as `categoryIds_any` takes it.
    pub id: &'static str,
    /// The slug the search node carries in `category`.
    pub slug: &'static str,
    /// Display label (`occupations.category.prefLabel`).
    pub label: &'static str,
    /// Semantic ontology id (`upworkOccupation:…`).
    pub ontology_id: &'static str,
}

/// An Upwork job subcategory.
#[derive(Debug, PartialEq, Eq)]
pub struct Subcategory {
    /// Numeric ontology id, as `subcategoryIds_any` takes it.
    pub id: &'static str,
    /// The slug the search node carries in `subcategory`.
    pub slug: &'static str,
    /// Display label (`occupations.subCategories[].prefLabel`).
    pub label: &'static str,
    /// Semantic ontology id.
    pub ontology_id: &'static str,
}

/// An Upwork occupation (the "service" below a subcategory).
#[derive(Debug, PartialEq, Eq)]
pub struct Occupation {
    /// Numeric ontology id, as `occupationIds_any` takes it.
    pub id: &'static str,
    /// Display label (`occupations.occupationService.prefLabel`).
    pub label: &'static str,
    /// Semantic ontology id.
    pub ontology_id: &'static str,
}

/// A skill as job postings list it.
#[derive(Debug, PartialEq, Eq)]
pub struct Skill {
    /// Legacy skill slug, e.g. `react-native`.
    pub name: &'static str,
    /// Display name, e.g. `React Native`.
    pub pretty_name: &'static str,
}

impl Skill {
    /// The skill's ontology uid: 19 digits, stable for a name across runs and seeds.
    pub fn id(&self) -> String {
        format!(
            "1031626{:012}",
            fnv1a(self.name.as_bytes()) % 1_000_000_000_000
        )
    }
}

/// A country clients post from.
#[derive(Debug, PartialEq, Eq)]
pub struct Country {
    /// Full English name, e.g. `United States`.
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 code.
    pub iso2: &'static str,
    /// ISO 3166-1 alpha-3 code.
    pub iso3: &'static str,
    /// Whether the country is in the EU (`Country.region`).
    pub eu: bool,
    /// International dialling prefix, e.g. `+1`.
    pub phone_code: &'static str,
}

/// Hourly or fixed price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobType {
    /// Paid by the hour.
    Hourly,
    /// One fixed budget.
    Fixed,
}

impl JobType {
    /// The `ContractType` enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Hourly => "HOURLY",
            JobType::Fixed => "FIXED",
        }
    }
}

/// Weekly workload of an hourly job (`EngagementType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// More than 30 hours a week.
    FullTime,
    /// Less than 30 hours a week.
    PartTime,
    /// Occasional work.
    AsNeeded,
    /// The client did not say.
    NotSure,
}

impl Workload {
    /// All values, in schema order.
    pub const ALL: [Workload; 4] = [
        Workload::FullTime,
        Workload::PartTime,
        Workload::AsNeeded,
        Workload::NotSure,
    ];

    /// The `EngagementType` enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::FullTime => "FULL_TIME",
            Workload::PartTime => "PART_TIME",
            Workload::AsNeeded => "AS_NEEDED",
            Workload::NotSure => "NOT_SURE",
        }
    }

    /// The text the search node carries in `engagement`.
    pub fn engagement_label(self) -> &'static str {
        match self {
            Workload::FullTime => "More than 30 hrs/week",
            Workload::PartTime => "Less than 30 hrs/week",
            Workload::AsNeeded => "Less than 10 hrs/week",
            Workload::NotSure => "Hours to be determined",
        }
    }

    /// Hours a week assumed when a weekly budget is derived from an hourly rate.
    pub(super) fn hours_per_week(self) -> u32 {
        match self {
            Workload::FullTime => 40,
            Workload::PartTime => 20,
            Workload::AsNeeded | Workload::NotSure => 10,
        }
    }
}

/// How long the client expects the work to last (`JobDuration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobDuration {
    /// Less than a week.
    Week,
    /// Less than a month.
    Month,
    /// One to three months.
    Quarter,
    /// Three to six months.
    Semester,
    /// More than six months.
    Ongoing,
}

/// The `EngagementDuration` object of a posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngagementDuration {
    /// Ontology id of the duration.
    pub id: &'static str,
    /// Display label, same as `durationLabel`.
    pub label: &'static str,
    /// Length in weeks.
    pub weeks: u32,
}

impl JobDuration {
    /// The `JobDuration` enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobDuration::Week => "WEEK",
            JobDuration::Month => "MONTH",
            JobDuration::Quarter => "QUARTER",
            JobDuration::Semester => "SEMESTER",
            JobDuration::Ongoing => "ONGOING",
        }
    }

    /// The `durationLabel` text.
    pub fn label(self) -> &'static str {
        self.engagement_duration().label
    }

    /// The `engagementDuration` object.
    pub fn engagement_duration(self) -> EngagementDuration {
        let (id, label, weeks) = match self {
            JobDuration::Week => ("1", "Less than 1 week", 1),
            JobDuration::Month => ("2", "Less than 1 month", 4),
            JobDuration::Quarter => ("3", "1 to 3 months", 13),
            JobDuration::Semester => ("4", "3 to 6 months", 26),
            JobDuration::Ongoing => ("5", "More than 6 months", 52),
        };
        EngagementDuration { id, label, weeks }
    }
}

/// Contractor tier the client asks for (`FreelancerProfileExperienceLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExperienceLevel {
    /// Not stated by the client.
    None,
    /// Entry level.
    EntryLevel,
    /// Intermediate.
    Intermediate,
    /// Expert.
    Expert,
}

impl ExperienceLevel {
    /// The enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperienceLevel::None => "NONE",
            ExperienceLevel::EntryLevel => "ENTRY_LEVEL",
            ExperienceLevel::Intermediate => "INTERMEDIATE",
            ExperienceLevel::Expert => "EXPERT",
        }
    }
}

/// Where an hourly job's rate range comes from (`JobPostingHourlyBudgetType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HourlyBudgetType {
    /// Upwork's suggested range, accepted by the client.
    Default,
    /// A range the client typed.
    Manual,
    /// No range given.
    NotProvided,
}

impl HourlyBudgetType {
    /// The enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            HourlyBudgetType::Default => "DEFAULT",
            HourlyBudgetType::Manual => "MANUAL",
            HourlyBudgetType::NotProvided => "NOT_PROVIDED",
        }
    }
}

/// A client's payment verification (`ClientVerificationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationStatus {
    /// Payment method verified.
    Verified,
    /// No verified payment method.
    NotVerified,
    /// Active account, payment method not verified.
    ActiveButNotVerified,
    /// Verification under way.
    VerificationInProgress,
    /// Unknown to Upwork.
    Unknown,
}

impl VerificationStatus {
    /// The enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Verified => "VERIFIED",
            VerificationStatus::NotVerified => "NOT_VERIFIED",
            VerificationStatus::ActiveButNotVerified => "ACTIVE_BUT_NOT_VERIFIED",
            VerificationStatus::VerificationInProgress => "VERIFICATION_IN_PROGRESS",
            VerificationStatus::Unknown => "UNKNOWN",
        }
    }
}

/// Where a client is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientLocation {
    /// The client's country.
    pub country: &'static Country,
    /// Whether this client's `country` is sent as the ISO-3 code instead of the full name.
    pub country_as_iso3: bool,
    /// City, when the client gave one.
    pub city: Option<&'static str>,
    /// State or province, for countries that have them.
    pub state: Option<&'static str>,
    /// IANA time zone name.
    pub timezone: &'static str,
    /// Offset from UTC in seconds (daylight saving ignored).
    pub offset_to_utc_secs: i32,
}

impl ClientLocation {
    /// The `country` text as the search node carries it: full name, or ISO-3 for some clients.
    pub fn country_text(&self) -> &'static str {
        if self.country_as_iso3 {
            self.country.iso3
        } else {
            self.country.name
        }
    }
}

/// The client who posted a job, as job search shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Client {
    /// Company record id (`companyRid`).
    pub company_rid: u64,
    /// Company organization uid (`companyOrgUid`).
    pub company_org_uid: u64,
    /// The posting user's id (`edcUserId`).
    pub edc_user_id: u64,
    /// Freelancers hired so far; never more than `total_posted_jobs`.
    pub total_hires: u32,
    /// Jobs posted so far.
    pub total_posted_jobs: u32,
    /// Money spent on Upwork, when the client shows it.
    pub total_spent: Option<Decimal>,
    /// Payment verification, when known.
    pub verification_status: Option<VerificationStatus>,
    /// Where the client is.
    pub location: ClientLocation,
    /// Reviews received; never more than `total_hires`.
    pub total_reviews: u32,
    /// Average feedback, 0 to 5; 0 when there are no reviews.
    pub total_feedback: f64,
    /// Whether the client hides its spending details.
    pub has_financial_privacy: bool,
    /// Whether the client is an enterprise account.
    pub enterprise: bool,
}

/// One job posting, with everything the search node and the job aggregate show.
#[derive(Debug, Clone)]
pub struct Posting {
    /// 19-digit numeric id, unique in the market and increasing with publication.
    pub id: String,
    /// Upwork's record number for the posting.
    pub record_number: u64,
    /// Job title.
    pub title: String,
    /// Job description, several sentences that mention the skills.
    pub description: String,
    /// When the client created the draft.
    pub created: DateTime<Utc>,
    /// When the posting went public; never changes, renewal included.
    pub published: DateTime<Utc>,
    /// When the client last renewed the posting.
    pub renewed: Option<DateTime<Utc>>,
    /// Hourly or fixed price.
    pub job_type: JobType,
    /// Fixed budget in USD; zero for hourly jobs.
    pub amount: Decimal,
    /// Where the hourly range comes from; `None` for fixed-price jobs.
    pub hourly_budget_type: Option<HourlyBudgetType>,
    /// Lowest hourly rate in USD (hourly jobs with a range only).
    pub hourly_min: Option<Decimal>,
    /// Highest hourly rate in USD, at least `hourly_min`.
    pub hourly_max: Option<Decimal>,
    /// Weekly budget in USD, for some hourly jobs.
    pub weekly_budget: Option<Decimal>,
    /// Expected duration, when given.
    pub duration: Option<JobDuration>,
    /// Weekly workload; hourly jobs only.
    pub workload: Option<Workload>,
    /// Contractor tier asked for.
    pub experience_level: ExperienceLevel,
    /// Job category.
    pub category: &'static Category,
    /// Job subcategory (inside `category`).
    pub subcategory: &'static Subcategory,
    /// Occupation (inside `subcategory`).
    pub occupation: &'static Occupation,
    /// Skills, the first one the main one.
    pub skills: Vec<&'static Skill>,
    /// Freelancers the client still wants to hire.
    pub freelancers_to_hire: u32,
    /// Proposals received.
    pub total_applicants: u32,
    /// When the client invites, interviews and makes offers; see [`Posting::job_activity`].
    pub activity: ActivityPlan,
    /// Times the posting was shown in search.
    pub impressions: u32,
    /// Whether the posting is a premium one.
    pub premium: bool,
    /// Whether the posting comes from an enterprise client.
    pub enterprise: bool,
    /// Countries the client prefers freelancers from (full names).
    pub preferred_locations: Vec<&'static str>,
    /// Whether `preferred_locations` is a requirement.
    pub preferred_location_mandatory: bool,
    /// The client.
    pub client: Client,
    /// Whether the posting still appears in search.
    pub open: bool,
    /// When the posting was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When the client hired for it, which closed it.
    pub hired_at: Option<DateTime<Utc>>,
    /// Whether the posting was removed: gone from search and from `marketplaceJobPosting`.
    pub removed: bool,
}

impl Posting {
    /// The posting's ciphertext: `~02` followed by the id (the job URL ends in it).
    pub fn ciphertext(&self) -> String {
        format!("~02{}", self.id)
    }

    /// The `engagement` text: the workload label of hourly jobs, nothing for fixed-price ones.
    pub fn engagement(&self) -> Option<&'static str> {
        self.workload.map(Workload::engagement_label)
    }

    /// When the posting was last put on top: its renewal, or its publication if never renewed.
    pub fn listed_at(&self) -> DateTime<Utc> {
        self.renewed
            .map_or(self.published, |renewed| renewed.max(self.published))
    }
}
