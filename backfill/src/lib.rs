//! Backfill: Jira's search API as a source of `IssueEvent`s, beside the webhooks.
//!
//! Its place in the flow: webhooks carry each change as it happens, but Jira Data Center does
//! not retry a webhook that failed, Cloud retries for an hour only, a body above Lambda's 6 MB
//! limit never arrives, and history from before the webhook was registered never comes at all.
//! A backfill pages through a JQL search with `expand=changelog` ([`jira`]), completes any
//! changelog the search cut short, turns each issue into the events `artflow import` makes of it
//! (`domain::import_issue`, with the same `import:…` delivery ids, so running it again, or after
//! an import, changes nothing) and hands them to a [`run::Sink`]: the database in-process
//! (`artflow backfill`) or the SQS queue the processor consumes (`artflow backfill --queue-url`,
//! and the scheduled [`reconcile`] Lambda, which re-reads the last N minutes of every configured
//! ART's projects to heal missed webhooks).

pub mod credentials;
pub mod http;
pub mod jira;
pub mod jql;
pub mod progress;
pub mod reconcile;
pub mod run;

pub use credentials::Credentials;
pub use jira::{Cursor, Flavor, Jira};
pub use run::{Counts, Delivered, QueueSink, Report, Sink, backfill};

/// Issues asked for per search page unless told otherwise (Jira's own default).
pub const DEFAULT_PAGE_SIZE: u32 = 50;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad argument or setting (URL, JQL, flavor, number).
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Credentials(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// Jira answered with an error status that retrying will not change.
    #[error("Jira answered {status} to GET {url}: {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    /// Jira asked us to slow down (429) or was unavailable (503): retried (see [`Error::GaveUp`]).
    #[error("Jira answered {status} to GET {url}: {message}")]
    Busy {
        url: String,
        status: u16,
        retry_after: Option<std::time::Duration>,
        message: String,
    },
    /// Jira kept answering 429 or 503 through every try the retry policy allows, or for longer
    /// than the client's patience.
    #[error(
        "Jira answered {status} to GET {url} on each of {attempts} tries over {seconds} s; \
         giving up (run again later): {message}"
    )]
    GaveUp {
        url: String,
        status: u16,
        attempts: u32,
        seconds: u64,
        message: String,
    },
    #[error("Jira's answer to GET {url} is not what was expected: {reason}")]
    BadAnswer { url: String, reason: String },
    /// The database or the queue refused the events.
    #[error("{0}")]
    Sink(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}
