//! Fetch: page through each search, newest first, into the spool.
//!
//! The incremental invariant (DESIGN.md): a search's watermark is the newest `publishedDateTime`
//! below which every matching posting is stored. Paging stops at the first posting older than
//! the watermark (less a little slack, for postings indexed late), at the `max_age` horizon, or
//! at the end of the results; only then may the watermark move up to the newest posting seen. A
//! `max_pages` stop or an error keeps the old watermark, so the next run covers the gap.
//!
//! Offsets move while we page: postings arriving at the top push the list down (we see a few
//! twice, harmless), postings closing pull it up (we could skip one). Each page after the first
//! therefore starts a few postings before the previous page ended, and if its first posting is not
//! one we have already seen, the list moved up by more than that overlap: we step back a page.

use super::spool::{Outcome, RunSpool, SearchStatus};
use crate::config::{Search, Sort};
use crate::upwork::{UpworkClient, UpworkError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;

/// Postings each page re-reads from the end of the previous one.
pub const PAGE_OVERLAP: u64 = 5;
/// How far below the watermark paging goes on, for postings Upwork indexes a little late.
pub const WATERMARK_SLACK_SECS: i64 = 120;
/// How many times one search may step back after a gap before it gives up.
const MAX_STEP_BACKS: u32 = 32;

/// What one search's fetch did.
#[derive(Debug)]
pub struct SearchFetch {
    /// Written to `outcome.json`.
    pub outcome: Outcome,
    /// Postings seen (with repeats across overlapping pages removed).
    pub postings: usize,
    /// A fatal error, for the run's report.
    pub error: Option<UpworkError>,
}

/// Reports progress (a progress bar on a terminal, nothing otherwise).
pub trait Progress: Send + Sync {
    /// A page of `search` arrived with `postings` postings; `total` is Upwork's count.
    fn page(&self, search: &str, postings: usize, total: Option<i64>);
    /// The search finished.
    fn done(&self, search: &str, outcome: &Outcome);
}

/// Fetches one search into the run's spool folder.
pub async fn fetch_search(
    client: &UpworkClient,
    spool: &RunSpool,
    search: &Search,
    watermark: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> SearchFetch {
    let incremental = search.sort == Sort::Recency;
    let horizon = now - Duration::hours(i64::from(search.max_age_hours));
    let stop_at = match watermark {
        Some(w) => (w - Duration::seconds(WATERMARK_SLACK_SECS)).max(horizon),
        None => horizon,
    };
    let page_size = u64::from(search.page_size);
    let mut seen: HashSet<String> = HashSet::new();
    let mut newest: Option<DateTime<Utc>> = None;
    let mut offset: u64 = 0;
    let mut pages: u32 = 0;
    let mut step_backs = 0;
    let mut total_count = None;
    let mut note = None;
    let mut error = None;
    let status = loop {
        if pages >= search.max_pages {
            if incremental {
                note = Some(format!(
                    "stopped at max_pages = {} before reaching the previous sync; older postings may be missing (raise max_pages)",
                    search.max_pages
                ));
                break SearchStatus::Truncated;
            }
            break SearchStatus::Complete;
        }
        let fetched = match client
            .search_page(&search.filter, search.sort, offset, search.page_size)
            .await
        {
            Ok(fetched) => fetched,
            Err(e) => {
                note = Some(e.to_string());
                error = Some(e);
                break SearchStatus::Failed;
            }
        };
        pages += 1;
        if let Err(e) = spool.write_page(&search.name, pages, &fetched.body) {
            note = Some(e.to_string());
            break SearchStatus::Failed;
        }
        let page = fetched.page;
        if pages == 1 {
            total_count = page.total_count;
        }
        progress.page(&search.name, page.edges.len(), total_count);
        let continuous = offset == 0
            || page.edges.is_empty()
            || page.edges[0]
                .id
                .as_ref()
                .is_some_and(|id| seen.contains(id));
        if !continuous {
            if step_backs == MAX_STEP_BACKS {
                // Going on would risk a gap; keeping the watermark makes the next run redo it.
                note = Some(format!(
                    "the result list kept shifting while paging (stepped back {MAX_STEP_BACKS} times); the next sync reads it again"
                ));
                break SearchStatus::Failed;
            }
            // The list moved up by more than the overlap since the last page: postings between
            // the two may have been skipped. Go back a page and read it again.
            step_backs += 1;
            tracing::debug!(stage = "fetch", search = %search.name, offset, "result list shifted; stepping back");
            offset = offset.saturating_sub(page_size);
            continue;
        }
        let mut reached = false;
        for edge in &page.edges {
            if let Some(id) = &edge.id {
                seen.insert(id.clone());
            }
            if let Some(published) = edge.published {
                newest = Some(newest.map_or(published, |n| n.max(published)));
                if published < stop_at {
                    reached = true;
                }
            }
        }
        if incremental && reached {
            break SearchStatus::Complete;
        }
        let received = page.edges.len() as u64;
        if !page.has_next_page || received == 0 {
            let reachable = offset + received;
            if let Some(total) = page.total_count.filter(|t| *t as u64 > reachable) {
                note = Some(format!(
                    "upwork stopped returning results at offset {reachable} of {total}; older matches cannot be reached through search"
                ));
            }
            break SearchStatus::Complete;
        }
        let next = page
            .end_cursor
            .as_deref()
            .and_then(|c| c.parse::<u64>().ok())
            .unwrap_or(offset + received);
        // Overlap the next page with this one, but always move forward.
        offset = next
            .saturating_sub(PAGE_OVERLAP.min(received / 2))
            .max(offset + 1);
    };
    let new_watermark = match status {
        SearchStatus::Complete if incremental => match (watermark, newest) {
            (Some(w), Some(n)) => Some(w.max(n)),
            (w, n) => n.or(w),
        },
        _ => watermark,
    };
    let outcome = Outcome {
        search: search.name.clone(),
        status,
        watermark: new_watermark,
        pages,
        total_count,
        note,
    };
    progress.done(&search.name, &outcome);
    SearchFetch {
        outcome,
        postings: seen.len(),
        error,
    }
}
