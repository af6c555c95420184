//! The functions that turn a random stream into one posting or one client.
//!
//! [`Market`](super::Market) seeds one stream per posting and one per client and calls
//! [`posting`] and [`client`]; they draw niches, skills, budgets, sentences and places from
//! [`tables`](super::tables) and fill in the templates with `render`. A seed must give the same
//! market on every run and tests compare generated markets exactly, so every draw here happens
//! in a fixed order: reordering, adding or removing one changes every posting after it.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::SmallRng;
use rust_decimal::Decimal;

use super::activity::ActivityPlan;
use super::hash::mix;
use super::posting::{
    Client, ClientLocation, ExperienceLevel, HourlyBudgetType, JobDuration, JobType, Posting,
    Skill, VerificationStatus, Workload,
};
use super::tables::{
    CODEWORDS, COMPANIES, ENTRY_SENTENCES, EXPERT_SENTENCES, FIXED_SENTENCES, HOURLY_SENTENCES,
    INTERMEDIATE_SENTENCES, LOGISTICS, NICHES, OPENINGS, PLACES, REQUIREMENTS, UNSTATED_SENTENCES,
};

fn pick<T: Copy>(rng: &mut SmallRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn pick_ref<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_weighted<'a, T>(rng: &mut SmallRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut roll = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1]
}

/// A log-uniform draw in `[lo, hi]`, skewed towards `lo` by `skew` (> 1 skews more).
fn skewed(rng: &mut SmallRng, lo: f64, hi: f64, skew: f64) -> f64 {
    let u: f64 = rng.random();
    lo * (hi / lo).powf(u.powf(skew))
}

/// Rounds a budget the way clients write them: $35, $120, $450, $1,500, $7,500.
fn round_budget(v: f64) -> i64 {
    let step = match v {
        v if v < 100.0 => 5.0,
        v if v < 500.0 => 10.0,
        v if v < 2_000.0 => 50.0,
        v if v < 10_000.0 => 250.0,
        _ => 500.0,
    };
    ((v / step).round() * step) as i64
}

/// Generates one client; `key` identifies it, so a regular client keeps its ids everywhere.
pub(super) fn client(rng: &mut SmallRng, key: u64) -> Client {
    let place = pick_weighted(rng, PLACES, |p| p.weight);
    let (city, state, timezone, offset) = pick(rng, place.cities);
    let has_city = rng.random_bool(0.94);
    let location = ClientLocation {
        country: &place.country,
        country_as_iso3: rng.random_bool(0.1),
        city: has_city.then_some(city),
        state: if has_city { state } else { None },
        timezone,
        offset_to_utc_secs: offset,
    };

    let total_posted_jobs = skewed(rng, 1.0, 400.0, 2.5).floor() as u32;
    let total_hires = if rng.random_bool(0.25) {
        0
    } else {
        let rate: f64 = rng.random::<f64>().powf(0.8) * 0.95;
        ((f64::from(total_posted_jobs) * rate).round() as u32).min(total_posted_jobs)
    };
    let has_financial_privacy = rng.random_bool(0.03);
    let total_spent = if has_financial_privacy || (total_hires == 0 && rng.random_bool(0.5)) {
        None
    } else if total_hires == 0 {
        Some(Decimal::ZERO)
    } else {
        let per_hire = skewed(rng, 80.0, 6_000.0, 1.2);
        let spent = f64::from(total_hires) * per_hire;
        Some(if rng.random_bool(0.5) {
            Decimal::from(spent.round() as i64)
        } else {
            Decimal::new((spent * 100.0).round() as i64, 2)
        })
    };
    let verification_status = if total_hires > 0 {
        if rng.random_bool(0.92) {
            Some(VerificationStatus::Verified)
        } else {
            Some(VerificationStatus::ActiveButNotVerified)
        }
    } else {
        match rng.random_range(0..100) {
            0..55 => Some(VerificationStatus::Verified),
            55..85 => Some(VerificationStatus::NotVerified),
            85..90 => Some(VerificationStatus::ActiveButNotVerified),
            90..93 => Some(VerificationStatus::VerificationInProgress),
            93..95 => Some(VerificationStatus::Unknown),
            _ => None,
        }
    };
    let total_reviews = if total_hires == 0 {
        0
    } else {
        ((f64::from(total_hires) * rng.random_range(0.4..1.0)).round() as u32).min(total_hires)
    };
    let total_feedback = if total_reviews == 0 {
        0.0
    } else if rng.random_bool(0.3) {
        5.0
    } else {
        let raw = 5.0 - 2.0 * rng.random::<f64>().powi(3);
        (raw * 100.0).round() / 100.0
    };
    Client {
        company_rid: 1_000_000 + key,
        company_org_uid: 1_200_000_000_000_000_000 + mix(key, 3) % 500_000_000_000_000_000,
        edc_user_id: 1_100_000_000_000_000_000 + mix(key, 4) % 100_000_000_000_000_000,
        total_hires,
        total_posted_jobs,
        total_spent,
        verification_status,
        location,
        total_reviews,
        total_feedback,
        has_financial_privacy,
        enterprise: rng.random_bool(0.02),
    }
}

/// Values the templates can refer to.
struct Slots<'a> {
    skill: &'a str,
    skill2: &'a str,
    skill3: &'a str,
    thing: &'a str,
    lvl: &'a str,
    role: &'a str,
    company: &'a str,
    city: &'a str,
    codeword: &'a str,
}

impl Slots<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "skill" => self.skill,
            "skill2" => self.skill2,
            "skill3" => self.skill3,
            "thing" => self.thing,
            "lvl" => self.lvl,
            "role" => self.role,
            "company" => self.company,
            "city" => self.city,
            "codeword" => self.codeword,
            _ => return None,
        })
    }
}

/// Appends `template` to `out` with each `{slot}` replaced; unknown slots are copied as they are.
fn render(template: &str, slots: &Slots<'_>, out: &mut String) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, slots.get(&after[..close])?)))
        {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// Generates one posting published at `published`.
pub(super) fn posting(
    rng: &mut SmallRng,
    id: u64,
    record_number: u64,
    published: DateTime<Utc>,
    client: Client,
) -> Posting {
    let niche = pick_weighted(rng, NICHES, |n| n.weight);
    let experience_level = match rng.random_range(0..100) {
        0 => ExperienceLevel::None,
        1..31 => ExperienceLevel::EntryLevel,
        31..81 => ExperienceLevel::Intermediate,
        _ => ExperienceLevel::Expert,
    };
    let job_type = if rng.random_bool(niche.hourly_share) {
        JobType::Hourly
    } else {
        JobType::Fixed
    };

    let mut amount = Decimal::ZERO;
    let (mut hourly_budget_type, mut hourly_min, mut hourly_max) = (None, None, None);
    let mut weekly_budget = None;
    let (duration, workload);
    match job_type {
        JobType::Fixed => {
            let factor = match experience_level {
                ExperienceLevel::EntryLevel => 0.45,
                ExperienceLevel::Expert => 2.5,
                ExperienceLevel::Intermediate | ExperienceLevel::None => 1.0,
            };
            let raw = skewed(rng, niche.fixed.0, niche.fixed.1, 1.6) * factor;
            amount = Decimal::from(round_budget(raw.clamp(50.0, 20_000.0)).clamp(50, 20_000));
            duration = match rng.random_range(0..100) {
                0..25 => Some(JobDuration::Week),
                25..70 => Some(JobDuration::Month),
                70..90 => Some(JobDuration::Quarter),
                90..95 => Some(JobDuration::Semester),
                _ => None,
            };
            workload = None;
        }
        JobType::Hourly => {
            let factor = match experience_level {
                ExperienceLevel::EntryLevel => 0.6,
                ExperienceLevel::Expert => 1.7,
                ExperienceLevel::Intermediate | ExperienceLevel::None => 1.0,
            };
            let w = match rng.random_range(0..100) {
                0..20 => Workload::FullTime,
                20..65 => Workload::PartTime,
                65..90 => Workload::AsNeeded,
                _ => Workload::NotSure,
            };
            let budget_type = match rng.random_range(0..100) {
                0..70 => HourlyBudgetType::Default,
                70..88 => HourlyBudgetType::Manual,
                _ => HourlyBudgetType::NotProvided,
            };
            if budget_type != HourlyBudgetType::NotProvided {
                let low = (skewed(rng, niche.hourly.0, niche.hourly.1, 1.3) * factor)
                    .clamp(10.0, 150.0)
                    .round();
                let high = (low * rng.random_range(1.2..2.2)).round().clamp(low, 150.0);
                hourly_min = Some(Decimal::from(low as i64));
                hourly_max = Some(Decimal::from(high as i64));
                if rng.random_bool(0.1) {
                    weekly_budget =
                        Some(Decimal::from(high as i64 * i64::from(w.hours_per_week())));
                }
            }
            hourly_budget_type = Some(budget_type);
            duration = Some(match rng.random_range(0..100) {
                0..5 => JobDuration::Week,
                5..25 => JobDuration::Month,
                25..55 => JobDuration::Quarter,
                55..75 => JobDuration::Semester,
                _ => JobDuration::Ongoing,
            });
            workload = Some(w);
        }
    }

    let mut skills: Vec<&'static Skill> = Vec::with_capacity(6);
    let core_count = rng.random_range(2..=3).min(niche.core.len());
    while skills.len() < core_count {
        let s = pick_ref(rng, niche.core);
        if !skills.iter().any(|have| have.name == s.name) {
            skills.push(s);
        }
    }
    for _ in 0..rng.random_range(0..=3) {
        let s = pick_ref(rng, niche.extra);
        if !skills.iter().any(|have| have.name == s.name) {
            skills.push(s);
        }
    }

    let lvl = match experience_level {
        ExperienceLevel::EntryLevel => pick(rng, &["Junior ", "Entry-level ", ""]),
        ExperienceLevel::Intermediate => pick(rng, &["", "Experienced "]),
        ExperienceLevel::Expert => pick(rng, &["Senior ", "Expert ", "Lead "]),
        ExperienceLevel::None => "",
    };
    // Every niche has at least three core skills (a test checks), so there are two or more here.
    let slots = Slots {
        skill: skills[0].pretty_name,
        skill2: skills[1].pretty_name,
        skill3: skills.get(2).unwrap_or(&skills[1]).pretty_name,
        thing: pick(rng, niche.things),
        lvl,
        role: niche.role,
        company: pick(rng, COMPANIES),
        city: client.location.city.unwrap_or(client.location.country.name),
        codeword: pick(rng, CODEWORDS),
    };

    let mut title = String::with_capacity(80);
    render(pick(rng, niche.titles), &slots, &mut title);
    if let Some(first) = title.get(..1)
        && first.bytes().all(|b| b.is_ascii_lowercase())
    {
        let upper = first.to_ascii_uppercase();
        title.replace_range(..1, &upper);
    }

    let mut description = String::with_capacity(700);
    render(pick(rng, OPENINGS), &slots, &mut description);
    let first_task = rng.random_range(0..niche.tasks.len());
    for offset in 0..rng.random_range(1..=2).min(niche.tasks.len()) {
        description.push(' ');
        let task = niche.tasks[(first_task + offset) % niche.tasks.len()];
        render(task, &slots, &mut description);
    }
    description.push(' ');
    render(pick(rng, REQUIREMENTS), &slots, &mut description);
    description.push(' ');
    description.push_str(pick(
        rng,
        match experience_level {
            ExperienceLevel::EntryLevel => ENTRY_SENTENCES,
            ExperienceLevel::Intermediate => INTERMEDIATE_SENTENCES,
            ExperienceLevel::Expert => EXPERT_SENTENCES,
            ExperienceLevel::None => UNSTATED_SENTENCES,
        },
    ));
    let first_logistics = rng.random_range(0..LOGISTICS.len());
    for offset in 0..rng.random_range(0..=2) {
        description.push(' ');
        render(
            LOGISTICS[(first_logistics + offset) % LOGISTICS.len()],
            &slots,
            &mut description,
        );
    }
    if rng.random_bool(0.3) {
        description.push(' ');
        description.push_str(pick(
            rng,
            match job_type {
                JobType::Fixed => FIXED_SENTENCES,
                JobType::Hourly => HOURLY_SENTENCES,
            },
        ));
    }
    description.push_str("\n\nSkills needed: ");
    for (i, skill) in skills.iter().enumerate() {
        if i > 0 {
            description.push_str(", ");
        }
        description.push_str(skill.pretty_name);
    }
    description.push('.');
    title.shrink_to_fit();
    description.shrink_to_fit();

    let created = if rng.random_bool(0.05) {
        published - Duration::seconds(rng.random_range(3_600..259_200))
    } else {
        published - Duration::seconds(rng.random_range(30..1_800))
    };
    let preferred_locations: Vec<&'static str> = if rng.random_bool(0.12) {
        let home = client.location.country;
        if ["US", "GB", "CA", "AU"].contains(&home.iso2) {
            vec![home.name]
        } else if rng.random_bool(0.5) {
            vec!["United States", "Canada"]
        } else {
            vec!["United States"]
        }
    } else {
        Vec::new()
    };
    let preferred_location_mandatory = !preferred_locations.is_empty() && rng.random_bool(0.7);
    let freelancers_to_hire = if rng.random_bool(0.85) {
        1
    } else {
        rng.random_range(2..=4)
    };

    Posting {
        id: id.to_string(),
        record_number,
        title,
        description,
        created,
        published,
        renewed: None,
        job_type,
        amount,
        hourly_budget_type,
        hourly_min,
        hourly_max,
        weekly_budget,
        duration,
        workload,
        experience_level,
        category: niche.category,
        subcategory: niche.subcategory,
        occupation: &niche.occupation,
        skills,
        freelancers_to_hire,
        total_applicants: 0,
        activity: ActivityPlan::default(),
        impressions: rng.random_range(0..5),
        premium: rng.random_bool(0.04),
        enterprise: client.enterprise,
        preferred_locations,
        preferred_location_mandatory,
        client,
        open: true,
        closed_at: None,
        hired_at: None,
        removed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_templates() -> Vec<&'static str> {
        let mut all: Vec<&'static str> = Vec::new();
        for niche in NICHES {
            all.extend(niche.titles);
            all.extend(niche.tasks);
        }
        for list in [
            OPENINGS,
            REQUIREMENTS,
            LOGISTICS,
            FIXED_SENTENCES,
            HOURLY_SENTENCES,
            ENTRY_SENTENCES,
            INTERMEDIATE_SENTENCES,
            EXPERT_SENTENCES,
            UNSTATED_SENTENCES,
        ] {
            all.extend(list);
        }
        all
    }

    #[test]
    fn templates_use_only_known_slots() {
        let slots = Slots {
            skill: "",
            skill2: "",
            skill3: "",
            thing: "",
            lvl: "",
            role: "",
            company: "",
            city: "",
            codeword: "",
        };
        for template in all_templates() {
            let mut out = String::new();
            render(template, &slots, &mut out);
            assert!(!out.contains('{') && !out.contains('}'), "{template}");
        }
    }

    #[test]
    fn render_substitutes_and_keeps_unknown_braces() {
        let slots = Slots {
            skill: "Rust",
            skill2: "Go",
            skill3: "C",
            thing: "API",
            lvl: "Senior ",
            role: "a dev",
            company: "ACME",
            city: "Zürich",
            codeword: "x",
        };
        let mut out = String::new();
        render(
            "{lvl}{skill} for {thing} in {city} {nope} {",
            &slots,
            &mut out,
        );
        assert_eq!(out, "Senior Rust for API in Zürich {nope} {");
    }
}
