//! Ingest: the front door of artflow. Jira's webhooks arrive at `POST /webhooks/jira`; each is
//! verified (HMAC signature or shared token), normalized by the domain into a small
//! `IssueEvent`, and put on a [`Queue`] (SQS on AWS, the processor in-process for
//! `artflow serve`). It answers 202 only once the event is durably queued, so nothing accepted is
//! lost; a body that can never succeed gets a 4xx naming the problem, never a 5xx that would make
//! Jira retry it for an hour.
//!
//! [`router`] serves both `lambda_http::run` (the Lambda binary) and `axum::serve`.

pub mod auth;
pub mod http;
pub mod queue;

pub use auth::{Auth, AuthError};
pub use http::{DEFAULT_BODY_LIMIT, IngestState, lambda_router, router};
pub use queue::{Queue, QueueError, SqsQueue, sqs_error};
