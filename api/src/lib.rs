//! The read side of artflow: what the processor stored, served to dashboards and scripts.
//!
//! Jira → ingest → SQS → processor → **api**: `router(state)` serves the per-ART figures, their
//! daily history, the issues behind them, an issue's timeline, the old job's routes with its field
//! names, the OpenAPI document and the dashboard; the same router runs in the api Lambda and in
//! `artflow serve`. `read` holds every query (`artflow report` uses it too); `cache` keeps
//! rendered responses per data version, so a poll costs no database work until data changes.

pub mod cache;
pub mod csv;
pub mod dashboard;
pub mod http;
pub mod migrate;
pub mod read;

pub use http::{
    ApiSettings, ApiState, AppliedConfig, lambda_router, openapi_document, router, routes,
};
