//! Reconciliation: on a schedule, the backfill of every issue updated in the last N minutes in
//! the projects of every configured ART, sent to the queue like webhooks. A webhook that was
//! lost (Data Center does not retry, Cloud retries for an hour only, a body above Lambda's
//! 6 MB limit never arrives) is healed within one run; what did arrive comes back as
//! duplicates the processor recognizes (the events carry import delivery ids, and an issue's
//! transitions are unique however they arrived).
//!
//! [`Reconciler::handle`] is the whole job, callable without Lambda; `main.rs` only wires it to
//! the runtime. Environment ([`Reconciler::from_env`]): `JIRA_URL`, `JIRA_FLAVOR` (auto, cloud,
//! datacenter), the credentials of [`crate::credentials`], `QUEUE_URL`,
//! `ARTFLOW_RECONCILE_MINUTES` (90 by default: choose more than the schedule's period, so that
//! the windows overlap), and the database as for the processor (`DATABASE_URL` or
//! `DB_SECRET_ARN`).

use std::collections::BTreeSet;
use std::sync::Arc;

use ingest::{Queue, SqsQueue};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait};
use serde::Serialize;
use serde_json::Value;

use crate::jira::{Flavor, Jira};
use crate::run::{Counts, QueueSink, backfill};
use crate::{DEFAULT_PAGE_SIZE, Error, jql};

/// The window when `ARTFLOW_RECONCILE_MINUTES` is not set.
pub const DEFAULT_MINUTES: u32 = 90;

pub struct Reconciler {
    pub db: DatabaseConnection,
    pub jira: Jira,
    pub queue: Arc<dyn Queue>,
    /// Issues updated in this many last minutes are read again.
    pub minutes: u32,
    pub page_size: u32,
}

/// What one run did (the Lambda's answer, and its log line).
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub projects: Vec<String>,
    /// The JQL as sent; empty when no ART is configured.
    pub jql: String,
    pub counts: Counts,
    pub skipped: Vec<(String, String)>,
    pub incomplete: Vec<String>,
}

/// The Jira project keys of every configured ART (program and team keys), sorted, once each.
pub async fn project_keys(db: &DatabaseConnection) -> Result<Vec<String>, Error> {
    let arts = entities::art::Entity::find().all(db).await?;
    let keys: BTreeSet<String> = arts
        .into_iter()
        .flat_map(|a| std::iter::once(a.program_key).chain(a.team_key))
        .filter(|k| !k.trim().is_empty())
        .collect();
    Ok(keys.into_iter().collect())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Reconciler {
    /// Everything from the environment (see the module documentation); the database and the
    /// secrets are read once, at cold start.
    pub async fn from_env() -> Result<Reconciler, Error> {
        let url = env("JIRA_URL").ok_or_else(|| Error::Input("JIRA_URL is not set".into()))?;
        let flavor = match env("JIRA_FLAVOR") {
            Some(f) => Flavor::parse_choice(&f)?,
            None => None,
        };
        let minutes = match env("ARTFLOW_RECONCILE_MINUTES") {
            None => DEFAULT_MINUTES,
            Some(m) => m.trim().parse().ok().filter(|m| *m > 0).ok_or_else(|| {
                Error::Input(format!(
                    "ARTFLOW_RECONCILE_MINUTES {m:?} is not a positive number of minutes"
                ))
            })?,
        };
        let queue_url =
            env("QUEUE_URL").ok_or_else(|| Error::Input("QUEUE_URL is not set".into()))?;
        let credentials = crate::Credentials::from_env().await?;
        let jira = Jira::new(&url, flavor, &credentials)?;
        let db_url = processor::dbconfig::database_url_from_env()
            .await
            .map_err(|e| Error::Input(format!("{e:#}")))?;
        let mut opts = ConnectOptions::new(db_url);
        opts.max_connections(1).sqlx_logging(false);
        let db = Database::connect(opts).await?;
        Ok(Reconciler {
            db,
            jira,
            queue: Arc::new(SqsQueue::from_env(queue_url).await),
            minutes,
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// One scheduled run. `event` is the scheduler's payload (an EventBridge scheduled event,
    /// or anything else: it is only logged).
    pub async fn handle(&self, event: &Value) -> Result<Outcome, Error> {
        let projects = project_keys(&self.db).await?;
        let text = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("");
        let (event_id, event_time) = (text("id"), text("time"));
        tracing::info!(
            event_id,
            event_time,
            projects = projects.join(","),
            minutes = self.minutes,
            "reconciliation starts"
        );
        if projects.is_empty() {
            tracing::warn!("no ART is configured: nothing to reconcile");
            return Ok(Outcome {
                projects,
                jql: String::new(),
                counts: Counts::default(),
                skipped: Vec::new(),
                incomplete: Vec::new(),
            });
        }
        let query = jql::recent(&projects, self.minutes);
        let mut sink = QueueSink::new(Arc::clone(&self.queue));
        let report = backfill(&self.jira, &query, self.page_size, &mut sink, |c| {
            tracing::info!(
                pages = c.pages,
                issues = c.issues,
                events = c.events,
                queued = c.delivered.queued,
                "page queued"
            )
        })
        .await?;
        for (issue, why) in &report.skipped {
            tracing::warn!(issue, why, "issue skipped");
        }
        for issue in &report.incomplete {
            tracing::warn!(issue, "history incomplete");
        }
        tracing::info!(
            issues = report.counts.issues,
            events = report.counts.events,
            queued = report.counts.delivered.queued,
            "reconciliation done"
        );
        Ok(Outcome {
            projects,
            jql: report.jql,
            counts: report.counts,
            skipped: report.skipped,
            incomplete: report.incomplete,
        })
    }
}
