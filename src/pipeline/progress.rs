//! Progress of a sync: one bar per search on a terminal, log events otherwise.

use super::fetch::Progress;
use super::spool::Outcome;
use crate::config::Search;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;

/// Progress bars on stderr, one per search.
pub struct Bars {
    bars: HashMap<String, ProgressBar>,
    _multi: MultiProgress,
}

impl Bars {
    /// One bar per search.
    pub fn new(searches: &[Search]) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>20} {bar:30} {pos:>6} postings {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let width = searches.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let bars = searches
            .iter()
            .map(|search| {
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(style.clone());
                bar.set_prefix(format!("{:>width$}", search.name));
                (search.name.clone(), bar)
            })
            .collect();
        Bars {
            bars,
            _multi: multi,
        }
    }
}

impl Progress for Bars {
    fn page(&self, search: &str, postings: usize, total: Option<i64>) {
        if let Some(bar) = self.bars.get(search) {
            if let Some(total) = total {
                bar.set_length(total.max(0) as u64);
            }
            bar.inc(postings as u64);
        }
    }

    fn done(&self, search: &str, outcome: &Outcome) {
        if let Some(bar) = self.bars.get(search) {
            bar.set_length(bar.position());
            bar.finish_with_message(outcome.status.as_str());
        }
    }
}

/// Progress as log events, for cron and pipes.
pub struct Logs;

impl Progress for Logs {
    fn page(&self, search: &str, postings: usize, total: Option<i64>) {
        tracing::debug!(stage = "fetch", search, postings, total, "page fetched");
    }

    fn done(&self, search: &str, outcome: &Outcome) {
        tracing::info!(
            stage = "fetch",
            search,
            status = %outcome.status,
            pages = outcome.pages,
            "search fetched"
        );
    }
}
