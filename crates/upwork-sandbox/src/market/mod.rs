//! The synthetic job market behind the sandbox: seeded, realistic postings that keep moving.
//!
//! A [`Market`] starts with `initial_postings` open postings published over the `history` before
//! `start`, then moves when its owner advances the clock with [`Market::advance_to`]: postings
//! arrive, close and change (applicants, renewals) as three Poisson processes at the configured
//! hourly rates. A share of the closes are hires ([`HIRE_SHARE`]): the posting closes with
//! `totalHired` 1. What the client does in between (invites, interviews, offers) follows each
//! posting's [`ActivityPlan`] (`activity`), read at the market's clock by
//! [`Posting::job_activity`]. Everything is derived from the seed: a posting's content comes from a random
//! stream keyed by the seed and the posting's position, and each event process has its own stream,
//! so the same seed and the same calls give the same market, and advancing to `t` in one step or in
//! several gives the same market too. Tests and the fault injector can also push the market by hand
//! with [`Market::arrive`], [`Market::close`], [`Market::close_id`], [`Market::hire_id`],
//! [`Market::remove_id`] and [`Market::change`], and edit one posting (its plan included) with
//! [`Market::edit`].
//!
//! Postings are kept in publication order (ids grow with publication time), which gives
//! [`search`](super::search) its `RECENCY` order for free and makes a lookup by id a binary search.
//! With [`Market::set_renewals_to_top`] (the sandbox's `renewals_to_top` realism switch),
//! `RECENCY` orders by [`Posting::listed_at`] instead, and search sorts its hits.
//! [`node`](super::node) renders a posting in Upwork's wire format. Inside this module, `posting`
//! holds the types a market is made of (re-exported here), `generate` turns a random stream into
//! one posting or one client, drawing from the vocabulary in `tables` (categories, skills, title
//! and description templates, client locations), `hash` keys the streams; `index` is the word
//! index search keeps here between pages. It knows nothing of search, so search depends on the
//! market and never the other way round.

mod activity;
mod generate;
mod hash;
pub(crate) mod index;
mod posting;
mod tables;

pub use activity::{ActivityPlan, HIRE_SHARE, JobActivity};
pub(crate) use hash::mix;
pub use posting::{
    Category, Client, ClientLocation, Country, EngagementDuration, ExperienceLevel,
    HourlyBudgetType, JobDuration, JobType, Occupation, Posting, Skill, Subcategory,
    VerificationStatus, Workload,
};

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use index::WordIndex;

/// How the synthetic market starts and how fast it moves.
#[derive(Debug, Clone)]
pub struct MarketConfig {
    /// Seed for everything the market generates.
    pub seed: u64,
    /// The market's clock at creation; initial postings are published before it.
    pub start: DateTime<Utc>,
    /// How many open postings exist at `start`.
    pub initial_postings: usize,
    /// How far before `start` the initial postings were published.
    pub history: Duration,
    /// Mean number of new postings per hour of market time.
    pub arrivals_per_hour: f64,
    /// Mean number of postings closed per hour of market time.
    pub closes_per_hour: f64,
    /// Mean number of posting changes (applicants, renewals) per hour of market time.
    pub changes_per_hour: f64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            seed: 1,
            start: Utc::now().trunc_subsecs(0),
            initial_postings: 3000,
            history: Duration::days(3),
            arrivals_per_hour: 60.0,
            closes_per_hour: 6.0,
            changes_per_hour: 30.0,
        }
    }
}

/// What one [`Market::advance_to`] did, in event order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Ids of postings that arrived.
    pub arrived: Vec<String>,
    /// Ids of postings that closed.
    pub closed: Vec<String>,
    /// Ids of postings that changed (a posting changed twice appears twice).
    pub changed: Vec<String>,
}

/// The seeded, moving job market; see the module documentation.
pub struct Market {
    seed: u64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    /// Every posting ever generated, in (published, id) order.
    postings: Vec<Posting>,
    /// Indices of open postings, in no particular order, for O(1) random picks.
    open: Vec<u32>,
    /// For each posting, its position in `open`, or `CLOSED`.
    open_pos: Vec<u32>,
    next_id: u64,
    next_record: u64,
    /// Random stream for the hand-driven operations (`arrive`, `close`, `change`).
    manual: SmallRng,
    arrivals: Process,
    closes: Process,
    changes: Process,
    /// Which words each posting contains, built by the first text search.
    word_index: Mutex<WordIndex>,
    /// Whether `RECENCY` orders by [`Posting::listed_at`] rather than by publication.
    renewals_to_top: bool,
    /// Bumped by every change to a posting or to the order, so cached searches know they are
    /// stale.
    revision: u64,
    /// The last search's result, for the pages after its first.
    search_cache: Mutex<Option<SearchCache>>,
    /// Searches that scanned the market (not served from the cache).
    scans: AtomicU64,
}

/// A search result kept for paging: which search, at which revision, and the postings' indices
/// in order.
pub(crate) struct SearchCache {
    pub(crate) key: String,
    pub(crate) revision: u64,
    pub(crate) hits: Vec<usize>,
}

impl fmt::Debug for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Market")
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("postings", &self.postings.len())
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

const CLOSED: u32 = u32::MAX;

/// One Poisson event process: its own timing and choice streams, so each is reproducible alone.
#[derive(Debug, Clone)]
struct Process {
    per_sec: f64,
    /// Seconds after `start` of the next event (infinite when the rate is zero).
    next_secs: f64,
    timing: SmallRng,
    choice: SmallRng,
}

impl Process {
    fn new(seed: u64, salt: u64, per_hour: f64) -> Process {
        let per_sec = if per_hour.is_finite() && per_hour > 0.0 {
            per_hour / 3600.0
        } else {
            0.0
        };
        let mut process = Process {
            per_sec,
            next_secs: 0.0,
            timing: SmallRng::seed_from_u64(mix(seed, salt)),
            choice: SmallRng::seed_from_u64(mix(seed, salt ^ 0xC401CE)),
        };
        process.step();
        process
    }

    fn step(&mut self) {
        if self.per_sec <= 0.0 {
            self.next_secs = f64::INFINITY;
            return;
        }
        let u: f64 = self.timing.random();
        self.next_secs += -(1.0 - u).ln() / self.per_sec;
    }
}

#[derive(Clone, Copy)]
enum EventKind {
    Arrive,
    Close,
    Change,
}

const SALT_POSTING: u64 = 0x5053_5449_4E47;
const SALT_CLIENT: u64 = 0x434C_4945_4E54;
const SALT_INITIAL: u64 = 0x494E_4954;
const SALT_MANUAL: u64 = 0x4D41_4E55;
const SALT_ARRIVE: u64 = 0x4152_5256;
const SALT_CLOSE: u64 = 0x434C_4F53;
const SALT_CHANGE: u64 = 0x4348_4E47;
const SALT_ACTIVITY: u64 = 0x4143_5456;

impl Market {
    /// Generates the initial market described by `config`.
    pub fn new(config: MarketConfig) -> Market {
        let seed = config.seed;
        let start = config.start;
        let mut market = Market {
            seed,
            start,
            now: start,
            postings: Vec::with_capacity(config.initial_postings),
            open: Vec::with_capacity(config.initial_postings),
            open_pos: Vec::with_capacity(config.initial_postings),
            // Upwork's ids in 2025 are around 1.9e18 and grow with time.
            next_id: 1_900_000_000_000_000_000 + mix(seed, 1) % 50_000_000_000_000_000,
            next_record: 38_000_000 + mix(seed, 2) % 2_000_000,
            manual: SmallRng::seed_from_u64(mix(seed, SALT_MANUAL)),
            arrivals: Process::new(seed, SALT_ARRIVE, config.arrivals_per_hour),
            closes: Process::new(seed, SALT_CLOSE, config.closes_per_hour),
            changes: Process::new(seed, SALT_CHANGE, config.changes_per_hour),
            word_index: Mutex::new(WordIndex::default()),
            renewals_to_top: false,
            revision: 0,
            search_cache: Mutex::new(None),
            scans: AtomicU64::new(0),
        };
        let span = config.history.num_seconds().max(0);
        let mut rng = SmallRng::seed_from_u64(mix(seed, SALT_INITIAL));
        let mut offsets: Vec<i64> = (0..config.initial_postings)
            .map(|_| rng.random_range(0..=span))
            .collect();
        offsets.sort_unstable();
        for offset in offsets {
            let published = start - Duration::seconds(span - offset);
            let index = market.push_new(published);
            market.age_initial(index, &mut rng);
        }
        market
    }

    /// The market's clock: `start`, or the latest time it was advanced to.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The seed everything in the market derives from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Makes `RECENCY` order by [`Posting::listed_at`] (the later of publication and renewal),
    /// so a renewed posting moves to the top; off, it orders by publication.
    pub fn set_renewals_to_top(&mut self, on: bool) {
        self.revision += 1;
        self.renewals_to_top = on;
    }

    /// Whether `RECENCY` orders by [`Posting::listed_at`]; see [`Market::set_renewals_to_top`].
    pub fn renewals_to_top(&self) -> bool {
        self.renewals_to_top
    }

    /// Moves the clock forward to `t`, generating the arrivals, closes and changes that fall in
    /// between, each stamped with its own time; a `t` before the current time does nothing.
    pub fn advance_to(&mut self, t: DateTime<Utc>) -> Activity {
        let mut activity = Activity::default();
        if t <= self.now {
            return activity;
        }
        let limit = (t - self.start).num_seconds() as f64;
        loop {
            let (kind, secs) = [
                (EventKind::Arrive, self.arrivals.next_secs),
                (EventKind::Close, self.closes.next_secs),
                (EventKind::Change, self.changes.next_secs),
            ]
            .into_iter()
            .fold((EventKind::Arrive, f64::INFINITY), |best, next| {
                if next.1 < best.1 { next } else { best }
            });
            let whole = secs.floor();
            if whole > limit {
                break;
            }
            let at = self.start + Duration::seconds(whole as i64);
            match kind {
                EventKind::Arrive => {
                    let index = self.push_new(at);
                    activity.arrived.push(self.postings[index].id.clone());
                    self.arrivals.step();
                }
                EventKind::Close => {
                    if let Some(index) = pick_open(&self.open, &mut self.closes.choice) {
                        let hire = self.postings[index].activity.hires_on_close;
                        self.close_index(index, at, hire);
                        activity.closed.push(self.postings[index].id.clone());
                    }
                    self.closes.step();
                }
                EventKind::Change => {
                    if let Some(index) = pick_open(&self.open, &mut self.changes.choice) {
                        let delta = ChangeDelta::draw(&mut self.changes.choice);
                        self.change_index(index, at, delta);
                        activity.changed.push(self.postings[index].id.clone());
                    }
                    self.changes.step();
                }
            }
        }
        self.now = t;
        activity
    }

    /// Publishes `n` new postings now and returns their ids.
    pub fn arrive(&mut self, n: usize) -> Vec<String> {
        let at = self.now.trunc_subsecs(0);
        (0..n)
            .map(|_| {
                let index = self.push_new(at);
                self.postings[index].id.clone()
            })
            .collect()
    }

    /// Closes `n` open postings picked at random (fewer if fewer are open) and returns their ids.
    pub fn close(&mut self, n: usize) -> Vec<String> {
        let at = self.now.trunc_subsecs(0);
        let mut closed = Vec::with_capacity(n.min(self.open.len()));
        for _ in 0..n {
            let Some(index) = pick_open(&self.open, &mut self.manual) else {
                break;
            };
            self.close_index(index, at, false);
            closed.push(self.postings[index].id.clone());
        }
        closed
    }

    /// Closes the posting with this id without a hire; false when there is none or it is
    /// already closed.
    pub fn close_id(&mut self, id: &str) -> bool {
        self.close_open_id(id, false)
    }

    /// Closes the posting with this id with a hire now (`totalHired` 1, at least one offer and
    /// one applicant); false when there is none or it is already closed.
    pub fn hire_id(&mut self, id: &str) -> bool {
        self.close_open_id(id, true)
    }

    /// Removes the posting with this id, as Upwork removes a posting its client deleted or that
    /// broke the rules: it leaves search, and `marketplaceJobPosting` no longer finds it. False
    /// when there is no such posting or it is already removed.
    pub fn remove_id(&mut self, id: &str) -> bool {
        let Some(index) = self.index_of(id) else {
            return false;
        };
        if self.postings[index].removed {
            return false;
        }
        let at = self.now.trunc_subsecs(0);
        self.close_index(index, at, false);
        self.postings[index].removed = true;
        true
    }

    fn close_open_id(&mut self, id: &str, hire: bool) -> bool {
        match self.index_of(id) {
            Some(index) if self.postings[index].open => {
                let at = self.now.trunc_subsecs(0);
                self.close_index(index, at, hire);
                true
            }
            _ => false,
        }
    }

    /// Changes `n` open postings picked at random: more applicants and impressions, some renewed
    /// now. Returns their ids (a posting may be picked more than once).
    pub fn change(&mut self, n: usize) -> Vec<String> {
        let at = self.now.trunc_subsecs(0);
        let mut changed = Vec::with_capacity(n);
        for _ in 0..n {
            let Some(index) = pick_open(&self.open, &mut self.manual) else {
                break;
            };
            let delta = ChangeDelta::draw(&mut self.manual);
            self.change_index(index, at, delta);
            changed.push(self.postings[index].id.clone());
        }
        changed
    }

    /// Adds `more` applicants to the posting with this id, as a proposal arriving would; false
    /// when there is no such posting.
    pub fn add_applicants(&mut self, id: &str, more: u32) -> bool {
        self.revision += 1;
        match self.index_of(id) {
            Some(index) => {
                let posting = &mut self.postings[index];
                posting.total_applicants = posting.total_applicants.saturating_add(more);
                true
            }
            None => false,
        }
    }

    /// Lets `edit` change the posting with this id in place, as a broken or odd server record
    /// would look (a date in 2099, a budget of 1e15); its place in the market stays where its
    /// id puts it. False when there is no such posting. For tests.
    pub fn edit(&mut self, id: &str, edit: impl FnOnce(&mut Posting)) -> bool {
        self.revision += 1;
        match self.index_of(id) {
            Some(index) => {
                edit(&mut self.postings[index]);
                true
            }
            None => false,
        }
    }

    /// The posting with this id, open, closed or removed.
    pub fn get(&self, id: &str) -> Option<&Posting> {
        self.index_of(id).map(|index| &self.postings[index])
    }

    /// The activity on the posting with this id at the market's clock, as
    /// `marketplaceJobPosting(id) { activityStat { jobActivity } }` answers it now; `None` when
    /// there is no such posting or it was removed.
    pub fn job_activity(&self, id: &str) -> Option<JobActivity> {
        self.get(id)
            .filter(|p| !p.removed)
            .map(|p| p.job_activity(self.now))
    }

    /// Open postings, oldest first.
    pub fn open_postings(&self) -> impl Iterator<Item = &Posting> {
        self.postings.iter().filter(|p| p.open)
    }

    /// Every posting ever generated, open or closed, oldest first (by published time, then id).
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// How many postings are open.
    pub fn len_open(&self) -> usize {
        self.open.len()
    }

    /// The word index, for search; posting text never changes, so it only ever grows.
    /// The cache of the last search, for [`Market::search_page`].
    pub(crate) fn search_cache(&self) -> MutexGuard<'_, Option<SearchCache>> {
        self.search_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The market's revision: changes whenever a posting or the order changes.
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    /// Counts a search that scanned the market.
    pub(crate) fn count_scan(&self) {
        self.scans.fetch_add(1, Ordering::Relaxed);
    }

    /// Searches so far that scanned the whole market rather than use the cached result.
    pub fn scans(&self) -> u64 {
        self.scans.load(Ordering::Relaxed)
    }

    pub(crate) fn word_index(&self) -> MutexGuard<'_, WordIndex> {
        self.word_index.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        // Ids are 19 digits, so comparing them as numbers is comparing them as text.
        let wanted: u64 = id.parse().ok()?;
        self.postings
            .binary_search_by(|p| p.id.parse::<u64>().unwrap_or(0).cmp(&wanted))
            .ok()
    }

    /// Generates the next posting, published at `at`, and returns its index.
    fn push_new(&mut self, at: DateTime<Utc>) -> usize {
        self.revision += 1;
        let index = self.postings.len();
        let key = index as u64;
        self.next_id += 1 + mix(self.seed ^ SALT_POSTING, key) % 4_000_000;
        self.next_record += 1 + mix(self.seed ^ SALT_POSTING, !key) % 3;
        let mut rng = SmallRng::seed_from_u64(mix(self.seed ^ SALT_POSTING, key));
        let client = client_for(self.seed, index as u64, &mut rng);
        let mut posting = generate::posting(&mut rng, self.next_id, self.next_record, at, client);
        posting.activity = ActivityPlan::draw(&mut SmallRng::seed_from_u64(mix(
            self.seed ^ SALT_ACTIVITY,
            key,
        )));
        self.postings.push(posting);
        self.open_pos.push(self.open.len() as u32);
        self.open.push(index as u32);
        index
    }

    /// Gives an initial posting the history it would have by `start`: applicants, impressions,
    /// sometimes a renewal.
    fn age_initial(&mut self, index: usize, rng: &mut SmallRng) {
        let start = self.start;
        let posting = &mut self.postings[index];
        let age_secs = (start - posting.published).num_seconds().max(0);
        let hours = age_secs as f64 / 3600.0;
        let popularity: f64 = rng.random_range(0.05..1.5);
        posting.total_applicants = ((hours * popularity) as u32).min(120);
        posting.impressions = posting.total_applicants * rng.random_range(8..40) + 3;
        if age_secs > 86_400 && rng.random_bool(0.15) {
            let renewed_after = rng.random_range(3_600..age_secs);
            posting.renewed = Some(posting.published + Duration::seconds(renewed_after));
        }
    }

    /// Closes the posting at `index` at `at`; with `hire`, the client hired for it then.
    fn close_index(&mut self, index: usize, at: DateTime<Utc>, hire: bool) {
        self.revision += 1;
        let pos = self.open_pos[index];
        if pos == CLOSED {
            return;
        }
        self.open.swap_remove(pos as usize);
        if let Some(&moved) = self.open.get(pos as usize) {
            self.open_pos[moved as usize] = pos;
        }
        self.open_pos[index] = CLOSED;
        let posting = &mut self.postings[index];
        posting.open = false;
        posting.closed_at = Some(at);
        if hire {
            posting.hired_at = Some(at);
            posting.total_applicants = posting.total_applicants.max(1);
        }
    }

    fn change_index(&mut self, index: usize, at: DateTime<Utc>, delta: ChangeDelta) {
        self.revision += 1;
        let posting = &mut self.postings[index];
        posting.total_applicants += delta.applicants;
        posting.impressions += delta.impressions;
        if delta.renew {
            posting.renewed = Some(at);
        }
    }
}

/// One change to a posting, drawn before it is applied.
#[derive(Clone, Copy)]
struct ChangeDelta {
    applicants: u32,
    impressions: u32,
    renew: bool,
}

impl ChangeDelta {
    fn draw(rng: &mut SmallRng) -> ChangeDelta {
        ChangeDelta {
            applicants: rng.random_range(1..=4),
            impressions: rng.random_range(5..60),
            renew: rng.random_bool(0.2),
        }
    }
}

fn pick_open(open: &[u32], rng: &mut SmallRng) -> Option<usize> {
    if open.is_empty() {
        None
    } else {
        Some(open[rng.random_range(0..open.len())] as usize)
    }
}

/// The client of the posting at `index`: about a third of postings come from a pool of regular
/// clients, whose details are the same on every posting; the rest from one-off clients.
fn client_for(seed: u64, index: u64, rng: &mut SmallRng) -> Client {
    let client_key = if rng.random_bool(0.35) {
        rng.random_range(0..1_500)
    } else {
        1_000_000 + index
    };
    let mut client_rng = SmallRng::seed_from_u64(mix(seed ^ SALT_CLIENT, client_key));
    generate::client(&mut client_rng, client_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64, n: usize) -> MarketConfig {
        MarketConfig {
            seed,
            start: DateTime::from_timestamp(1_760_000_000, 0).unwrap_or_default(),
            initial_postings: n,
            ..MarketConfig::default()
        }
    }

    #[test]
    fn postings_stay_in_publication_order_with_growing_ids() {
        let mut market = Market::new(config(7, 500));
        market.advance_to(market.now() + Duration::hours(5));
        market.arrive(3);
        let postings = market.postings();
        for pair in postings.windows(2) {
            assert!(pair[0].published <= pair[1].published);
            assert!(pair[0].id.parse::<u64>().ok() < pair[1].id.parse::<u64>().ok());
            assert!(pair[0].record_number < pair[1].record_number);
        }
    }

    #[test]
    fn advancing_in_steps_equals_advancing_at_once() {
        let mut one = Market::new(config(3, 200));
        let mut steps = Market::new(config(3, 200));
        let end = one.now() + Duration::hours(10);
        one.advance_to(end);
        for h in 1..=10 {
            steps.advance_to(steps.now() + Duration::hours(1) - Duration::seconds(h % 2));
        }
        steps.advance_to(end);
        let ids = |m: &Market| m.open_postings().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&one), ids(&steps));
        let applicants = |m: &Market| m.postings().iter().map(|p| p.total_applicants).sum::<u32>();
        assert_eq!(applicants(&one), applicants(&steps));
    }

    #[test]
    fn open_index_tracks_closes() {
        let mut market = Market::new(config(11, 100));
        let closed = market.close(40);
        assert_eq!(closed.len(), 40);
        assert_eq!(market.len_open(), 60);
        assert_eq!(market.open_postings().count(), 60);
        assert!(!market.close_id(&closed[0]));
        let open_id = market.open_postings().map(|p| p.id.clone()).next();
        let open_id = open_id.unwrap_or_default();
        assert!(market.close_id(&open_id));
        assert_eq!(market.len_open(), 59);
        assert_eq!(market.close(1000).len(), 59);
        assert!(market.close(1).is_empty());
        assert!(market.change(3).is_empty());
    }

    #[test]
    fn skill_ids_are_stable_and_19_digits() {
        let skill = Skill {
            name: "rust",
            pretty_name: "Rust",
        };
        assert_eq!(skill.id().len(), 19);
        assert_eq!(skill.id(), skill.id());
    }
}
