//! A posting's competition signals as people read them: one snapshot of `job_activity` (written
//! by [`crate::pipeline::signals`]) and its one-line summary, "interviewing 3 · invites 5 · client
//! active 2 h ago".
//!
//! The alert payloads, the dashboard and the MCP tools all show a snapshot this way, so each query
//! that reads one selects [`COLUMNS`] in this order and [`Activity::read`] turns them back into a
//! snapshot.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How many columns a snapshot takes in a query's row ([`Activity::read`]).
pub const COLUMNS: usize = 9;

/// One snapshot of a posting's activity on Upwork.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Activity {
    /// When Upwork was asked, UTC.
    #[schemars(with = "String")]
    pub fetched_at: DateTime<Utc>,
    /// `ACTIVE`, `CLOSED`, or `GONE` (Upwork answered no posting).
    pub status: String,
    /// Candidates the client invited to interview.
    pub interviewing: Option<i64>,
    /// Invitations the client sent.
    pub invites_sent: Option<i64>,
    /// Freelancers hired.
    pub hired: Option<i64>,
    /// Invitations not answered yet.
    pub unanswered_invites: Option<i64>,
    /// Offers made.
    pub offered: Option<i64>,
    /// When the client was last active on Upwork, UTC, if Upwork said and it was readable.
    #[schemars(with = "Option<String>")]
    pub last_client_activity: Option<DateTime<Utc>>,
    /// The average bid, when the key may read bid statistics.
    pub bid_avg: Option<f64>,
}

impl Activity {
    /// Reads the [`COLUMNS`] columns from `first` on: fetched_at, status, interviewing,
    /// invites_sent, hired, unanswered_invites, offered, last_client_activity, bid_avg. `None`
    /// when the posting has no snapshot (the columns are NULL).
    pub fn read(row: &duckdb::Row<'_>, first: usize) -> duckdb::Result<Option<Activity>> {
        let Some(fetched_at) = row.get::<_, Option<DateTime<Utc>>>(first)? else {
            return Ok(None);
        };
        Ok(Some(Activity {
            fetched_at,
            status: row.get(first + 1)?,
            interviewing: row.get(first + 2)?,
            invites_sent: row.get(first + 3)?,
            hired: row.get(first + 4)?,
            unanswered_invites: row.get(first + 5)?,
            offered: row.get(first + 6)?,
            last_client_activity: row.get(first + 7)?,
            bid_avg: row.get(first + 8)?,
        }))
    }

    /// `interviewing 3 · invites 5 · client active 2 h ago`; a closed or removed posting says so
    /// first, a hire is named, a figure Upwork did not send is left out.
    pub fn summary(&self, now: DateTime<Utc>) -> String {
        let mut parts = Vec::new();
        match self.status.as_str() {
            "CLOSED" => parts.push("closed".to_string()),
            "GONE" => return "no longer on Upwork".to_string(),
            _ => {}
        }
        if let Some(n) = self.interviewing {
            parts.push(format!("interviewing {n}"));
        }
        if let Some(n) = self.invites_sent {
            parts.push(format!("invites {n}"));
        }
        if let Some(n) = self.hired.filter(|n| *n > 0) {
            parts.push(format!("hired {n}"));
        }
        if let Some(at) = self.last_client_activity {
            parts.push(format!("client active {}", ago(at, now)));
        }
        parts.join(" · ")
    }
}

/// `just now`, `12 min ago`, `2 h ago`, `3 d ago` (a time in the future reads `just now`).
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - then).num_minutes();
    match minutes {
        i64::MIN..=0 => "just now".to_string(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} d ago", minutes / 1440),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    #[test]
    fn the_summary_reads_like_the_list_shows_it() {
        let now = at("2026-12-06T12:00:00Z");
        let mut activity = Activity {
            fetched_at: now,
            status: "ACTIVE".into(),
            interviewing: Some(3),
            invites_sent: Some(5),
            hired: Some(0),
            unanswered_invites: Some(1),
            offered: Some(0),
            last_client_activity: Some(at("2026-12-06T10:00:00Z")),
            bid_avg: None,
        };
        assert_eq!(
            activity.summary(now),
            "interviewing 3 · invites 5 · client active 2 h ago"
        );
        activity.status = "CLOSED".into();
        activity.hired = Some(1);
        activity.last_client_activity = None;
        assert_eq!(
            activity.summary(now),
            "closed · interviewing 3 · invites 5 · hired 1"
        );
        activity.status = "GONE".into();
        assert_eq!(activity.summary(now), "no longer on Upwork");
    }

    #[test]
    fn ages_in_minutes_hours_and_days() {
        let now = at("2026-12-06T12:00:00Z");
        assert_eq!(ago(at("2026-12-06T12:05:00Z"), now), "just now");
        assert_eq!(ago(at("2026-12-06T11:48:00Z"), now), "12 min ago");
        assert_eq!(ago(at("2026-12-05T12:00:00Z"), now), "24 h ago");
        assert_eq!(ago(at("2026-12-03T12:00:00Z"), now), "3 d ago");
    }
}
