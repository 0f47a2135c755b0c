//! Lead-time percentiles that follow every change: a logarithmic histogram (the DDSketch
//! construction) whose buckets are counters, so a sample is added and withdrawn exactly (a
//! reopen, a move or a delete takes its sample back out), and whose nearest-rank percentile is
//! within [`RELATIVE_ERROR`] of the exact one.
//!
//! Bucket `i` holds the values in (γ^(i−1), γ^i] with γ = (1 + α) / (1 − α); its representative
//! 2γ^i / (γ + 1) is within α of every value in it. The exact p-th percentile (nearest rank: the
//! value at rank ⌈p·n/100⌉) lies in the bucket where the running count first reaches that rank,
//! so the estimate is within α of it, whatever the values and however many were removed. Zero
//! (a field rule's same-day lead time) has a bucket of its own and is exact. A sample's bucket
//! depends on its value only, so incremental and from-scratch sketches are equal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The largest relative error of a percentile estimate: 0.5%.
pub const RELATIVE_ERROR: f64 = 0.005;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

/// The bucket of a positive value.
fn bucket_of(ms: i64) -> i32 {
    ((ms as f64).ln() / gamma().ln()).ceil() as i32
}

/// The representative value of a bucket.
fn value_of(bucket: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(bucket) / (g + 1.0)
}

/// Counts of lead times (milliseconds, 0 or more) by logarithmic bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sketch {
    #[serde(default, skip_serializing_if = "is_zero")]
    zero: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    buckets: BTreeMap<i32, i64>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Sketch {
    pub fn add(&mut self, ms: i64) {
        self.shift(ms, 1);
    }

    pub fn remove(&mut self, ms: i64) {
        self.shift(ms, -1);
    }

    fn shift(&mut self, ms: i64, by: i64) {
        if ms <= 0 {
            self.zero += by;
            return;
        }
        let b = bucket_of(ms);
        let n = self.buckets.entry(b).or_default();
        *n += by;
        if *n == 0 {
            self.buckets.remove(&b);
        }
    }

    /// How many samples it holds.
    pub fn count(&self) -> i64 {
        self.zero + self.buckets.values().sum::<i64>()
    }

    pub fn is_empty(&self) -> bool {
        self.count() <= 0
    }

    /// The p-th percentile by nearest rank, in milliseconds, within [`RELATIVE_ERROR`] of the
    /// exact value; `None` when empty or `p` is outside 0..=100. `min` and `max`, the exact
    /// extremes where known, bound the estimate (and are returned at ranks 1 and n).
    pub fn percentile(&self, p: f64, min: Option<i64>, max: Option<i64>) -> Option<f64> {
        let n = self.count();
        if n <= 0 || !(0.0..=100.0).contains(&p) {
            return None;
        }
        let rank = ((p * n as f64 / 100.0).ceil() as i64).clamp(1, n);
        if rank == 1
            && let Some(m) = min
        {
            return Some(m as f64);
        }
        if rank == n
            && let Some(m) = max
        {
            return Some(m as f64);
        }
        let mut seen = self.zero;
        let mut estimate = (seen >= rank).then_some(0.0);
        if estimate.is_none() {
            for (&b, &c) in &self.buckets {
                seen += c;
                if seen >= rank {
                    estimate = Some(value_of(b));
                    break;
                }
            }
        }
        let mut v = estimate?;
        if let Some(m) = min {
            v = v.max(m as f64);
        }
        if let Some(m) = max {
            v = v.min(m as f64);
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::nearest_rank;
    use proptest::prelude::*;

    #[test]
    fn empty_and_zero() {
        let mut s = Sketch::default();
        assert_eq!(s.percentile(50.0, None, None), None);
        s.add(0);
        s.add(0);
        assert_eq!(s.percentile(50.0, None, None), Some(0.0));
        s.remove(0);
        s.remove(0);
        assert!(s.is_empty());
        assert_eq!(s, Sketch::default());
    }

    #[test]
    fn serializes_compactly() {
        let mut s = Sketch::default();
        s.add(86_400_000);
        s.add(86_400_000);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Sketch>(&json).unwrap(), s);
        assert!(json.len() < 30, "{json}");
    }

    proptest! {
        /// After any additions and removals, each percentile is within the stated relative
        /// error of the exact nearest-rank value of what is left.
        #[test]
        fn within_the_stated_error_of_exact(
            values in proptest::collection::vec(
                prop_oneof![Just(0i64), 1i64..1_000, 1_000i64..40_000_000_000], 1..300),
            removals in proptest::collection::vec(any::<prop::sample::Index>(), 0..150),
            p in 0.0f64..=100.0,
        ) {
            let mut live = values.clone();
            let mut s = Sketch::default();
            for v in &values { s.add(*v); }
            for r in removals {
                if live.len() <= 1 { break; }
                let gone = live.remove(r.index(live.len()));
                s.remove(gone);
            }
            live.sort_unstable();
            let exact = nearest_rank(&live, p).unwrap() as f64;
            for (min, max) in [(None, None), (live.first().copied(), live.last().copied())] {
                let est = s.percentile(p, min, max).unwrap();
                prop_assert!((est - exact).abs() <= RELATIVE_ERROR * exact * (1.0 + 1e-9),
                    "p{p}: estimate {est} exact {exact}");
            }
            // The same values added from scratch give the same sketch.
            let mut fresh = Sketch::default();
            for v in &live { fresh.add(*v); }
            prop_assert_eq!(fresh, s);
        }
    }
}
