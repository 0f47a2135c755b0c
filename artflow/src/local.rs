//! The local queue of `artflow serve`: an accepted webhook is applied by the processor in the
//! same process before the 2xx is sent, so a 2xx means the event is in the database.

use chrono::Utc;
use domain::IssueEvent;
use ingest::queue::QueueFuture;
use ingest::{Queue, QueueError};
use processor::{EventResult, apply_batch, with_retry};
use sea_orm::DatabaseConnection;

pub struct LocalQueue {
    db: DatabaseConnection,
    on_applied: Option<Box<dyn Fn() + Send + Sync>>,
}

impl LocalQueue {
    pub fn new(db: DatabaseConnection) -> LocalQueue {
        LocalQueue {
            db,
            on_applied: None,
        }
    }

    /// Calls `f` after each event is applied (`artflow serve` refreshes its reads).
    pub fn on_applied(mut self, f: impl Fn() + Send + Sync + 'static) -> LocalQueue {
        self.on_applied = Some(Box::new(f));
        self
    }
}

impl Queue for LocalQueue {
    fn enqueue<'a>(&'a self, event: &'a IssueEvent) -> QueueFuture<'a> {
        Box::pin(async move {
            let events = std::slice::from_ref(event);
            let report = with_retry("apply webhook", 5, || {
                apply_batch(&self.db, events, Utc::now())
            })
            .await
            .map_err(|e| QueueError(format!("the database refused the event: {e}")))?;
            match report.results.into_iter().next() {
                Some(EventResult::Applied) => {
                    if let Some(f) = &self.on_applied {
                        f();
                    }
                    Ok(())
                }
                Some(EventResult::Duplicate) => Ok(()),
                Some(EventResult::Failed(why)) => Err(QueueError(why)),
                None => Err(QueueError("the event was not applied".into())),
            }
        })
    }
}
