//! One backfill: page through a search, complete cut changelogs, turn each issue into its import
//! events and deliver each page's events to a [`Sink`] before the next page is fetched.

use std::sync::Arc;

use domain::{IssueEvent, import_issue};
use ingest::Queue;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::Error;
use crate::jira::{Cursor, Flavor, Jira};
use crate::jql;

/// What a sink has done so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// Applied to the database (in-process).
    pub applied: u64,
    /// Already applied before (same delivery id): nothing changed.
    pub duplicates: u64,
    /// Put on the queue (the processor applies them).
    pub queued: u64,
    /// Refused one by one (the store's reason is in the sink's own summary).
    pub failed: u64,
}

/// Where the events go: the database in-process, or a queue.
pub trait Sink {
    /// Applies or queues one page's events, each labelled with its issue; returns once they
    /// are applied or durably queued. An error stops the backfill.
    fn deliver(
        &mut self,
        events: Vec<(String, IssueEvent)>,
    ) -> impl Future<Output = Result<(), Error>>;

    fn delivered(&self) -> Delivered;
}

/// The progress of a backfill, after each page.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pages: u64,
    /// Issues fetched so far.
    pub issues: u64,
    /// Issues the search matches, when the flavor says (Data Center).
    pub total: Option<u64>,
    /// Changelogs completed through the issue endpoint.
    pub changelogs: u64,
    pub events: u64,
    pub delivered: Delivered,
}

/// What a backfill did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The JQL as sent.
    pub jql: String,
    pub counts: Counts,
    /// Issues that give no events, with the reason: (issue, why).
    pub skipped: Vec<(String, String)>,
    /// Issues whose history stays incomplete (the changelog could not be completed).
    pub incomplete: Vec<String>,
    /// What may make the result incomplete, said before the first page is read (also logged).
    pub warnings: Vec<String>,
}

/// The warning for a Data Center search with the user's own `ORDER BY`: `startAt` paging is an
/// offset into the ordered result, which holds still only when updates cannot reorder it.
pub const DATA_CENTER_ORDER_WARNING: &str = "the JQL has its own ORDER BY, and Data Center pages \
     by startAt offsets: unless that order is one updates cannot change (such as created), an \
     issue updated during the backfill can move across a page boundary and be skipped or read \
     twice; leave ORDER BY out to get backfill's stable ORDER BY created ASC";

/// Runs `jql` (ordered by creation when it has no order) page by page through `sink`, calling
/// `on_page` after each page is delivered.
pub async fn backfill<S: Sink>(
    jira: &Jira,
    jql: &str,
    page_size: u32,
    sink: &mut S,
    mut on_page: impl FnMut(&Counts),
) -> Result<Report, Error> {
    if jql.trim().is_empty() {
        return Err(Error::Input("the JQL is empty".into()));
    }
    if page_size == 0 {
        return Err(Error::Input("the page size must be at least 1".into()));
    }
    let mut report = Report {
        jql: jql::ordered(jql),
        ..Report::default()
    };
    if jira.flavor() == Flavor::DataCenter && jql::has_order(jql) {
        tracing::warn!(jql, "{DATA_CENTER_ORDER_WARNING}");
        report.warnings.push(DATA_CENTER_ORDER_WARNING.to_owned());
    }
    let mut cursor = Cursor::First;
    loop {
        let page = jira.search(&report.jql, page_size, &cursor).await?;
        report.counts.pages += 1;
        report.counts.total = page.total.or(report.counts.total);
        let mut events = Vec::new();
        for (i, mut issue) in page.issues.into_iter().enumerate() {
            report.counts.issues += 1;
            if jira.complete_changelog(&mut issue).await? {
                report.counts.changelogs += 1;
            }
            let label = issue
                .get("key")
                .and_then(|k| k.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("issue #{} of page {}", i + 1, report.counts.pages));
            match import_issue(&issue) {
                Ok(imported) => {
                    if imported.truncated {
                        report.incomplete.push(label.clone());
                    }
                    report.counts.events += imported.events.len() as u64;
                    events.extend(imported.events.into_iter().map(|e| (label.clone(), e)));
                }
                Err(why) => report.skipped.push((label, why.0)),
            }
        }
        sink.deliver(events).await?;
        report.counts.delivered = sink.delivered();
        on_page(&report.counts);
        match page.next {
            Some(next) => cursor = next,
            None => return Ok(report),
        }
    }
}

/// Events sent at once to a queue.
const IN_FLIGHT: usize = 16;

/// A sink that puts each event on a [`Queue`] (SQS, for the processor to apply).
pub struct QueueSink {
    queue: Arc<dyn Queue>,
    delivered: Delivered,
}

impl QueueSink {
    pub fn new(queue: Arc<dyn Queue>) -> QueueSink {
        QueueSink {
            queue,
            delivered: Delivered::default(),
        }
    }
}

impl Sink for QueueSink {
    async fn deliver(&mut self, events: Vec<(String, IssueEvent)>) -> Result<(), Error> {
        let mut sending = JoinSet::new();
        let mut events = events.into_iter();
        loop {
            while sending.len() < IN_FLIGHT {
                let Some((label, event)) = events.next() else {
                    break;
                };
                let queue = Arc::clone(&self.queue);
                sending.spawn(async move { queue.enqueue(&event).await.map_err(|e| (label, e)) });
            }
            let Some(done) = sending.join_next().await else {
                return Ok(());
            };
            match done {
                Ok(Ok(())) => self.delivered.queued += 1,
                Ok(Err((label, e))) => {
                    return Err(Error::Sink(format!(
                        "the queue refused an event of {label}: {e} ({} events were queued \
                         before; running again is harmless)",
                        self.delivered.queued
                    )));
                }
                Err(e) => return Err(Error::Sink(format!("sending an event failed: {e}"))),
            }
        }
    }

    fn delivered(&self) -> Delivered {
        self.delivered
    }
}
