//! What a client does with a posting after publishing it: invites, interviews, offers, a hire.
//!
//! Each posting gets an [`ActivityPlan`] when it is generated, drawn from its own random stream
//! (keyed by the market's seed and the posting's position): when, counted from publication, the
//! client sends each invite, when each invitee answers, when the client invites applicants to
//! interview and when it makes offers. The plan never changes; [`Posting::job_activity`] reads
//! it at a moment, so the figures follow the market's clock alone, grow as the posting ages, and
//! stop when it closes. Invites come first (hours after publication), then interviews (a day or
//! so), then offers (days); a hire is a close event of the market (see [`Market`](super::Market):
//! a share of its closes are hires), which also means an offer was made. Interviews and offers
//! never exceed the applicants the posting has at that moment (applicants only grow), and
//! unanswered invites never exceed invites sent, so every figure but the unanswered invites is
//! monotone over time; unanswered invites fall as invitees answer.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;

use super::posting::Posting;

/// When, in seconds after publication, each of a client's actions on a posting happens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityPlan {
    /// When each invite is sent, ascending.
    pub invites: Vec<u32>,
    /// When the invite at the same position is answered; `u32::MAX` for never.
    pub answers: Vec<u32>,
    /// When each applicant is invited to interview, ascending.
    pub interviews: Vec<u32>,
    /// When each offer is made, ascending.
    pub offers: Vec<u32>,
    /// Whether a close of this posting by the market's close events is a hire.
    pub hires_on_close: bool,
}

/// Share of the market's close events that are hires.
pub const HIRE_SHARE: f64 = 0.6;

impl ActivityPlan {
    /// Draws a plan: 0 to 6 invites in the first hours, 0 to 4 interviews from about a day, 0 to
    /// 2 offers from a few days, a hire on close for [`HIRE_SHARE`] of postings.
    pub(super) fn draw(rng: &mut SmallRng) -> ActivityPlan {
        let n_invites = if rng.random_bool(0.4) {
            0
        } else {
            rng.random_range(1..=6)
        };
        let mut invites: Vec<u32> = (0..n_invites)
            .map(|_| after(rng, 60.0, 6.0 * 3600.0))
            .collect();
        invites.sort_unstable();
        let answers = invites
            .iter()
            .map(|&sent| {
                if rng.random_bool(0.6) {
                    sent.saturating_add(after(rng, 600.0, 10.0 * 3600.0))
                } else {
                    u32::MAX
                }
            })
            .collect();
        let n_interviews = rng.random_range(0..=4);
        let mut interviews: Vec<u32> = (0..n_interviews)
            .map(|_| after(rng, 2.0 * 3600.0, 20.0 * 3600.0))
            .collect();
        interviews.sort_unstable();
        let n_offers = match rng.random_range(0..10) {
            0..5 => 0,
            5..9 => 1,
            _ => 2,
        };
        let mut offers: Vec<u32> = (0..n_offers)
            .map(|_| after(rng, 24.0 * 3600.0, 48.0 * 3600.0))
            .collect();
        offers.sort_unstable();
        ActivityPlan {
            invites,
            answers,
            interviews,
            offers,
            hires_on_close: rng.random_bool(HIRE_SHARE),
        }
    }
}

/// Seconds: `min` plus an exponential wait with this mean.
fn after(rng: &mut SmallRng, min: f64, mean: f64) -> u32 {
    let u: f64 = rng.random();
    (min - (1.0 - u).ln() * mean).min(f64::from(u32::MAX - 1)) as u32
}

/// A posting's `JobActivity` at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobActivity {
    /// The client's latest action: publication, renewal, invite, interview, offer or hire.
    pub last_client_activity: DateTime<Utc>,
    /// Invites sent (`invitesSent`).
    pub invites_sent: u32,
    /// Applicants invited to interview (`totalInvitedToInterview`).
    pub invited_to_interview: u32,
    /// Freelancers hired, 0 or 1 (`totalHired`).
    pub hired: u32,
    /// Invites not answered yet (`totalUnansweredInvites`).
    pub unanswered_invites: u32,
    /// Offers made (`totalOffered`).
    pub offered: u32,
    /// Applicants Upwork recommends (`totalRecommended`): a third of them, as the search node's
    /// `relevance.recommendedEffectiveCandidates`.
    pub recommended: u32,
}

impl Posting {
    /// The client's activity on this posting at `now` (the market's clock); it stops at the
    /// close.
    pub fn job_activity(&self, now: DateTime<Utc>) -> JobActivity {
        let until = self.closed_at.map_or(now, |closed| closed.min(now));
        let age = (until - self.published)
            .num_seconds()
            .clamp(0, i64::from(u32::MAX));
        let age = age as u32;
        let plan = &self.activity;
        let done = |times: &[u32]| times.iter().take_while(|&&t| t <= age).count() as u32;
        let hired_at = self.hired_at.filter(|hired| *hired <= now);
        let invites_sent = done(&plan.invites);
        let unanswered_invites = plan
            .invites
            .iter()
            .zip(&plan.answers)
            .filter(|&(&sent, &answered)| sent <= age && answered > age)
            .count() as u32;
        let invited_to_interview = done(&plan.interviews).min(self.total_applicants);
        let mut offered = done(&plan.offers).min(self.total_applicants);
        if hired_at.is_some() {
            offered = offered.max(1);
        }
        let at = |times: &[u32], n: u32| {
            n.checked_sub(1)
                .and_then(|i| times.get(i as usize))
                .map(|&t| self.published + Duration::seconds(i64::from(t)))
        };
        let last_client_activity = [
            Some(self.published),
            self.renewed.filter(|renewed| *renewed <= now),
            at(&plan.invites, invites_sent),
            at(&plan.interviews, invited_to_interview),
            at(&plan.offers, done(&plan.offers).min(offered)),
            hired_at,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.published);
        JobActivity {
            last_client_activity,
            invites_sent,
            invited_to_interview,
            hired: u32::from(hired_at.is_some()),
            unanswered_invites,
            offered,
            recommended: self.total_applicants / 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Market, MarketConfig};
    use super::*;

    fn market() -> Market {
        Market::new(MarketConfig {
            seed: 5,
            start: DateTime::from_timestamp(1_760_000_000, 0).unwrap_or_default(),
            initial_postings: 400,
            ..MarketConfig::default()
        })
    }

    fn figures(a: &JobActivity) -> [u32; 4] {
        [a.invites_sent, a.invited_to_interview, a.offered, a.hired]
    }

    #[test]
    fn figures_grow_as_the_market_advances_and_keep_their_bounds() {
        let mut market = market();
        let mut before: Vec<Option<JobActivity>> = Vec::new();
        let mut grew = [0usize; 4];
        for _ in 0..48 {
            let now_activity: Vec<Option<JobActivity>> = market
                .postings()
                .iter()
                .map(|p| market.job_activity(&p.id))
                .collect();
            for (posting, (old, new)) in market
                .postings()
                .iter()
                .zip(before.iter().zip(&now_activity))
            {
                let (Some(old), Some(new)) = (old, new) else {
                    continue;
                };
                for (i, (o, n)) in figures(old).iter().zip(figures(new)).enumerate() {
                    assert!(
                        *o <= n,
                        "{} figure {i} fell: {old:?} -> {new:?}",
                        posting.id
                    );
                    if *o < n {
                        grew[i] += 1;
                    }
                }
                assert!(old.last_client_activity <= new.last_client_activity);
            }
            for (posting, activity) in market.postings().iter().zip(&now_activity) {
                let Some(activity) = activity else { continue };
                assert!(activity.unanswered_invites <= activity.invites_sent);
                assert!(activity.invited_to_interview <= posting.total_applicants);
                assert!(activity.offered <= posting.total_applicants);
                assert!(activity.hired <= 1);
                assert!(activity.last_client_activity >= posting.published);
                assert!(activity.last_client_activity <= market.now().max(posting.published));
            }
            before = now_activity;
            market.advance_to(market.now() + Duration::hours(2));
        }
        assert!(
            grew.iter().all(|&n| n > 0),
            "every figure grows somewhere: {grew:?}"
        );
    }

    #[test]
    fn a_share_of_closes_are_hires_and_a_hire_closes_with_an_offer() {
        let mut market = market();
        let activity = market.advance_to(market.now() + Duration::days(5));
        assert!(activity.closed.len() > 300, "{}", activity.closed.len());
        let hired = activity
            .closed
            .iter()
            .filter(|id| market.job_activity(id).is_some_and(|a| a.hired == 1))
            .count();
        let share = hired as f64 / activity.closed.len() as f64;
        assert!(
            (HIRE_SHARE - 0.1..HIRE_SHARE + 0.1).contains(&share),
            "{share}"
        );
        for posting in market.postings() {
            let Some(a) = market.job_activity(&posting.id) else {
                continue;
            };
            if a.hired == 1 {
                assert!(!posting.open);
                assert!(a.offered >= 1);
                assert_eq!(Some(a.last_client_activity), posting.closed_at);
            }
        }
    }

    #[test]
    fn figures_stop_at_the_close_and_a_manual_hire_closes() {
        let mut market = market();
        let id = market.arrive(1).remove(0);
        market.edit(&id, |p| {
            p.activity = ActivityPlan {
                invites: vec![60, 120],
                answers: vec![600, u32::MAX],
                interviews: vec![3600],
                offers: vec![7200],
                hires_on_close: false,
            };
            p.total_applicants = 3;
        });
        let start = market.now();
        let at = |m: &Market| m.job_activity(&id).map(|a| figures(&a));
        assert_eq!(at(&market), Some([0, 0, 0, 0]));
        market.advance_to(start + Duration::seconds(300));
        let a = market.job_activity(&id).expect("posting");
        assert_eq!((a.invites_sent, a.unanswered_invites), (2, 2));
        assert_eq!(a.last_client_activity, start + Duration::seconds(120));
        market.advance_to(start + Duration::seconds(3600));
        let a = market.job_activity(&id).expect("posting");
        assert_eq!((a.unanswered_invites, a.invited_to_interview), (1, 1));
        assert!(market.hire_id(&id));
        assert!(!market.hire_id(&id));
        let closed = market.now();
        let a = market.job_activity(&id).expect("posting");
        assert_eq!(figures(&a), [2, 1, 1, 1]);
        assert_eq!(a.last_client_activity, closed);
        market.advance_to(closed + Duration::days(3));
        assert_eq!(
            market.job_activity(&id),
            Some(a),
            "a closed posting's figures stay"
        );
        assert!(market.remove_id(&id));
        assert_eq!(market.job_activity(&id), None);
    }
}
