//! The processor: applies batches of `IssueEvent`s to the store and keeps every pipeline
//! configuration's aggregates exact.
//!
//! Its place in the flow: ingest (or `artflow import`/`replay`) produces events; [`apply_batch`]
//! stores each issue's latest snapshot and its status transitions, recomputes the facts of the
//! issues the batch touched under every configuration that covers them, and moves the
//! per-configuration aggregates and today's history row by the difference. [`catalog`] writes the
//! configuration and recomputes a configuration from the stored issues when its rule changes.

pub mod apply;
pub mod catalog;
pub mod dbconfig;
pub mod retry;
pub mod sqs;
pub mod store;

pub use apply::{BatchReport, EventResult, apply_batch};
pub use catalog::{
    ApplyConfigReport, Change, apply_config, preview_config, prune_deliveries, rebuild,
};
pub use retry::with_retry;

/// A failure of the store as a whole (not of one event): the batch is not applied.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
}
