//! `artflow backfill`: issue histories straight from Jira's search API, applied to the database
//! in-process through the same batches as `artflow import` (its `Feeder`), or put on an SQS
//! queue for the processor (`--queue-url`). The paging, the changelogs, the retries and the
//! events are the `backfill` crate's.

use std::process::ExitCode;

use ::backfill::progress::Progress;
use ::backfill::{Credentials, Delivered, Flavor, Jira, QueueSink, Report, Sink, jql};
use chrono::NaiveDate;
use domain::IssueEvent;

use crate::feed::{Feeder, Summary};

/// `--flavor`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FlavorArg {
    Auto,
    Cloud,
    Datacenter,
}

impl From<FlavorArg> for Option<Flavor> {
    fn from(f: FlavorArg) -> Option<Flavor> {
        match f {
            FlavorArg::Auto => None,
            FlavorArg::Cloud => Some(Flavor::Cloud),
            FlavorArg::Datacenter => Some(Flavor::DataCenter),
        }
    }
}

/// What `artflow backfill` was asked.
pub struct Options {
    pub jira_url: String,
    pub jql: String,
    pub since: Option<NaiveDate>,
    /// `None`: decided from the host.
    pub flavor: Option<Flavor>,
    pub page_size: u32,
    pub queue_url: Option<String>,
}

/// The database in-process, through import's batches.
struct DbSink<'a> {
    feeder: Feeder<'a>,
}

impl Sink for DbSink<'_> {
    async fn deliver(
        &mut self,
        events: Vec<(String, IssueEvent)>,
    ) -> Result<(), ::backfill::Error> {
        let refused = |e: anyhow::Error| ::backfill::Error::Sink(format!("{e:#}"));
        for (label, event) in events {
            self.feeder.push(label, event).await.map_err(refused)?;
        }
        self.feeder.flush().await.map_err(refused)
    }

    fn delivered(&self) -> Delivered {
        let s = self.feeder.summary();
        Delivered {
            applied: s.applied as u64,
            duplicates: s.duplicates as u64,
            queued: 0,
            failed: s.failed.len() as u64,
        }
    }
}

/// Runs the backfill; connects to `database_url` only when the events go to the database.
pub async fn run(database_url: &str, opts: Options) -> anyhow::Result<ExitCode> {
    let credentials = Credentials::from_env().await?;
    let jira = Jira::new(&opts.jira_url, opts.flavor, &credentials)?;
    let query = match opts.since {
        Some(day) => jql::since(&opts.jql, day),
        None => opts.jql.clone(),
    };
    eprintln!(
        "backfill from {} (Jira {}): {}",
        jira.base(),
        jira.flavor().name(),
        jql::ordered(&query)
    );
    let mut progress = Progress::stderr();
    match &opts.queue_url {
        Some(queue_url) => {
            let client = crate::worker::Worker::client_from_env().await;
            let queue = ingest::SqsQueue::new(client, queue_url.clone());
            queue.check().await?;
            let mut sink = QueueSink::new(std::sync::Arc::new(queue));
            let report = ::backfill::backfill(&jira, &query, opts.page_size, &mut sink, |c| {
                progress.update(c)
            })
            .await;
            progress.finish();
            let report = report?;
            print_report(&report, jira.base(), Some(queue_url), &[]);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let db = crate::db::connect(database_url).await?;
            let mut sink = DbSink {
                feeder: Feeder::new(&db, Summary::default()).quiet(),
            };
            let report = ::backfill::backfill(&jira, &query, opts.page_size, &mut sink, |c| {
                progress.update(c)
            })
            .await;
            progress.finish();
            let report = report?;
            let summary = sink.feeder.finish().await?;
            print_report(&report, jira.base(), None, &summary.failed);
            Ok(if summary.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The closing summary, in the shape of import's.
fn print_report(
    report: &Report,
    site: &str,
    queue_url: Option<&String>,
    failed: &[(String, String)],
) {
    let c = &report.counts;
    let delivered = match queue_url {
        Some(url) => format!("{} queued on {url}", c.delivered.queued),
        None => format!(
            "{} applied, {} duplicates",
            c.delivered.applied, c.delivered.duplicates
        ),
    };
    println!(
        "{} page(s) from {site}, {} issues, {} events: {delivered}, {} skipped, {} failed",
        c.pages,
        c.issues,
        c.events,
        report.skipped.len(),
        failed.len()
    );
    if c.changelogs > 0 {
        println!(
            "  {} changelog(s) longer than the search gave were fetched whole",
            c.changelogs
        );
    }
    for (what, why) in &report.skipped {
        println!("  skipped {what}: {why}");
    }
    for (what, why) in failed {
        println!("  failed {what}: {why}");
    }
    for key in &report.incomplete {
        println!(
            "  history incomplete: {key} (Jira did not give its whole changelog; its start \
             counts as unknown if its earliest known status is past the start)"
        );
    }
}

/// `--since`: a day as `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|e| format!("{s:?} is not a date YYYY-MM-DD ({e})"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_for_since_are_checked() {
        assert!(super::parse_day("2024-03-01").is_ok());
        let err = super::parse_day("03/01/2024").unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
}
