//! Aggregate arithmetic per pipeline configuration: moved by the difference when one issue's fact
//! changes, so an update costs the same however many issues the configuration holds.

use crate::rules::{Fact, Outcome};
use crate::time::{MS_PER_DAY, Millis};

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
    pub outcome: Outcome,
    pub lead_ms: Option<i64>,
    pub active_ms: Option<i64>,
}

impl Contribution {
    pub fn of(key: &str, fact: &Fact) -> Contribution {
        Contribution {
            key: key.to_owned(),
            outcome: fact.outcome,
            lead_ms: fact.lead_ms,
            active_ms: fact.active_ms,
        }
    }

    fn sample(&self) -> Option<i64> {
        match self.outcome {
            Outcome::Counted => self.lead_ms,
            _ => None,
        }
    }
}

/// Figures of one configuration. `count` and the sums cover the counted issues; the outcome
/// counters cover every issue the configuration covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Aggregate {
    pub count: i64,
    pub sum_lead_ms: i64,
    pub sum_active_ms: i64,
    pub min: Option<Extreme>,
    pub max: Option<Extreme>,
    pub wip: i64,
    pub never_active: i64,
    pub unknown_start: i64,
    pub not_started: i64,
    pub invalid: i64,
    pub below_threshold: i64,
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
        }
    }

    pub fn add(&mut self, c: &Contribution) {
        if let Some(n) = self.counter(c.outcome) {
            *n += 1;
        }
        let Some(lead) = c.sample() else { return };
        self.count += 1;
        self.sum_lead_ms += lead;
        self.sum_active_ms += c.active_ms.unwrap_or(0);
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
        if let Some(n) = self.counter(c.outcome) {
            *n -= 1;
        }
        let Some(lead) = c.sample() else { return };
        self.count -= 1;
        self.sum_lead_ms -= lead;
        self.sum_active_ms -= c.active_ms.unwrap_or(0);
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

    fn c(key: &str, outcome: Outcome, lead: Option<i64>, active: Option<i64>) -> Contribution {
        Contribution {
            key: key.into(),
            outcome,
            lead_ms: lead,
            active_ms: active,
        }
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
        (0u8..6, 0usize..7, 0i64..10).prop_map(|(k, o, lead)| {
            let outcome = Outcome::ALL[o];
            let lead = (outcome == Outcome::Counted).then_some(lead * 1000);
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
