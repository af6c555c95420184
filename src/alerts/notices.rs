//! Health notices: messages about the pipeline itself, sent through the `[notify]` channel once
//! when a condition starts and once when it clears.
//!
//! The conditions ([`Condition`]): the sign-in needs the user, the refresh token expires within
//! [`REFRESH_WARN_HOURS`] because no sync renewed it, a search failed in `search_failures` runs
//! in a row, an alert rule is failing ([`super::FAILING_AFTER`]), the day's requests passed
//! `budget_percent` of `daily_budget`, a disk holding the database or the spool has less than
//! `min_free_mb` free, and syncs could not load for more than [`HELD_MINUTES`] because another
//! program held the database. [`after_sync`] is called at the end of every sync (a `watch` poll
//! included) and when a sync gives up on its sign-in before it starts: it looks at what that
//! run knows ([`Facts`], plus the token store, the database, the disks and the spool), and a
//! condition it cannot see this time (the database is busy, say) stays as it was.
//!
//! The state lives in a file beside the database (`upjobpilot.duckdb.notices.json`, mode 0600),
//! not in it: the notice that another program has held the database for an hour must go out
//! while that program still holds it. Each occurrence of a condition gets its key when it
//! starts (`upjobpilot:notice:<condition>:<subject>:<start in µs>`; its end appends
//! `:resolved`), and the message is in the file's outbox with that key before it is sent. The
//! file is written again (atomically, flushed) after every attempt, as the alert journal is, so
//! a crash between sending and this bookkeeping repeats at most the one message in flight, with
//! the same key. Delivery reuses the alert channels ([`super::channel::send_to`]) and their
//! backoff ([`super::next_attempt`]); one process at a time evaluates and delivers, under the
//! notices lock ([`super::files::DeliveryLock::take_notices`]). Nothing here changes a sync's
//! exit status.

use super::files::{self, DeliveryLock};
use super::payload::Notice;
use super::{channel, next_attempt};
use crate::config::{Channel, Config, GrantKind, NotifyChannel};
use crate::db::{self, sql};
use chrono::{DateTime, Duration as TimeDelta, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Days a refresh token lives after the refresh that issued it (Upwork: two weeks).
pub const REFRESH_TOKEN_DAYS: i64 = 14;
/// Hours before the refresh token's end from which it is reported.
pub const REFRESH_WARN_HOURS: i64 = 48;
/// Minutes another program must have held the database (syncs spooling meanwhile) before it
/// is reported.
pub const HELD_MINUTES: i64 = 60;
/// How long a sync waits for another process that is evaluating or delivering notices.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The sign-in expired, was revoked, or is missing: `upjobpilot auth login` is needed.
    SignIn,
    /// The refresh token expires within [`REFRESH_WARN_HOURS`].
    RefreshExpiring,
    /// A search failed in `notify.search_failures` runs in a row.
    SearchFailing,
    /// An alert rule's deliveries keep failing.
    RuleFailing,
    /// The day's requests passed `notify.budget_percent` of `notify.daily_budget`.
    Budget,
    /// A disk holding the database or the spool is short of space.
    DiskSpace,
    /// Syncs have been spooling for over an hour because another program holds the database.
    DatabaseHeld,
}

impl Condition {
    /// The name in payloads and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::SignIn => "sign_in",
            Condition::RefreshExpiring => "refresh_expiring",
            Condition::SearchFailing => "search_failing",
            Condition::RuleFailing => "rule_failing",
            Condition::Budget => "budget",
            Condition::DiskSpace => "disk_space",
            Condition::DatabaseHeld => "database_held",
        }
    }

    /// The title of the message that says it cleared.
    fn resolved_title(self, subject: &str) -> String {
        match self {
            Condition::SignIn => "upjobpilot is signed in to Upwork again".into(),
            Condition::RefreshExpiring => "the Upwork sign-in was renewed".into(),
            Condition::SearchFailing => format!("search {subject} works again"),
            Condition::RuleFailing => format!("alert rule {subject} delivers again"),
            Condition::Budget => "the day's requests are back under the budget's mark".into(),
            Condition::DiskSpace => format!("the disk of the {subject} has room again"),
            Condition::DatabaseHeld => "syncs load into the database again".into(),
        }
    }
}

/// A condition found active, for one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    /// The search, the rule, `database` or `spool`; empty for the pipeline as a whole.
    pub subject: String,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub text: String,
}

/// What one evaluation saw of a condition: every subject for which it is active now (the
/// others are clear). A condition left out of an evaluation was not seen and stays as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The condition.
    pub condition: Condition,
    /// Its active subjects.
    pub active: Vec<Active>,
}

/// A condition that is active now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenNotice {
    /// The condition (`sign_in`, `search_failing`, ...).
    pub notice: String,
    /// What it is about; empty for the pipeline as a whole.
    pub subject: String,
    /// When it started (RFC 3339).
    pub opened_at: DateTime<Utc>,
    /// The key of its messages (`:resolved` appended for its end).
    pub key: String,
    /// One line.
    pub title: String,
    /// The latest details.
    pub text: String,
    /// Whether its message reached the channel (`false`: waiting or retrying).
    #[serde(default)]
    pub delivered: bool,
}

/// A message waiting to be sent, or retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// What to send.
    pub notice: Notice,
    /// Attempts made so far.
    pub attempts: i64,
    /// No attempt before this (backoff after a failure).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// The state file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Per search, its failed runs in a row.
    #[serde(default)]
    pub search_failures: BTreeMap<String, u32>,
    /// The conditions active now.
    #[serde(default)]
    pub open: Vec<OpenNotice>,
    /// Messages not delivered yet, oldest first.
    #[serde(default)]
    pub outbox: Vec<Queued>,
}

impl State {
    /// Applies what an evaluation at `now` saw: each condition that started gets its key and a
    /// message, each one that cleared a `resolved` message. Returns how many were queued.
    pub fn apply(&mut self, seen: &[Seen], now: DateTime<Utc>) -> usize {
        let mut queued = 0;
        for seen in seen {
            let name = seen.condition.as_str();
            let active: BTreeSet<&str> = seen.active.iter().map(|a| a.subject.as_str()).collect();
            let (cleared, kept): (Vec<OpenNotice>, Vec<OpenNotice>) =
                std::mem::take(&mut self.open)
                    .into_iter()
                    .partition(|o| o.notice == name && !active.contains(o.subject.as_str()));
            self.open = kept;
            for o in cleared {
                self.outbox.push(Queued::new(Notice {
                    notice: o.notice,
                    state: "resolved".into(),
                    title: seen.condition.resolved_title(&o.subject),
                    text: format!("cleared: {}", o.title),
                    subject: o.subject,
                    opened_at: o.opened_at,
                    resolved_at: Some(now),
                    key: format!("{}:resolved", o.key),
                }));
                queued += 1;
            }
            for a in &seen.active {
                if let Some(open) = self
                    .open
                    .iter_mut()
                    .find(|o| o.notice == name && o.subject == a.subject)
                {
                    open.text.clone_from(&a.text);
                    continue;
                }
                let subject = if a.subject.is_empty() {
                    "-"
                } else {
                    &a.subject
                };
                let key = format!(
                    "upjobpilot:notice:{name}:{subject}:{}",
                    now.timestamp_micros()
                );
                self.open.push(OpenNotice {
                    notice: name.into(),
                    subject: a.subject.clone(),
                    opened_at: now,
                    key: key.clone(),
                    title: a.title.clone(),
                    text: a.text.clone(),
                    delivered: false,
                });
                self.outbox.push(Queued::new(Notice {
                    notice: name.into(),
                    subject: a.subject.clone(),
                    state: "open".into(),
                    title: a.title.clone(),
                    text: a.text.clone(),
                    opened_at: now,
                    resolved_at: None,
                    key,
                }));
                queued += 1;
            }
        }
        queued
    }

    /// Counts one run's searches: a failed one adds to its run of failures, any other ends it.
    /// Searches no longer configured are forgotten. The searches now at `threshold` or more.
    pub fn count_searches(
        &mut self,
        runs: &[SearchRun],
        configured: &[String],
        threshold: u32,
    ) -> Seen {
        self.search_failures
            .retain(|name, _| configured.contains(name));
        for run in runs {
            if run.failed {
                *self.search_failures.entry(run.name.clone()).or_default() += 1;
            } else {
                self.search_failures.remove(&run.name);
            }
        }
        let active = self
            .search_failures
            .iter()
            .filter(|(_, n)| **n >= threshold)
            .map(|(name, n)| {
                let note = runs
                    .iter()
                    .find(|r| &r.name == name)
                    .and_then(|r| r.note.clone())
                    .unwrap_or_default();
                Active {
                    subject: name.clone(),
                    title: format!("search {name} failed in {n} syncs in a row"),
                    text: format!(
                        "the last error: {note}\nthe other searches go on; see `upjobpilot status`, and fix or remove the search in pipeline.toml"
                    ),
                }
            })
            .collect();
        Seen {
            condition: Condition::SearchFailing,
            active,
        }
    }

    /// The messages to attempt at `now`.
    fn due(&self, now: DateTime<Utc>) -> Vec<usize> {
        (0..self.outbox.len())
            .filter(|i| self.outbox[*i].next_attempt_at.is_none_or(|t| t <= now))
            .collect()
    }
}

impl Queued {
    fn new(notice: Notice) -> Queued {
        Queued {
            notice,
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
        }
    }
}

/// One search's outcome in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRun {
    /// The search.
    pub name: String,
    /// Whether its fetch failed.
    pub failed: bool,
    /// Its note (the error).
    pub note: Option<String>,
}

/// What a sync knows at its end that the notices need; `None` where it does not know.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `Some(Some(error))`: the sign-in needs the user; `Some(None)`: a search got through.
    pub sign_in: Option<Option<String>>,
    /// Each search's outcome (not known when the sign-in failed: every search fails then).
    pub searches: Option<Vec<SearchRun>>,
    /// `Some(None)`: the run loaded; `Some(Some(start))`: its pages stayed in the spool, where
    /// the oldest run waiting started at `start`.
    pub spooled_since: Option<Option<DateTime<Utc>>>,
}

/// What [`after_sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NoticeReport {
    /// Messages queued by this evaluation (starts and ends).
    pub queued: usize,
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed (retried later).
    pub failed: usize,
}

/// The state file beside `database`.
pub fn state_path(database: &Path) -> PathBuf {
    files::beside(database, ".notices.json")
}

/// The state beside `database` (empty when there is none; a file that does not parse is set
/// aside as `.bad` and started over, rather than stopping every notice).
pub fn read_state(database: &Path) -> State {
    let path = state_path(database);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(stage = "notices", file = %path.display(), error = %e, "the notices' state does not parse; starting over");
            let _ = std::fs::rename(&path, files::beside(database, ".notices.json.bad"));
            State::default()
        }),
        Err(_) => State::default(),
    }
}

fn write_state(database: &Path, state: &State) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    crate::fs::write_atomic_mode(&state_path(database), &bytes, Some(0o600))
}

/// The notices open now, for `alerts status` (none without a state file).
pub fn open_now(database: &Path) -> Vec<OpenNotice> {
    let state = read_state(database);
    let pending: BTreeSet<&str> = state.outbox.iter().map(|q| q.notice.key.as_str()).collect();
    state
        .open
        .iter()
        .map(|o| OpenNotice {
            delivered: !pending.contains(o.key.as_str()),
            ..o.clone()
        })
        .collect()
}

/// The channel notices go through and the name a command sees, if `[notify]` is set.
pub fn channel(config: &Config) -> Option<(&str, &Channel)> {
    match &config.notify.as_ref()?.channel {
        NotifyChannel::Own(channel) => Some(("notify", channel)),
        NotifyChannel::Rule(name) => config
            .alerts
            .iter()
            .find(|a| &a.name == name)
            .map(|a| (a.name.as_str(), &a.channel)),
    }
}

/// Evaluates every condition with what this run knows, records the changes, and delivers the
/// notices due. Logs its problems; never fails a sync.
pub fn after_sync(config: &Config, facts: &Facts, busy_wait: Duration) -> Option<NoticeReport> {
    let notify = config.notify.as_ref()?;
    let (name, channel) = channel(config)?;
    let database = config.database_path();
    let lock = match DeliveryLock::take_notices(&database, LOCK_WAIT) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            tracing::warn!(
                stage = "notices",
                "another process kept the notices busy; this run's facts are not counted"
            );
            return None;
        }
        Err(e) => {
            tracing::warn!(stage = "notices", error = %e, "cannot take the notices lock");
            return None;
        }
    };
    let now = Utc::now();
    let mut state = read_state(&database);
    let mut seen = Vec::new();
    if let Some(sign_in) = &facts.sign_in {
        seen.push(sign_in_seen(sign_in.as_deref()));
    }
    seen.extend(refresh_seen(config, now));
    if let Some(runs) = &facts.searches {
        let configured: Vec<String> = config.searches.iter().map(|s| s.name.clone()).collect();
        seen.push(state.count_searches(runs, &configured, notify.search_failures));
    }
    // A run that spooled met the database held: waiting for it again would only slow the sync.
    if !matches!(facts.spooled_since, Some(Some(_))) {
        seen.extend(database_seen(config, busy_wait, now));
    }
    seen.push(disk_seen(config, notify.min_free_mb));
    if let Some(since) = facts.spooled_since {
        seen.push(held_seen(config, since, now));
    }
    let mut report = NoticeReport {
        queued: state.apply(&seen, now),
        ..NoticeReport::default()
    };
    for open in state.open.iter().filter(|o| o.opened_at == now) {
        tracing::warn!(stage = "notices", notice = %open.notice, subject = %open.subject, key = %open.key, title = %open.title, "health notice");
    }
    if let Err(e) = write_state(&database, &state) {
        tracing::error!(stage = "notices", file = %state_path(&database).display(), error = %e, "cannot record the health notices; they are evaluated again next sync");
        return Some(report);
    }
    deliver(&database, &mut state, name, channel, &mut report);
    drop(lock);
    Some(report)
}

/// Sends the messages due in order, recording each outcome in the state file before the next;
/// stops at a channel that looks down.
fn deliver(
    database: &Path,
    state: &mut State,
    name: &str,
    channel: &Channel,
    report: &mut NoticeReport,
) {
    for index in state.due(Utc::now()) {
        let at = Utc::now();
        let queued = &mut state.outbox[index];
        let result = channel::send_to(channel, name, &queued.notice, at);
        let down = match result {
            Ok(()) => {
                report.sent += 1;
                tracing::info!(stage = "notices", notice = %queued.notice.notice, key = %queued.notice.key, "health notice delivered");
                queued.last_error = None;
                queued.attempts = -1;
                false
            }
            Err(error) => {
                report.failed += 1;
                queued.attempts += 1;
                queued.next_attempt_at = Some(next_attempt(queued.attempts, at));
                queued.last_error = Some(error.to_string());
                tracing::warn!(stage = "notices", notice = %queued.notice.notice, key = %queued.notice.key, attempt = queued.attempts, error = %error, "health notice delivery failed; retried on a later sync");
                error.channel_down()
            }
        };
        if let Err(e) = write_state(database, &sent_removed(state)) {
            tracing::error!(stage = "notices", error = %e, "cannot record a notice's delivery; a later sync may send it again, with the same key");
            return;
        }
        if down {
            break;
        }
    }
    *state = sent_removed(state);
}

/// `state` without the messages marked delivered (attempts -1).
fn sent_removed(state: &State) -> State {
    let mut out = state.clone();
    out.outbox.retain(|q| q.attempts >= 0);
    out
}

fn sign_in_seen(error: Option<&str>) -> Seen {
    Seen {
        condition: Condition::SignIn,
        active: error
            .map(|e| Active {
                subject: String::new(),
                title: "upjobpilot is signed out of Upwork".into(),
                text: format!(
                    "{}\nrun `upjobpilot auth login` on the machine that syncs; every sync fails until then",
                    e.lines().next().unwrap_or(e)
                ),
            })
            .into_iter()
            .collect(),
    }
}

/// When the stored refresh token stops working: [`REFRESH_TOKEN_DAYS`] after the refresh that
/// issued it. `None` without a stored refresh token.
fn refresh_expiry(config: &Config) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if config.upwork.grant != GrantKind::AuthorizationCode {
        return None;
    }
    let store =
        crate::auth::TokenStore::for_client(&config.upwork.client_id, &config.upwork.token_url)
            .ok()?;
    let tokens = store.load().ok()??;
    tokens.refresh_token.as_ref()?;
    Some((
        tokens.saved_at,
        tokens.saved_at + TimeDelta::days(REFRESH_TOKEN_DAYS),
    ))
}

fn refresh_seen(config: &Config, now: DateTime<Utc>) -> Option<Seen> {
    let (renewed, expires) = refresh_expiry(config)?;
    Some(Seen {
        condition: Condition::RefreshExpiring,
        active: refresh_active(renewed, expires, now).into_iter().collect(),
    })
}

/// The refresh-token notice, when `expires` is within [`REFRESH_WARN_HOURS`] of `now`.
fn refresh_active(
    renewed: DateTime<Utc>,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Active> {
    let left = expires - now;
    (left <= TimeDelta::hours(REFRESH_WARN_HOURS)).then(|| Active {
        subject: String::new(),
        title: format!("the Upwork sign-in ends in {} h", left.num_hours().max(0)),
        text: format!(
            "the refresh token was last renewed at {} and stops working at {}: no sync has used it since. run `upjobpilot sync` before then (it renews the sign-in), or `upjobpilot auth login` after",
            renewed.to_rfc3339_opts(SecondsFormat::Secs, true),
            expires.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    })
}

/// The failing alert rules and the day's requests, from the database; nothing when it is busy.
fn database_seen(config: &Config, busy_wait: Duration, now: DateTime<Utc>) -> Vec<Seen> {
    let Some(notify) = &config.notify else {
        return Vec::new();
    };
    let database = config.database_path();
    if !database.exists() {
        return Vec::new();
    }
    let conn = match db::open_waiting(&database, busy_wait) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::info!(stage = "notices", error = %e, "database busy; the rule and budget notices wait for the next sync");
            return Vec::new();
        }
    };
    let mut seen = Vec::new();
    match super::status(&conn, &config.alerts) {
        Ok(rules) => seen.push(Seen {
            condition: Condition::RuleFailing,
            active: rules
                .into_iter()
                .filter(|r| r.failing && config.alerts.iter().any(|a| a.name == r.rule))
                .map(|r| Active {
                    title: format!("alert rule {} is failing", r.rule),
                    text: format!(
                        "{} deliveries in a row failed; the last: {}\nthe postings wait and are retried; see `upjobpilot alerts status`",
                        r.consecutive_failures,
                        r.last_error.as_deref().unwrap_or("unknown")
                    ),
                    subject: r.rule,
                })
                .collect(),
        }),
        Err(e) => tracing::warn!(stage = "notices", error = %e, "cannot read the alert rules"),
    }
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    match conn.query_row(sql::NOTICE_REQUESTS_SINCE, [midnight], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(used) => {
            let used = u64::try_from(used).unwrap_or(0);
            let mark = notify.daily_budget * u64::from(notify.budget_percent) / 100;
            seen.push(Seen {
                condition: Condition::Budget,
                active: (used > mark)
                    .then(|| Active {
                        subject: String::new(),
                        title: format!(
                            "{used} requests to Upwork today, past {}% of the daily budget",
                            notify.budget_percent
                        ),
                        text: format!(
                            "the syncs since 00:00 UTC sent {used} requests; `notify.daily_budget` is {} (Upwork may disable a key above 40000 a day). sync less often (`watch --interval-secs`, the schedule) or with fewer searches",
                            notify.daily_budget
                        ),
                    })
                    .into_iter()
                    .collect(),
            });
        }
        Err(e) => tracing::warn!(stage = "notices", error = %e, "cannot count today's requests"),
    }
    seen
}

/// Free space on the disks of the database and the spool (one notice per disk).
fn disk_seen(config: &Config, min_free_mb: u64) -> Seen {
    let mut active = Vec::new();
    let mut disks = BTreeSet::new();
    if min_free_mb > 0 {
        let database = config.database_path();
        let places = [
            ("database", crate::fs::parent_dir(&database).to_path_buf()),
            ("spool", config.spool_dir()),
        ];
        for (subject, place) in places {
            // The spool folder may not exist yet: its nearest existing parent is on its disk.
            let Some(existing) = place.ancestors().find(|p| p.exists()) else {
                continue;
            };
            match crate::platform::free_space(existing) {
                Ok((free, disk)) => {
                    if !disks.insert(disk) {
                        continue;
                    }
                    let free_mb = free / 1_000_000;
                    if free_mb < min_free_mb {
                        active.push(Active {
                            subject: subject.into(),
                            title: format!("{free_mb} MB free on the disk of the {subject}"),
                            text: format!(
                                "{} has less than `notify.min_free_mb` ({min_free_mb} MB) free; loads, exports and the spool need room. free some space",
                                place.display()
                            ),
                        });
                    }
                }
                Err(e) => {
                    tracing::debug!(stage = "notices", place = %place.display(), error = %e, "free space not measured");
                }
            }
        }
    }
    Seen {
        condition: Condition::DiskSpace,
        active,
    }
}

/// Whether syncs have been spooling for over [`HELD_MINUTES`]: this run did not load, and the
/// oldest run waiting in the spool started at `spooled_since`, that long ago.
fn held_seen(config: &Config, spooled_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Seen {
    let active = spooled_since
        .filter(|oldest| now - *oldest > TimeDelta::minutes(HELD_MINUTES))
        .map(|oldest| Active {
            subject: String::new(),
            title: format!(
                "syncs have not loaded for {} min: another program holds the database",
                (now - oldest).num_minutes()
            ),
            text: format!(
                "another program (a notebook, the duckdb CLI) has held {} since {}; the fetched pages wait in the spool and load once it lets go. close it",
                config.database_path().display(),
                oldest.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        });
    Seen {
        condition: Condition::DatabaseHeld,
        active: active.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(subject: &str) -> Active {
        Active {
            subject: subject.into(),
            title: format!("{subject} is broken"),
            text: "details".into(),
        }
    }

    fn seen(condition: Condition, subjects: &[&str]) -> Seen {
        Seen {
            condition,
            active: subjects.iter().map(|s| active(s)).collect(),
        }
    }

    fn keys(state: &State) -> Vec<(String, String)> {
        state
            .outbox
            .iter()
            .map(|q| (q.notice.state.clone(), q.notice.key.clone()))
            .collect()
    }

    #[test]
    fn a_condition_is_sent_once_when_it_starts_and_once_when_it_clears() {
        let mut state = State::default();
        let t0 = Utc::now();
        assert_eq!(state.apply(&[seen(Condition::SignIn, &[""])], t0), 1);
        // Still active: nothing new, however often it is seen.
        for i in 1..5 {
            let later = t0 + TimeDelta::minutes(i);
            assert_eq!(state.apply(&[seen(Condition::SignIn, &[""])], later), 0);
        }
        // Not seen at all (unknown this time): stays open.
        assert_eq!(state.apply(&[], t0 + TimeDelta::minutes(6)), 0);
        assert_eq!(state.open.len(), 1);
        assert_eq!(
            state.apply(&[seen(Condition::SignIn, &[])], t0 + TimeDelta::minutes(7)),
            1
        );
        assert!(state.open.is_empty());
        let key = format!("upjobpilot:notice:sign_in:-:{}", t0.timestamp_micros());
        assert_eq!(
            keys(&state),
            vec![
                ("open".into(), key.clone()),
                ("resolved".into(), format!("{key}:resolved"))
            ]
        );
        // Clear again: nothing.
        assert_eq!(
            state.apply(&[seen(Condition::SignIn, &[])], t0 + TimeDelta::minutes(8)),
            0
        );
    }

    #[test]
    fn each_occurrence_and_each_subject_has_its_own_key() {
        let mut state = State::default();
        let t0 = Utc::now();
        let t1 = t0 + TimeDelta::hours(1);
        state.apply(&[seen(Condition::RuleFailing, &["a", "b"])], t0);
        state.apply(
            &[seen(Condition::RuleFailing, &["b"])],
            t0 + TimeDelta::minutes(1),
        );
        state.apply(&[seen(Condition::RuleFailing, &["a", "b"])], t1);
        let all: BTreeSet<String> = keys(&state).into_iter().map(|(_, k)| k).collect();
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all.contains(&format!(
            "upjobpilot:notice:rule_failing:a:{}",
            t1.timestamp_micros()
        )));
        // Other conditions are untouched by an evaluation of this one.
        state.apply(&[seen(Condition::Budget, &[""])], t1);
        state.apply(&[seen(Condition::Budget, &[])], t1);
        assert_eq!(
            state
                .open
                .iter()
                .filter(|o| o.notice == "rule_failing")
                .count(),
            2
        );
    }

    #[test]
    fn a_search_is_reported_after_n_failed_runs_in_a_row() {
        let mut state = State::default();
        let configured = vec!["a".to_string(), "b".to_string()];
        let run = |a_failed: bool| {
            vec![
                SearchRun {
                    name: "a".into(),
                    failed: a_failed,
                    note: a_failed.then(|| "HTTP 400".into()),
                },
                SearchRun {
                    name: "b".into(),
                    failed: false,
                    note: None,
                },
            ]
        };
        let subjects = |s: &Seen| {
            s.active
                .iter()
                .map(|a| a.subject.clone())
                .collect::<Vec<_>>()
        };
        assert!(subjects(&state.count_searches(&run(true), &configured, 3)).is_empty());
        assert!(subjects(&state.count_searches(&run(true), &configured, 3)).is_empty());
        // A success ends the run of failures.
        state.count_searches(&run(false), &configured, 3);
        for _ in 0..2 {
            assert!(subjects(&state.count_searches(&run(true), &configured, 3)).is_empty());
        }
        let third = state.count_searches(&run(true), &configured, 3);
        assert_eq!(subjects(&third), vec!["a".to_string()]);
        assert!(third.active[0].text.contains("HTTP 400"));
        // A search removed from the config is forgotten.
        state.count_searches(&[], &["b".to_string()], 3);
        assert!(state.search_failures.is_empty());
    }

    #[test]
    fn a_delivered_message_leaves_the_outbox_and_a_failed_one_backs_off() {
        let mut state = State::default();
        let t0 = Utc::now();
        state.apply(&[seen(Condition::Budget, &[""])], t0);
        assert_eq!(state.due(t0), vec![0]);
        state.outbox[0].attempts = 1;
        state.outbox[0].next_attempt_at = Some(next_attempt(1, t0));
        assert!(state.due(t0).is_empty());
        assert_eq!(state.due(t0 + TimeDelta::seconds(30)), vec![0]);
        state.outbox[0].attempts = -1;
        assert!(sent_removed(&state).outbox.is_empty());
    }

    #[test]
    fn the_state_survives_a_round_trip_through_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("a.duckdb");
        let mut state = State::default();
        state.apply(&[seen(Condition::DiskSpace, &["spool"])], Utc::now());
        write_state(&database, &state).expect("write");
        assert_eq!(read_state(&database), state);
        std::fs::write(state_path(&database), b"{not json").expect("garble");
        assert_eq!(read_state(&database), State::default());
        assert!(files::beside(&database, ".notices.json.bad").exists());
    }

    #[test]
    fn the_refresh_token_is_reported_from_48_hours_before_its_end() {
        let now = Utc::now();
        let renewed = now - TimeDelta::days(11);
        let expires = renewed + TimeDelta::days(REFRESH_TOKEN_DAYS);
        assert_eq!(
            refresh_active(renewed, expires, now),
            None,
            "three days left"
        );
        let later = now + TimeDelta::days(1) + TimeDelta::minutes(1);
        let notice = refresh_active(renewed, expires, later).expect("47 h left");
        assert!(notice.title.contains("47 h"), "{notice:?}");
        assert!(notice.text.contains("upjobpilot sync"), "{notice:?}");
    }

    #[test]
    fn a_database_is_reported_held_after_an_hour_of_spooling() {
        let config = Config::parse(
            "[upwork]\nclient_id = \"k\"\n[[search]]\nname = \"a\"\n",
            Path::new("/tmp/p/pipeline.toml"),
        )
        .expect("config");
        let now = Utc::now();
        let held = |since: Option<DateTime<Utc>>| held_seen(&config, since, now).active;
        assert!(held(None).is_empty(), "the run loaded");
        assert!(held(Some(now - TimeDelta::minutes(59))).is_empty());
        let active = held(Some(now - TimeDelta::minutes(61)));
        assert_eq!(active.len(), 1);
        assert!(active[0].title.contains("61 min"), "{active:?}");
    }
}
