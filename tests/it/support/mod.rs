//! Shared set-up for the integration tests: an in-process sandbox, a config pointing at it in a
//! temp folder, a signed-in Upwork client, and helpers to read the DuckDB file; [`sandbox`] has
//! the helpers of the sandbox's own API tests, [`receiver`] a webhook receiver for the alerts.

pub mod process;
pub mod receiver;
pub mod sandbox;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use upjobpilot::auth::{OAuthSettings, TokenSource, TokenStore};
use upjobpilot::config::Config;
use upjobpilot::pipeline::{self, SyncOptions, SyncReport};
use upjobpilot::secret::Secret;
use upwork_sandbox::{ClockMode, Sandbox, SandboxConfig};

/// One search, `rust`, reaching over the sandbox's whole history (three days).
pub const RUST_SEARCH: &str = r#"
[[search]]
name = "rust"
expression = "rust"
max_age_hours = 100
"#;

pub struct Harness {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub tokens: Arc<TokenSource>,
    pub store: TokenStore,
}

/// A sandbox with a manual clock and the given market seed; `searches` is the `[[search]]` part
/// of the config.
pub fn harness(seed: u64, searches: &str) -> Harness {
    harness_with(seed, searches, |_| {})
}

pub fn harness_with(seed: u64, searches: &str, tweak: impl FnOnce(&mut SandboxConfig)) -> Harness {
    let mut config = SandboxConfig {
        port: 0,
        clock: ClockMode::Manual,
        ..SandboxConfig::default()
    };
    config.market.seed = seed;
    tweak(&mut config);
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let dir = tempfile::tempdir().expect("tempdir");
    upjobpilot::pipeline::views::write_default_views(&dir.path().join("queries")).expect("views");
    let base = sandbox.base_url();
    let client = sandbox.client();
    let text = format!(
        r#"[upwork]
client_id = "{id}"
redirect_uri = "{redirect}"
authorize_url = "{base}/ab/account-security/oauth2/authorize"
token_url = "{base}/api/v3/oauth2/token"
graphql_url = "{base}/graphql"
requests_per_minute = 300
timeout_secs = 2
max_retries = 8
retry_base_ms = 10

[export]
formats = ["csv", "parquet"]

[profile]
skills = ["python", "sql"]
hourly_rate = 50

{searches}"#,
        id = client.id,
        redirect = client.redirect_uri,
    );
    let path = dir.path().join("pipeline.toml");
    std::fs::write(&path, text).expect("config");
    let config = Config::load(&path).expect("valid config");
    let tokens = minted(&sandbox);
    let store = TokenStore::at(dir.path().join("tokens.json"));
    store.save(&tokens).expect("save tokens");
    let settings = OAuthSettings {
        client_id: client.id.clone(),
        client_secret: Secret::new(client.secret.clone()),
        authorize_url: config.upwork.authorize_url.clone(),
        token_url: config.upwork.token_url.clone(),
        redirect_uri: client.redirect_uri.clone(),
        user_agent: "upjobpilot-test".into(),
        timeout: std::time::Duration::from_secs(5),
    };
    let tokens = Arc::new(TokenSource::new(
        settings,
        TokenStore::at(dir.path().join("tokens.json")),
        tokens,
    ));
    Harness {
        sandbox,
        dir,
        config,
        tokens,
        store,
    }
}

/// Tokens the sandbox issued just now for its client, as `upjobpilot auth login` stores them.
fn minted(sandbox: &Sandbox) -> upjobpilot::auth::Tokens {
    let client = sandbox.client();
    let pair = sandbox.mint_token(&client.id);
    upjobpilot::auth::Tokens {
        access_token: Secret::new(pair.access_token.clone()),
        refresh_token: Some(Secret::new(pair.refresh_token.clone())),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(pair.expires_in as i64),
        client_id: client.id.clone(),
        client_secret: Some(Secret::new(client.secret.clone())),
        grant: upjobpilot::auth::Grant::AuthorizationCode,
        saved_at: chrono::Utc::now(),
    }
}

impl Harness {
    /// Signs in again: stores new tokens in the token file, as a successful `auth login` does.
    pub fn sign_in_again(&self) {
        self.store
            .save(&minted(&self.sandbox))
            .expect("save tokens");
    }

    /// Stores new tokens that say they were issued at `saved_at` (the refresh token's age).
    pub fn sign_in_issued_at(&self, saved_at: chrono::DateTime<chrono::Utc>) {
        let tokens = upjobpilot::auth::Tokens {
            saved_at,
            ..minted(&self.sandbox)
        };
        self.store.save(&tokens).expect("save tokens");
    }

    pub fn sync(&self) -> SyncReport {
        self.try_sync().expect("sync runs")
    }

    pub fn try_sync(&self) -> Result<SyncReport, Box<pipeline::SyncError>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let options = SyncOptions {
            export: true,
            lock_wait: std::time::Duration::ZERO,
            busy_wait: std::time::Duration::ZERO,
            progress: false,
        };
        // A client per sync, as each `upjobpilot sync` process has its own.
        let client =
            upjobpilot::upwork::UpworkClient::new(&self.config.upwork, self.tokens.clone())
                .map_err(|e| Box::new(pipeline::SyncError::from(e)))?;
        runtime
            .block_on(pipeline::sync(&self.config, Arc::new(client), &options))
            .map_err(Box::new)
    }

    /// The database, through this process's one instance of it (as the in-process syncs and
    /// dashboards of the tests open it).
    pub fn db(&self) -> upjobpilot::db::Db {
        upjobpilot::db::open(&self.config.database_path()).expect("open db")
    }

    pub fn db_path(&self) -> PathBuf {
        self.config.database_path()
    }

    /// Ids stored for a search.
    pub fn hits(&self, search: &str) -> BTreeSet<String> {
        let conn = self.db();
        let mut stmt = conn
            .prepare("SELECT job_id FROM search_hits WHERE search = ?")
            .expect("prepare");
        stmt.query_map([search], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    /// The first column of `sql`'s rows, as text.
    pub fn column<C: FromIterator<String>>(&self, sql: &str) -> C {
        let conn = self.db();
        let mut stmt = conn.prepare(sql).expect(sql);
        stmt.query_map([], |r| r.get::<_, String>(0))
            .expect(sql)
            .collect::<Result<_, _>>()
            .expect(sql)
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// What the sandbox says a search must return, within its `max_age_hours` of real now.
    pub fn expected(&self, search: &str) -> BTreeSet<String> {
        let hours = self.search(search).max_age_hours;
        self.matching_since(
            search,
            chrono::Utc::now() - chrono::Duration::hours(i64::from(hours)),
        )
    }

    fn search(&self, name: &str) -> &upjobpilot::config::Search {
        self.config
            .searches
            .iter()
            .find(|s| s.name == name)
            .expect("search exists")
    }

    /// What the sandbox says a search matches now, published at or after `since`.
    pub fn matching_since(
        &self,
        search: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> BTreeSet<String> {
        let search = self.search(search);
        let filter =
            serde_json::Value::Object(upjobpilot::upwork::filter::search_filter(&search.criteria));
        let ids = self.sandbox.ground_truth(&filter, &[]);
        self.sandbox.with_market(|market| {
            ids.into_iter()
                .filter(|id| market.get(id).is_some_and(|p| p.published >= since))
                .collect()
        })
    }

    pub fn graphql_requests(&self) -> u64 {
        self.sandbox.stats().graphql
    }

    /// GraphQL requests but the competition signals' (`JobActivity`): what the searches cost.
    pub fn search_requests(&self) -> u64 {
        let signals = self
            .sandbox
            .requests()
            .iter()
            .filter(|r| r.operation.as_deref() == Some("JobActivity"))
            .count() as u64;
        self.graphql_requests() - signals
    }
}

/// How far the text index (`text_postings`, `text_words`) is from the postings' words as the
/// migration and the load cut them: rows missing or extra, words outside the vocabulary, words
/// in it twice. 0 when the index is right.
pub fn text_index_errors(conn: &duckdb::Connection) -> i64 {
    conn.query_row(
        r"WITH expected AS (
              SELECT DISTINCT
                  unnest(regexp_extract_all(
                      lower(coalesce(title, '') || ' ' || coalesce(description, '')),
                      '[^\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F\x{85}\x{A0}\x{1680}\x{2000}-\x{206F}\x{3000}]{3,}'))
                      AS word,
                  id AS job_id
              FROM jobs
          )
          , stored AS (
              SELECT w.word, substr(CAST(p.job_key AS VARCHAR), 2) AS job_id
              FROM text_postings p JOIN text_words w USING (word_id)
          )
          SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM stored))
               + (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM expected))
               + (SELECT count(*) FROM text_postings
                  WHERE word_id NOT IN (SELECT word_id FROM text_words))
               + (SELECT count(*) - count(DISTINCT word) FROM text_words)
               + (SELECT count(*) - count(DISTINCT word_id) FROM text_words)",
        [],
        |r| r.get(0),
    )
    .expect("text index check")
}
