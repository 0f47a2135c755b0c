//! Aggregate arithmetic per pipeline configuration: moved by the difference when one issue's fact
//! changes, so an update costs the same however many issues the configuration holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike};

use crate::rules::{Fact, Outcome};
use crate::sketch::Sketch;
use crate::time::{MS_PER_DAY, Millis};

/// The percentiles every configuration keeps.
pub const PERCENTILES: [f64; 4] = [50.0, 70.0, 85.0, 95.0];

/// A lead-time extreme and the issue behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extreme {
    pub lead_ms: i64,
    pub key: String,
}

/// One issue's contribution to its configuration's aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub key: String,
    pub issue_type: Option<String>,
    pub outcome: Outcome,
    pub lead_ms: Option<i64>,
    pub active_ms: Option<i64>,
    pub end: Option<Millis>,
    pub first_end: Option<Millis>,
    pub reopens: i32,
    pub backward_moves: i32,
}

impl Contribution {
    pub fn of(key: &str, issue_type: Option<&str>, fact: &Fact) -> Contribution {
        Contribution {
            key: key.to_owned(),
            issue_type: issue_type.map(str::to_owned),
            outcome: fact.outcome,
            lead_ms: fact.lead_ms,
            active_ms: fact.active_ms,
            end: fact.end,
            first_end: fact.first_end,
            reopens: fact.reopens,
            backward_moves: fact.backward_moves,
        }
    }

    fn sample(&self) -> Option<i64> {
        match self.outcome {
            Outcome::Counted => self.lead_ms,
            _ => None,
        }
    }

    /// The ISO week of a completion (`2026-W07`), for throughput.
    fn completion_week(&self) -> Option<String> {
        if !self.outcome.is_completion() {
            return None;
        }
        self.end.map(iso_week)
    }

    /// Time from the first to the final completion, for a completed issue that was reopened.
    pub fn rework_ms(&self) -> Option<i64> {
        match (self.outcome.is_completion(), self.first_end, self.end) {
            (true, Some(first), Some(end)) if end > first => Some(end - first),
            _ => None,
        }
    }
}

/// The ISO week (`2026-W07`) of an instant, UTC.
pub fn iso_week(ms: Millis) -> String {
    let w = DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// A week written by [`iso_week`], as (ISO year, week); `None` for anything else.
fn parse_iso_week(week: &str) -> Option<(i32, u32)> {
    let (year, w) = week.split_once("-W")?;
    Some((year.parse().ok()?, w.parse().ok()?))
}

/// Whether an ISO year has a week 53 (it starts on a Thursday, or is a leap year starting on
/// a Wednesday).
fn has_week_53(year: i32) -> bool {
    chrono::NaiveDate::from_isoywd_opt(year, 53, chrono::Weekday::Mon).is_some()
}

/// Completions per ISO week, every week from the first to the last one present, those without
/// a completion as zeros (`2026-W52`, `2026-W53`, `2027-W01`: ISO years have 52 or 53 weeks).
/// A key that is not an ISO week (none is stored so) is kept as it is, without filling.
pub fn weeks_with_zeros(throughput: &BTreeMap<String, i64>) -> Vec<(String, i64)> {
    let parsed: Option<Vec<(i32, u32)>> = throughput.keys().map(|k| parse_iso_week(k)).collect();
    let bounds = parsed.and_then(|p| Some((*p.iter().min()?, *p.iter().max()?)));
    let Some((first, last)) = bounds else {
        return throughput.iter().map(|(w, &n)| (w.clone(), n)).collect();
    };
    let mut out = Vec::new();
    let (mut year, mut week) = first;
    loop {
        let name = format!("{year}-W{week:02}");
        out.push((name.clone(), throughput.get(&name).copied().unwrap_or(0)));
        if (year, week) >= last {
            break;
        }
        if week >= 53 || (week == 52 && !has_week_53(year)) {
            (year, week) = (year + 1, 1);
        } else {
            week += 1;
        }
    }
    out
}

/// The name the flow distribution gives an issue without a type.
pub const NO_TYPE: &str = "(none)";

/// Figures of one configuration. `count` and the sums cover the counted issues; the outcome
/// counters cover every issue the configuration covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Aggregate {
    pub count: i64,
    pub sum_lead_ms: i64,
    pub sum_active_ms: i64,
    /// Σ lead² in ms², exact (a 64-bit sum would overflow).
    pub sum_sq_lead: i128,
    /// The counted lead times, for percentiles.
    pub sketch: Sketch,
    pub min: Option<Extreme>,
    pub max: Option<Extreme>,
    pub wip: i64,
    pub never_active: i64,
    pub unknown_start: i64,
    pub not_started: i64,
    pub invalid: i64,
    pub below_threshold: i64,
    pub cancelled: i64,
    /// Rework: Σ reopens and Σ backward moves over the covered issues; the completed issues
    /// completed more than once, and Σ of their time from first to final completion.
    pub reopens: i64,
    pub backward_moves: i64,
    pub reworked: i64,
    pub sum_rework_ms: i64,
    /// Completions per ISO week of their end.
    pub throughput: BTreeMap<String, i64>,
    /// Completions per issue type (the flow distribution; cancelled ones are `cancelled`).
    pub by_type: BTreeMap<String, i64>,
    /// An extreme left and must be found again among the stored facts.
    pub extremes_stale: bool,
}

/// Smaller lead first; ties: the smaller key as a string.
fn better_min(a: &Extreme, b: &Extreme) -> bool {
    (a.lead_ms, &a.key) < (b.lead_ms, &b.key)
}

/// Larger lead first; ties: the smaller key as a string.
fn better_max(a: &Extreme, b: &Extreme) -> bool {
    a.lead_ms > b.lead_ms || (a.lead_ms == b.lead_ms && a.key < b.key)
}

/// Moves a counter of a map by `by`, dropping it at zero.
fn shift(map: &mut BTreeMap<String, i64>, key: String, by: i64) {
    let n = map.entry(key.clone()).or_default();
    *n += by;
    if *n == 0 {
        map.remove(&key);
    }
}

impl Aggregate {
    fn counter(&mut self, outcome: Outcome) -> Option<&mut i64> {
        match outcome {
            Outcome::Counted => None,
            Outcome::InProgress => Some(&mut self.wip),
            Outcome::NeverActive => Some(&mut self.never_active),
            Outcome::UnknownStart => Some(&mut self.unknown_start),
            Outcome::NotStarted => Some(&mut self.not_started),
            Outcome::Invalid => Some(&mut self.invalid),
            Outcome::BelowThreshold => Some(&mut self.below_threshold),
            Outcome::Cancelled => Some(&mut self.cancelled),
        }
    }

    /// What adding (`by` = 1) or removing (−1) a contribution moves, extremes aside.
    fn shift_by(&mut self, c: &Contribution, by: i64) {
        if let Some(n) = self.counter(c.outcome) {
            *n += by;
        }
        self.reopens += by * i64::from(c.reopens);
        self.backward_moves += by * i64::from(c.backward_moves);
        if let Some(r) = c.rework_ms() {
            self.reworked += by;
            self.sum_rework_ms += by * r;
        }
        if let Some(week) = c.completion_week() {
            shift(&mut self.throughput, week, by);
            let t = c.issue_type.as_deref().unwrap_or(NO_TYPE);
            shift(&mut self.by_type, t.to_owned(), by);
        }
        let Some(lead) = c.sample() else { return };
        self.count += by;
        self.sum_lead_ms += by * lead;
        self.sum_active_ms += by * c.active_ms.unwrap_or(0);
        self.sum_sq_lead += i128::from(by) * i128::from(lead) * i128::from(lead);
        if by > 0 {
            self.sketch.add(lead);
        } else {
            self.sketch.remove(lead);
        }
    }

    pub fn add(&mut self, c: &Contribution) {
        self.shift_by(c, 1);
        let Some(lead) = c.sample() else { return };
        let e = Extreme {
            lead_ms: lead,
            key: c.key.clone(),
        };
        if self.min.as_ref().is_none_or(|m| better_min(&e, m)) && !self.extremes_stale {
            self.min = Some(e.clone());
        }
        if self.max.as_ref().is_none_or(|m| better_max(&e, m)) && !self.extremes_stale {
            self.max = Some(e);
        }
    }

    pub fn remove(&mut self, c: &Contribution) {
        self.shift_by(c, -1);
        let Some(lead) = c.sample() else { return };
        let hit = |m: &Option<Extreme>| {
            m.as_ref()
                .is_some_and(|m| m.lead_ms == lead && m.key == c.key)
        };
        if hit(&self.min) || hit(&self.max) {
            self.extremes_stale = true;
        }
        if self.count == 0 {
            self.min = None;
            self.max = None;
            self.extremes_stale = false;
        }
    }

    /// Sets the extremes found among the stored facts after a removal.
    pub fn set_extremes(&mut self, min: Option<Extreme>, max: Option<Extreme>) {
        self.min = min;
        self.max = max;
        self.extremes_stale = false;
    }

    /// The aggregate of a set of contributions, computed from scratch.
    pub fn of<'a>(contributions: impl IntoIterator<Item = &'a Contribution>) -> Aggregate {
        let mut a = Aggregate::default();
        for c in contributions {
            a.add(c);
        }
        a
    }

    pub fn mean_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_lead_ms as f64 / self.count as f64)
    }

    pub fn mean_days(&self) -> Option<f64> {
        self.mean_ms().map(|m| m / MS_PER_DAY as f64)
    }

    /// The population standard deviation of the counted lead times, in days: from the exact
    /// integer sums, √(n·Σx² − (Σx)²) / n, so no cancellation creeps in.
    pub fn stddev_days(&self) -> Option<f64> {
        if self.count <= 0 {
            return None;
        }
        let n = i128::from(self.count);
        let sum = i128::from(self.sum_lead_ms);
        let spread = (n * self.sum_sq_lead - sum * sum).max(0);
        Some((spread as f64).sqrt() / self.count as f64 / MS_PER_DAY as f64)
    }

    /// The p-th percentile of the counted lead times in days, by nearest rank, within
    /// [`crate::sketch::RELATIVE_ERROR`] of the exact value.
    pub fn percentile_days(&self, p: f64) -> Option<f64> {
        let min = self.min.as_ref().map(|e| e.lead_ms);
        let max = self.max.as_ref().map(|e| e.lead_ms);
        self.sketch
            .percentile(p, min, max)
            .map(|ms| ms / MS_PER_DAY as f64)
    }

    /// Mean time from first to final completion over the reworked completions, in days.
    pub fn mean_rework_days(&self) -> Option<f64> {
        (self.reworked > 0)
            .then(|| self.sum_rework_ms as f64 / self.reworked as f64 / MS_PER_DAY as f64)
    }

    /// Σ active / Σ lead over the counted issues; `None` without active stages or samples.
    pub fn flow_efficiency(&self, has_active_stages: bool) -> Option<f64> {
        (has_active_stages && self.count > 0 && self.sum_lead_ms > 0)
            .then(|| self.sum_active_ms as f64 / self.sum_lead_ms as f64)
    }
}

/// The p-th percentile by nearest rank: the value at rank ⌈p·n/100⌉ of the sorted values.
pub fn nearest_rank(sorted: &[Millis], p: f64) -> Option<Millis> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let rank = (p * sorted.len() as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weeks_with_zeros_fill_the_gaps_across_iso_years() {
        let map = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(w, n)| (w.to_string(), *n)).collect()
        };
        let names = |v: Vec<(String, i64)>| {
            v.into_iter()
                .map(|(w, n)| format!("{w}:{n}"))
                .collect::<Vec<_>>()
        };
        assert!(weeks_with_zeros(&BTreeMap::new()).is_empty());
        assert_eq!(
            names(weeks_with_zeros(&map(&[("2015-W47", 2)]))),
            ["2015-W47:2"]
        );
        assert_eq!(
            names(weeks_with_zeros(&map(&[
                ("2015-W47", 2),
                ("2015-W49", 1),
                ("2015-W51", 3)
            ]))),
            [
                "2015-W47:2",
                "2015-W48:0",
                "2015-W49:1",
                "2015-W50:0",
                "2015-W51:3"
            ]
        );
        // 2015 and 2020 and 2026 have a week 53; 2025 and 2021 do not.
        assert_eq!(
            names(weeks_with_zeros(&map(&[("2015-W52", 1), ("2016-W02", 1)]))),
            ["2015-W52:1", "2015-W53:0", "2016-W01:0", "2016-W02:1"]
        );
        assert_eq!(
            names(weeks_with_zeros(&map(&[("2025-W51", 1), ("2026-W01", 1)]))),
            ["2025-W51:1", "2025-W52:0", "2026-W01:1"]
        );
        assert_eq!(
            names(weeks_with_zeros(&map(&[("2026-W53", 1), ("2027-W01", 2)]))),
            ["2026-W53:1", "2027-W01:2"]
        );
        // Over several years: 52 or 53 weeks each, as chrono counts them.
        let filled = weeks_with_zeros(&map(&[("2019-W01", 1), ("2027-W52", 1)]));
        let mut day = chrono::NaiveDate::from_isoywd_opt(2019, 1, chrono::Weekday::Mon).unwrap();
        for (w, _) in &filled {
            let iw = day.iso_week();
            assert_eq!(*w, format!("{}-W{:02}", iw.year(), iw.week()));
            day += chrono::Duration::days(7);
        }
        assert_eq!(filled.len(), 470);
        assert_eq!(filled.iter().map(|(_, n)| n).sum::<i64>(), 2);
    }

    fn c(key: &str, outcome: Outcome, lead: Option<i64>, active: Option<i64>) -> Contribution {
        Contribution {
            key: key.into(),
            issue_type: Some(
                if key.len().is_multiple_of(2) {
                    "Story"
                } else {
                    "Bug"
                }
                .into(),
            ),
            outcome,
            lead_ms: lead,
            active_ms: active,
            end: lead.map(|l| 1_767_225_600_000 + l * 50_000),
            first_end: lead.map(|l| 1_767_225_600_000 + l * 40_000),
            reopens: (lead.unwrap_or(0) % 3) as i32,
            backward_moves: (lead.unwrap_or(0) % 4) as i32,
        }
    }

    #[test]
    fn stddev_weeks_and_rework() {
        let day = MS_PER_DAY;
        let a = Aggregate::of(&[
            c("A-1", Outcome::Counted, Some(2 * day), None),
            c("A-2", Outcome::Counted, Some(4 * day), None),
            c("A-3", Outcome::Counted, Some(4 * day), None),
            c("A-4", Outcome::Counted, Some(4 * day), None),
            c("A-5", Outcome::Counted, Some(5 * day), None),
            c("A-6", Outcome::Counted, Some(5 * day), None),
            c("A-7", Outcome::Counted, Some(7 * day), None),
            c("A-8", Outcome::Counted, Some(9 * day), None),
        ]);
        assert_eq!(a.stddev_days(), Some(2.0));
        assert!((a.percentile_days(50.0).unwrap() - 4.0).abs() <= 4.0 * 0.005);
        assert_eq!(a.percentile_days(100.0), Some(9.0));
        assert_eq!(iso_week(1_767_225_600_000), "2026-W01"); // 2026-01-01 is a Thursday
        assert_eq!(iso_week(1_767_139_200_000), "2026-W01"); // 2025-12-31 too
        assert_eq!(a.throughput.values().sum::<i64>(), 8);
        assert_eq!(a.by_type.values().sum::<i64>(), 8);
        assert_eq!(a.reworked, 8);
        // A year-long lead time squared in ms² is far beyond 64 bits: still exact.
        let big = Aggregate::of(&[
            c("B-1", Outcome::Counted, Some(400 * day), None),
            c("B-2", Outcome::Counted, Some(600 * day), None),
        ]);
        assert_eq!(big.stddev_days(), Some(100.0));
    }

    #[test]
    fn ties_go_to_the_smaller_key() {
        let a = Aggregate::of(&[
            c("PAY-2", Outcome::Counted, Some(5), Some(1)),
            c("PAY-10", Outcome::Counted, Some(5), Some(1)),
            c("PAY-3", Outcome::Counted, Some(5), Some(1)),
        ]);
        assert_eq!(a.min.unwrap().key, "PAY-10");
        assert_eq!(a.max.unwrap().key, "PAY-10");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&v, 5.0), Some(15));
        assert_eq!(nearest_rank(&v, 30.0), Some(20));
        assert_eq!(nearest_rank(&v, 40.0), Some(20));
        assert_eq!(nearest_rank(&v, 50.0), Some(35));
        assert_eq!(nearest_rank(&v, 100.0), Some(50));
        assert_eq!(nearest_rank(&v, 0.0), Some(15));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn nothing_counted_gives_null_figures() {
        let a = Aggregate::of(&[c("X-1", Outcome::InProgress, None, None)]);
        assert_eq!((a.count, a.wip), (0, 1));
        assert_eq!(a.mean_days(), None);
        assert_eq!(a.flow_efficiency(true), None);
        assert_eq!(a.min, None);
    }

    fn contribution() -> impl Strategy<Value = Contribution> {
        (0u8..6, 0usize..8, 0i64..10).prop_map(|(k, o, lead)| {
            let outcome = Outcome::ALL[o];
            let lead = (outcome == Outcome::Counted || lead > 6).then_some(lead * 1000);
            c(&format!("K-{k}"), outcome, lead, lead.map(|l| l / 2))
        })
    }

    proptest! {
        /// Adding and removing in any order ends where a from-scratch fold over what is left
        /// ends (once stale extremes are found again, as the store does).
        #[test]
        fn incremental_equals_from_scratch(
            adds in proptest::collection::vec(contribution(), 0..30),
            removals in proptest::collection::vec(any::<prop::sample::Index>(), 0..30),
        ) {
            let mut live = adds.clone();
            let mut agg = Aggregate::of(&adds);
            for r in removals {
                if live.is_empty() { break; }
                let gone = live.remove(r.index(live.len()));
                agg.remove(&gone);
            }
            if agg.extremes_stale {
                let fresh = Aggregate::of(&live);
                agg.set_extremes(fresh.min, fresh.max);
            }
            prop_assert_eq!(agg, Aggregate::of(&live));
        }
    }
}
