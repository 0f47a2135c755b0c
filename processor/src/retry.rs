//! Retrying what fails only for now, the one retry helper of artflow, over `backon` (jittered
//! exponential backoff, bounded; see the README for why not `backoff`). [`retry`] is the general
//! form: the caller says which errors are transient and whether the other side named a wait (an
//! HTTP `Retry-After`). [`with_retry`] is its use for the database: deadlocks, lock-wait
//! timeouts, a busy SQLite file, a dropped connection.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::ProcessError;

static RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many retries this process has made (deadlocks, throttled requests and the like), for
/// logs and benchmarks.
pub fn retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// What [`retry`] does after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It will fail again: give up now.
    Permanent,
    /// It may succeed later: wait the next backoff delay.
    Transient,
    /// The other side asked for this wait (e.g. `Retry-After`): wait at least that long, at
    /// most the policy's `max_delay`, and not less than the next backoff delay.
    After(Duration),
}

/// How often and how long [`retry`] waits: `attempts` tries in all, delays from `min_delay`
/// doubling (jittered) up to `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Policy {
    /// The database's: 25 ms doubling, capped at 2 s.
    pub fn database(attempts: usize) -> Policy {
        Policy {
            attempts,
            min_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Runs `op` until it succeeds, `classify` calls its error permanent, or `policy.attempts` tries
/// were made. Each retry is logged with `what` and counted in [`retries`].
pub async fn retry<T, E, F, Fut>(
    what: &str,
    policy: Policy,
    classify: impl Fn(&E) -> Verdict,
    op: F,
) -> Result<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let classify = &classify;
    op.retry(
        ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.attempts.saturating_sub(1))
            .with_jitter(),
    )
    .when(|e| classify(e) != Verdict::Permanent)
    .adjust(move |e, next| delay(classify(e), next, policy))
    .notify(|e, wait| {
        let n = RETRIES.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(what, error = %e, ?wait, retries = n, "transient error, retrying")
    })
    .await
}

/// The wait before the next try: the backoff's `next` (`None` once the tries are used up), or,
/// when the other side asked for a wait, that wait capped at `max_delay`, never below `next`.
fn delay(verdict: Verdict, next: Option<Duration>, policy: Policy) -> Option<Duration> {
    match (verdict, next) {
        (Verdict::After(asked), Some(next)) => Some(asked.min(policy.max_delay).max(next)),
        (_, next) => next,
    }
}

/// Whether a database error may succeed when tried again.
pub fn is_transient(e: &ProcessError) -> bool {
    let ProcessError::Db(db) = e else {
        return false;
    };
    if matches!(
        db,
        sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
    ) {
        return true;
    }
    let text = db.to_string();
    // MySQL/MariaDB 1213 deadlock, 1205 lock wait timeout; SQLite busy/locked; lost connections.
    [
        "1213",
        "1205",
        "Deadlock found",
        "Lock wait timeout",
        "database is locked",
        "database table is locked",
        "SQLITE_BUSY",
        "pool timed out",
        "Connection reset",
        "Broken pipe",
        "connection closed",
        "Connection refused",
        "error communicating with database",
        "unexpected end of file",
        "server has gone away",
        "Lost connection",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Runs a database operation until it succeeds, fails for good, or `attempts` tries were made
/// ([`Policy::database`] delays; only [`is_transient`] errors are retried).
pub async fn with_retry<T, F, Fut>(what: &str, attempts: usize, op: F) -> Result<T, ProcessError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProcessError>>,
{
    retry(
        what,
        Policy::database(attempts),
        |e| {
            if is_transient(e) {
                Verdict::Transient
            } else {
                Verdict::Permanent
            }
        },
        op,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn deadlock() -> ProcessError {
        ProcessError::Db(sea_orm::DbErr::Custom(
            "1213 (40001): Deadlock found when trying to get lock".into(),
        ))
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let calls = AtomicUsize::new(0);
        let out = with_retry("test", 5, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(deadlock())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_permanent_errors_are_not_retried() {
        let calls = AtomicUsize::new(0);
        let out: Result<(), _> = with_retry("test", 3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(deadlock())
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicUsize::new(0);
        let out: Result<(), _> = with_retry("test", 3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ProcessError::Invalid("no".into()))
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_wait_the_other_side_asks_for_is_honoured_within_the_cap() {
        let policy = Policy {
            attempts: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        };
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        // Retry-After: 1 after a 500 ms backoff step: one second.
        assert_eq!(
            delay(Verdict::After(secs(1)), Some(ms(500)), policy),
            Some(secs(1))
        );
        // Retry-After: 3600 is capped; a backoff already longer than the ask wins.
        assert_eq!(
            delay(Verdict::After(secs(3600)), Some(ms(500)), policy),
            Some(secs(60))
        );
        assert_eq!(
            delay(Verdict::After(secs(1)), Some(secs(8)), policy),
            Some(secs(8))
        );
        // Tries used up: no wait, whatever was asked.
        assert_eq!(delay(Verdict::After(secs(1)), None, policy), None);
        assert_eq!(
            delay(Verdict::Transient, Some(ms(25)), policy),
            Some(ms(25))
        );
    }

    #[tokio::test]
    async fn the_general_form_retries_what_the_caller_calls_transient() {
        let calls = AtomicUsize::new(0);
        let policy = Policy {
            attempts: 4,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        let out: Result<u32, String> = retry(
            "test",
            policy,
            |e: &String| match e.as_str() {
                "throttled" => Verdict::After(Duration::from_millis(2)),
                "busy" => Verdict::Transient,
                _ => Verdict::Permanent,
            },
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 => Err("throttled".to_owned()),
                    1 => Err("busy".to_owned()),
                    _ => Ok(9),
                }
            },
        )
        .await;
        assert_eq!(out, Ok(9));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicUsize::new(0);
        let out: Result<u32, String> = retry(
            "test",
            policy,
            |_: &String| Verdict::Transient,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("busy".to_owned())
            },
        )
        .await;
        assert_eq!(out, Err("busy".to_owned()));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
