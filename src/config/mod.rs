//! `pipeline.toml`: the model of the configuration, its parser and its validation.
//!
//! The file is parsed strictly: every table denies unknown keys, and every problem found (syntax,
//! unknown keys, wrong types, out-of-range values, duplicate search names, impossible ranges) is
//! reported at once, each with the file, line and column it comes from; only what is missing
//! from the file altogether is reported for the file as a whole. Each section and each
//! `[[search]]` table is deserialized on its own, so a typo in one search does not hide a wrong
//! type in another. Relative paths are resolved against the folder that holds the file, unless
//! an environment variable overrides them. Secrets never come from here: the client secret comes
//! from the environment (or the token store after `auth login`).
//!
//! The work is split in four: `load` reads a file into the [`Config`] (and resolves its paths),
//! `problems` gathers what is wrong with it, line and column, `model` holds the types (the validated ones the rest of the crate
//! reads, documented key by key, and the raw ones the file is read into), `parse` walks the TOML
//! document into the raw types, keeping the span of every value it will check, and `validate`
//! checks the raw values and builds the typed [`Config`]. How a search is put to Upwork lives in
//! `upwork::filter`: nothing here knows Upwork's wire names.

mod load;
mod model;
mod parse;
mod problems;
mod validate;

pub use model::{
    Alert, AlertFilter, BUILT_IN_LABELS, Channel, Config, Criteria, DEFAULT_REDIRECT_URI,
    DEFAULT_SECRET_ENV, Experience, Export, ExportFormat, GrantKind, IntRange, JobType, Notify,
    NotifyChannel, Profile, Retention, Search, Serve, Signals, Sort, Storage, UPWORK_AUTHORIZE_URL,
    UPWORK_GRAPHQL_URL, UPWORK_RETENTION_HOURS, UPWORK_TOKEN_URL, Upwork, WebhookFormat, Workload,
};
pub use problems::{ConfigError, Problem};
pub use validate::{is_view_name, parse_size};
