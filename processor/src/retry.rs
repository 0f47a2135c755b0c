//! Retrying what a database refuses only for now: deadlocks, lock-wait timeouts, a busy SQLite
//! file, a dropped connection. The one retry helper of artflow, over `backon` (jittered
//! exponential backoff, bounded); see the README for why not `backoff`.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::ProcessError;

static RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many retries this process has made (deadlocks and the like), for logs and benchmarks.
pub fn retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// Whether an error may succeed when tried again.
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

/// Runs `op` until it succeeds, fails for good, or `attempts` tries were made; each retry waits
/// an exponentially growing, jittered delay (25 ms doubling, capped at 2 s). Retries are logged.
pub async fn with_retry<T, F, Fut>(what: &str, attempts: usize, op: F) -> Result<T, ProcessError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProcessError>>,
{
    op.retry(
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(25))
            .with_max_delay(Duration::from_secs(2))
            .with_max_times(attempts.saturating_sub(1))
            .with_jitter(),
    )
    .when(is_transient)
    .notify(|e, wait| {
        let n = RETRIES.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(what, error = %e, ?wait, retries = n, "transient database error, retrying")
    })
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
}
