//! artflow's pure logic: the Jira model, the normalized `IssueEvent`, the pipeline configuration,
//! the lead-time rules and the aggregate arithmetic.
//!
//! Its place in the flow: ingest and import parse Jira's JSON here into `IssueEvent`s; the
//! processor evaluates the rules here over each issue's stored state and moves the aggregates by
//! the difference. No I/O, no async, no database: everything here is a plain function over plain
//! types, testable without a runtime.

pub mod aggregate;
pub mod config;
pub mod event;
pub mod jira;
pub mod rules;
pub mod sketch;
pub mod time;

pub use aggregate::{Aggregate, Contribution, Extreme};
pub use config::{
    Art, Config, ConfigError, Pipeline, PipelineSpec, Rule, StatusRule, parse_config,
};
pub use event::{Change, ChangeItem, EventKind, IssueEvent, IssueSnapshot, Transition};
pub use jira::{BadInput, ImportedIssue, Webhook, import_issue, parse_webhook, search_issues};
pub use rules::{Fact, IssueState, Outcome, evaluate};
pub use sketch::Sketch;
pub use time::{MS_PER_DAY, Millis};
