//! Fetch: page through each search, newest first, into the spool.
//!
//! The incremental invariant (DESIGN.md): a search's watermark is the newest recency (the later
//! of `publishedDateTime` and `renewedDateTime`) below which every matching posting is stored.
//! Upwork's `RECENCY` order is not trusted to be strict: nothing public says whether it sorts by
//! publication or by renewal, and a renewed or boosted older posting may sit at the top. So
//! paging does not stop at the first old posting, but after a page whose last postings sort
//! below the watermark less a little slack (for postings indexed late): below such a page, in
//! either order, lie only postings already stored, and an idle sync still stops after its first
//! page. A first sync stops the same way at the `max_age` horizon. Only a first sync has a
//! horizon: after an outage of any length the search pages down to its watermark, and if
//! `max_pages` stops it first, the search is truncated with a note naming the time span not
//! fetched. A `max_pages` stop or an error keeps the old watermark, so the next run covers the
//! gap.
//!
//! A posting dated later than the fetch time (plus [`FUTURE_SKEW_SECS`]) moves no watermark and
//! plays no part in these decisions; the load stage quarantines it. A page that Upwork answered
//! partially (GraphQL errors that nulled some postings, API.md) counts as fetched: its good
//! postings are stored, and the search ends `lost` with a note of what was withheld, where.
//!
//! Offsets move while we page: postings arriving at the top push the list down (we see a few
//! twice, harmless), postings closing pull it up (we could skip one). Each page after the first
//! therefore starts a few postings before the previous page ended, and if its first posting is not
//! one we have already seen, the list moved up by more than that overlap: we step back a page.

use super::spool::{Outcome, RunSpool, SearchStatus};
use crate::config::{Search, Sort};
use crate::upwork::{Fetched, UpworkClient, UpworkError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;

/// Postings each page re-reads from the end of the previous one.
pub const PAGE_OVERLAP: u64 = 5;
/// How far below the watermark paging goes on, for postings Upwork indexes a little late.
pub const WATERMARK_SLACK_SECS: i64 = 120;
/// How many times one search may step back after a gap before it gives up.
const MAX_STEP_BACKS: u32 = 32;
/// How many postings at the end of a page must sort below the stop point to end paging.
const TAIL: usize = 3;
/// How far past the fetch time a posting's dates may lie (clock skew) before they are taken as
/// wrong: such a posting would otherwise raise the watermark for good.
pub const FUTURE_SKEW_SECS: i64 = 300;

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

/// Fetches one search into the run's spool folder; `first` is its first page when the poll's
/// batched request brought it.
pub async fn fetch_search(
    client: &UpworkClient,
    spool: &RunSpool,
    search: &Search,
    watermark: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    progress: &dyn Progress,
    mut first: Option<Fetched>,
) -> SearchFetch {
    let incremental = search.sort == Sort::Recency;
    let horizon = now - Duration::hours(i64::from(search.max_age_hours));
    // The fetch's clock: ours, or the server's (its `Date` header) when that is later, so a
    // posting is "in the future" only if it is later than both.
    let mut clock = now;
    let slack = Duration::seconds(WATERMARK_SLACK_SECS);
    let page_size = u64::from(search.page_size);
    let mut seen: HashSet<String> = HashSet::new();
    let mut newest: Option<DateTime<Utc>> = None;
    let mut oldest: Option<DateTime<Utc>> = None;
    let mut offset: u64 = 0;
    let mut pages: u32 = 0;
    let mut step_backs = 0;
    let mut total_count = None;
    let mut note = None;
    let mut error = None;
    let mut lost = 0;
    let mut withheld_at: HashSet<u64> = HashSet::new();
    // The recency of the last posting of the page before, for the withheld ones at the top.
    let mut previous_tail: Option<DateTime<Utc>> = None;
    let mut lost_errors: Vec<String> = Vec::new();
    let status = loop {
        if pages >= search.max_pages {
            if incremental {
                let from = watermark.unwrap_or(horizon);
                let gap = match oldest {
                    Some(oldest) if oldest > from => format!(
                        "postings from {} to {} were not fetched",
                        from.format("%Y-%m-%d %H:%M UTC"),
                        oldest.format("%Y-%m-%d %H:%M UTC")
                    ),
                    _ => "older postings may be missing".to_string(),
                };
                note = Some(format!(
                    "stopped at max_pages = {} before reaching the previous sync: {gap} (raise max_pages; the next sync tries again)",
                    search.max_pages
                ));
                break SearchStatus::Truncated;
            }
            break SearchStatus::Complete;
        }
        // The first page may have come in the poll's batched request.
        let prefetched = if offset == 0 { first.take() } else { None };
        let fetched = match prefetched {
            Some(fetched) => fetched,
            None => match client.search_page(search, offset).await {
                Ok(fetched) => fetched,
                Err(e) => {
                    note = Some(e.to_string());
                    error = Some(e);
                    break SearchStatus::Failed;
                }
            },
        };
        pages += 1;
        if let Err(e) = spool.write_page(&search.name, pages, &fetched.body) {
            note = Some(e.to_string());
            break SearchStatus::Failed;
        }
        if let Some(server) = fetched.server_time {
            clock = clock.max(server);
        }
        let future = clock + Duration::seconds(FUTURE_SKEW_SECS);
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
        if !page.errors.is_empty() {
            // A withheld posting is new to us if it sorts above the watermark: the posting
            // before it does (the list is newest first). One below was withheld at an earlier
            // sync already (or stored then), and reporting it again on every run would make a
            // scheduled sync "partial" for as long as Upwork keeps it broken.
            let mut above =
                offset == 0 || previous_tail.is_none_or(|t| watermark.is_none_or(|w| t > w));
            let mut newly = 0;
            for (index, edge) in page.edges.iter().enumerate() {
                if let Some(recency) = edge.recency() {
                    above = watermark.is_none_or(|w| recency > w);
                } else if edge.null && above && withheld_at.insert(offset + index as u64) {
                    newly += 1;
                }
            }
            tracing::warn!(
                stage = "fetch",
                search = %search.name,
                offset,
                withheld = page.lost(),
                new = newly,
                errors = %page.errors.join("; "),
                "upwork answered part of a page; its good postings are kept"
            );
            lost += newly;
            for e in &page.errors {
                if lost_errors.len() < 3 && !lost_errors.contains(e) {
                    lost_errors.push(e.clone());
                }
            }
        }
        // The page's postings as (published, recency), leaving out those dated in the future.
        let times: Vec<(DateTime<Utc>, DateTime<Utc>)> = page
            .edges
            .iter()
            .filter_map(|e| Some((e.published?, e.recency()?)))
            .filter(|(published, recency)| *published <= future && *recency <= future)
            .collect();
        for edge in &page.edges {
            if let Some(id) = &edge.id {
                seen.insert(id.clone());
            }
        }
        for &(_, t) in &times {
            newest = Some(newest.map_or(t, |n| n.max(t)));
            oldest = Some(oldest.map_or(t, |o| o.min(t)));
        }
        // The page's tail sorts below the stop point: under either order (publication or
        // renewal), what follows it is older still, so already stored (or past the horizon of a
        // first sync). A posting placed out of order (renewed or boosted to the top) cannot end
        // paging early, and it takes [`TAIL`] of them to fake a tail.
        let stop_at = match watermark {
            Some(w) => w - slack,
            None => horizon,
        };
        let tail = &times[times.len().saturating_sub(TAIL)..];
        if let Some(&(_, last)) = times.last() {
            previous_tail = Some(last);
        }
        let reached = !tail.is_empty() && tail.iter().all(|(_, recency)| *recency < stop_at);
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
    // A complete fetch that Upwork answered only in part: the watermark moves (asking again
    // would meet the same broken postings), the loss is reported.
    let status = if status == SearchStatus::Complete && lost > 0 {
        let lost_note = format!(
            "upwork withheld {lost} posting{} with errors ({}); the rest is stored",
            if lost == 1 { "" } else { "s" },
            lost_errors.join("; ")
        );
        note = Some(match note {
            Some(n) => format!("{lost_note}; {n}"),
            None => lost_note,
        });
        SearchStatus::Lost
    } else {
        if status == SearchStatus::Complete && !lost_errors.is_empty() && note.is_none() {
            note = Some(format!(
                "upwork answered with errors but withheld no posting ({})",
                lost_errors.join("; ")
            ));
        }
        status
    };
    let new_watermark = match status {
        SearchStatus::Complete | SearchStatus::Lost if incremental => match (watermark, newest) {
            (Some(w), Some(n)) => Some(w.max(n)),
            (w, n) => n.or(w),
        },
        _ => watermark,
    };
    let outcome = Outcome {
        server_time: Some(clock),
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
