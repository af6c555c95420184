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
use crate::upwork::page::PageSummary;
use crate::upwork::{Fetched, UpworkClient, UpworkError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::ops::ControlFlow;

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

/// What one search's fetch needs.
pub struct FetchInput<'a> {
    /// The Upwork client, shared by every search of the run under one rate limiter.
    pub client: &'a UpworkClient,
    /// The run's spool folder: each page is written there as it arrives.
    pub spool: &'a RunSpool,
    /// The search to page through.
    pub search: &'a Search,
    /// The search's watermark; `None` before its first complete sync.
    pub watermark: Option<DateTime<Utc>>,
    /// When the sync started: the fetch's clock, and the start of a first sync's horizon.
    pub now: DateTime<Utc>,
    /// Told of every page and of the end.
    pub progress: &'a dyn Progress,
    /// The search's first page, when the poll's batched request brought it.
    pub first: Option<Fetched>,
}

/// Fetches one search into the run's spool folder.
pub async fn fetch_search(input: FetchInput<'_>) -> SearchFetch {
    let mut paging = Paging::new(input);
    let status = loop {
        if let ControlFlow::Break(status) = paging.next_page().await {
            break status;
        }
    };
    paging.finish(status)
}

/// One search's paging: what it was given, where it stands, and what its pages showed.
struct Paging<'a> {
    input: FetchInput<'a>,
    /// Only a search sorted by recency stops at its watermark and moves it.
    incremental: bool,
    /// Where a first sync stops: `max_age` before the fetch time.
    horizon: DateTime<Utc>,
    /// The fetch's clock: ours, or the server's (its `Date` header) when that is later, so a
    /// posting is "in the future" only if it is later than both.
    clock: DateTime<Utc>,
    /// Where the next page starts.
    offset: u64,
    /// Pages fetched (and spooled).
    pages: u32,
    /// How many times paging stepped back after a gap.
    step_backs: u32,
    /// Upwork's count of all matches, from the first page.
    total_count: Option<i64>,
    /// The postings read, by [`id_key`]: a first sync reads up to a million of them (measured
    /// at a million: the fetch's RSS grew from 64 to 114 MB with the ids as strings, stays at
    /// 59-77 MB with the keys).
    seen: HashSet<u64>,
    /// The newest recency read, leaving out postings dated in the future.
    newest: Option<DateTime<Utc>>,
    /// The oldest recency read, leaving out postings dated in the future.
    oldest: Option<DateTime<Utc>>,
    /// The recency of the last posting of the page before, for the withheld ones at the top.
    previous_tail: Option<DateTime<Utc>>,
    /// The offsets of the postings Upwork withheld that are new to us: the loss to report.
    withheld_at: HashSet<u64>,
    /// The first few distinct GraphQL errors of partial pages, for the note.
    lost_errors: Vec<String>,
    /// What a person should know about how the search ended.
    note: Option<String>,
    /// A fatal error, for the run's report.
    error: Option<UpworkError>,
}

/// A posting's id as a key of [`Paging::seen`]: its 64-bit hash. A collision among a million
/// ids (about one chance in 30 million) would count a posting once too few, or take a page that
/// starts with the colliding posting for one that follows on.
fn id_key(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

impl<'a> Paging<'a> {
    fn new(input: FetchInput<'a>) -> Self {
        let search = input.search;
        Paging {
            incremental: search.sort == Sort::Recency,
            horizon: input.now - Duration::hours(i64::from(search.max_age_hours)),
            clock: input.now,
            offset: 0,
            pages: 0,
            step_backs: 0,
            total_count: None,
            seen: HashSet::new(),
            newest: None,
            oldest: None,
            previous_tail: None,
            withheld_at: HashSet::new(),
            lost_errors: Vec::new(),
            note: None,
            error: None,
            input,
        }
    }

    /// One round of paging: ask for a page, record what it shows, decide whether to go on.
    /// `Break` ends paging with the search's status.
    async fn next_page(&mut self) -> ControlFlow<SearchStatus> {
        self.check_max_pages()?;
        let fetched = self.ask_page().await?;
        let page = self.keep_page(fetched)?;
        if !self.continuous(&page) {
            return self.step_back();
        }
        self.count_withheld(&page);
        let times = self.read_dates(&page);
        if self.incremental && self.reached_stop_point(&times) {
            return ControlFlow::Break(SearchStatus::Complete);
        }
        self.advance(&page)
    }

    /// Ends paging at `max_pages`: an incremental search that has not reached its watermark (or
    /// horizon) by then is truncated, with a note naming the span not fetched.
    fn check_max_pages(&mut self) -> ControlFlow<SearchStatus> {
        let search = self.input.search;
        if self.pages < search.max_pages {
            return ControlFlow::Continue(());
        }
        if !self.incremental {
            return ControlFlow::Break(SearchStatus::Complete);
        }
        let from = self.input.watermark.unwrap_or(self.horizon);
        let gap = match self.oldest {
            Some(oldest) if oldest > from => format!(
                "postings from {} to {} were not fetched",
                from.format("%Y-%m-%d %H:%M UTC"),
                oldest.format("%Y-%m-%d %H:%M UTC")
            ),
            _ => "older postings may be missing".to_string(),
        };
        self.note = Some(format!(
            "stopped at max_pages = {} before reaching the previous sync: {gap} (raise max_pages; the next sync tries again)",
            search.max_pages
        ));
        ControlFlow::Break(SearchStatus::Truncated)
    }

    /// The page at the current offset: asked of Upwork, unless the poll's batch brought it.
    async fn ask_page(&mut self) -> ControlFlow<SearchStatus, Fetched> {
        // The first page may have come in the poll's batched request.
        let prefetched = if self.offset == 0 {
            self.input.first.take()
        } else {
            None
        };
        if let Some(fetched) = prefetched {
            return ControlFlow::Continue(fetched);
        }
        match self
            .input
            .client
            .search_page(self.input.search, self.offset)
            .await
        {
            Ok(fetched) => ControlFlow::Continue(fetched),
            Err(e) => {
                self.note = Some(e.to_string());
                self.error = Some(e);
                ControlFlow::Break(SearchStatus::Failed)
            }
        }
    }

    /// Writes the page to the spool, moves the clock to the server's, and reports progress.
    fn keep_page(&mut self, fetched: Fetched) -> ControlFlow<SearchStatus, PageSummary> {
        let search = self.input.search;
        self.pages += 1;
        if let Err(e) = self
            .input
            .spool
            .write_page(&search.name, self.pages, &fetched.body)
        {
            self.note = Some(e.to_string());
            return ControlFlow::Break(SearchStatus::Failed);
        }
        if let Some(server) = fetched.server_time {
            self.clock = self.clock.max(server);
        }
        let page = fetched.page;
        if self.pages == 1 {
            self.total_count = page.total_count;
        }
        self.input
            .progress
            .page(&search.name, page.edges.len(), self.total_count);
        ControlFlow::Continue(page)
    }

    /// Whether the page follows on from the one before: it starts with a posting already seen.
    fn continuous(&self, page: &PageSummary) -> bool {
        self.offset == 0
            || page.edges.is_empty()
            || page.edges[0]
                .id
                .as_ref()
                .is_some_and(|id| self.seen.contains(&id_key(id)))
    }

    /// Goes back a page after a gap, or gives up after [`MAX_STEP_BACKS`] of them.
    fn step_back(&mut self) -> ControlFlow<SearchStatus> {
        if self.step_backs == MAX_STEP_BACKS {
            // Going on would risk a gap; keeping the watermark makes the next run redo it.
            self.note = Some(format!(
                "the result list kept shifting while paging (stepped back {MAX_STEP_BACKS} times); the next sync reads it again"
            ));
            return ControlFlow::Break(SearchStatus::Failed);
        }
        // The list moved up by more than the overlap since the last page: postings between
        // the two may have been skipped. Go back a page and read it again.
        self.step_backs += 1;
        let search = self.input.search;
        tracing::debug!(stage = "fetch", search = %search.name, offset = self.offset, "result list shifted; stepping back");
        self.offset = self.offset.saturating_sub(u64::from(search.page_size));
        ControlFlow::Continue(())
    }

    /// Counts the postings of a partial page that Upwork withheld and that are new to us, and
    /// keeps the first few distinct errors for the note.
    fn count_withheld(&mut self, page: &PageSummary) {
        if page.errors.is_empty() {
            return;
        }
        let watermark = self.input.watermark;
        // A withheld posting is new to us if it sorts above the watermark: the posting
        // before it does (the list is newest first). One below was withheld at an earlier
        // sync already (or stored then), and reporting it again on every run would make a
        // scheduled sync "partial" for as long as Upwork keeps it broken.
        let mut above = self.offset == 0
            || self
                .previous_tail
                .is_none_or(|t| watermark.is_none_or(|w| t > w));
        let mut newly = 0;
        for (index, edge) in page.edges.iter().enumerate() {
            if let Some(recency) = edge.recency() {
                above = watermark.is_none_or(|w| recency > w);
            } else if edge.null && above && self.withheld_at.insert(self.offset + index as u64) {
                newly += 1;
            }
        }
        tracing::warn!(
            stage = "fetch",
            search = %self.input.search.name,
            offset = self.offset,
            withheld = page.lost(),
            new = newly,
            errors = %page.errors.join("; "),
            "upwork answered part of a page; its good postings are kept"
        );
        for e in &page.errors {
            if self.lost_errors.len() < 3 && !self.lost_errors.contains(e) {
                self.lost_errors.push(e.clone());
            }
        }
    }

    /// The page's postings as (published, recency), leaving out those dated in the future; marks
    /// the page's postings seen and widens the span of recencies read.
    fn read_dates(&mut self, page: &PageSummary) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let future = self.clock + Duration::seconds(FUTURE_SKEW_SECS);
        let times: Vec<(DateTime<Utc>, DateTime<Utc>)> = page
            .edges
            .iter()
            .filter_map(|e| Some((e.published?, e.recency()?)))
            .filter(|(published, recency)| *published <= future && *recency <= future)
            .collect();
        for edge in &page.edges {
            if let Some(id) = &edge.id {
                self.seen.insert(id_key(id));
            }
        }
        for &(_, t) in &times {
            self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
            self.oldest = Some(self.oldest.map_or(t, |o| o.min(t)));
        }
        if let Some(&(_, last)) = times.last() {
            self.previous_tail = Some(last);
        }
        times
    }

    /// Whether the page's tail (`times`, from [`Self::read_dates`]) sorts below the stop point:
    /// the watermark less the slack, or a first sync's horizon.
    fn reached_stop_point(&self, times: &[(DateTime<Utc>, DateTime<Utc>)]) -> bool {
        // The page's tail sorts below the stop point: under either order (publication or
        // renewal), what follows it is older still, so already stored (or past the horizon of a
        // first sync). A posting placed out of order (renewed or boosted to the top) cannot end
        // paging early, and it takes [`TAIL`] of them to fake a tail.
        let stop_at = match self.input.watermark {
            Some(w) => w - Duration::seconds(WATERMARK_SLACK_SECS),
            None => self.horizon,
        };
        let tail = &times[times.len().saturating_sub(TAIL)..];
        !tail.is_empty() && tail.iter().all(|(_, recency)| *recency < stop_at)
    }

    /// Moves the offset to the next page, or ends paging where Upwork's list ends (with a note
    /// when it ends short of Upwork's own count).
    fn advance(&mut self, page: &PageSummary) -> ControlFlow<SearchStatus> {
        let received = page.edges.len() as u64;
        if !page.has_next_page || received == 0 {
            let reachable = self.offset + received;
            if let Some(total) = page.total_count.filter(|t| *t as u64 > reachable) {
                self.note = Some(format!(
                    "upwork stopped returning results at offset {reachable} of {total}; older matches cannot be reached through search"
                ));
            }
            return ControlFlow::Break(SearchStatus::Complete);
        }
        let next = page
            .end_cursor
            .as_deref()
            .and_then(|c| c.parse::<u64>().ok())
            .unwrap_or(self.offset + received);
        // Overlap the next page with this one, but always move forward.
        self.offset = next
            .saturating_sub(PAGE_OVERLAP.min(received / 2))
            .max(self.offset + 1);
        ControlFlow::Continue(())
    }

    /// The search's result, told to progress: the status paging ended with, its watermark, and
    /// its note.
    fn finish(mut self, status: SearchStatus) -> SearchFetch {
        let status = self.settle_withheld(status);
        let outcome = Outcome {
            server_time: Some(self.clock),
            search: self.input.search.name.clone(),
            status,
            watermark: self.new_watermark(status),
            pages: self.pages,
            total_count: self.total_count,
            note: self.note.take(),
        };
        self.input.progress.done(&self.input.search.name, &outcome);
        SearchFetch {
            outcome,
            postings: self.seen.len(),
            error: self.error,
        }
    }

    /// The final status and note when Upwork withheld postings or answered with errors.
    fn settle_withheld(&mut self, status: SearchStatus) -> SearchStatus {
        let lost = self.withheld_at.len();
        // A complete fetch that Upwork answered only in part: the watermark moves (asking again
        // would meet the same broken postings), the loss is reported.
        if status == SearchStatus::Complete && lost > 0 {
            let lost_note = format!(
                "upwork withheld {lost} posting{} with errors ({}); the rest is stored",
                if lost == 1 { "" } else { "s" },
                self.lost_errors.join("; ")
            );
            self.note = Some(match self.note.take() {
                Some(n) => format!("{lost_note}; {n}"),
                None => lost_note,
            });
            return SearchStatus::Lost;
        }
        if status == SearchStatus::Complete && !self.lost_errors.is_empty() && self.note.is_none() {
            self.note = Some(format!(
                "upwork answered with errors but withheld no posting ({})",
                self.lost_errors.join("; ")
            ));
        }
        status
    }

    /// The watermark the search ends with: moved up to the newest posting read when an
    /// incremental fetch reached its end, kept otherwise (so the next run covers the gap).
    fn new_watermark(&self, status: SearchStatus) -> Option<DateTime<Utc>> {
        let watermark = self.input.watermark;
        match status {
            SearchStatus::Complete | SearchStatus::Lost if self.incremental => {
                match (watermark, self.newest) {
                    (Some(w), Some(n)) => Some(w.max(n)),
                    (w, n) => n.or(w),
                }
            }
            _ => watermark,
        }
    }
}
