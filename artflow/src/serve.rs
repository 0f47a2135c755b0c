//! `artflow serve` as one router: ingest's `POST /webhooks/jira` beside the read API and the
//! dashboard, with one set of JSON fallbacks.

use axum::Router;

use crate::local::LocalQueue;

/// The whole service on one machine.
pub fn router(ingest: ingest::IngestState, api: api::ApiState) -> Router {
    api::http::finish(
        ingest::http::routes(ingest).merge(api::routes(api.clone())),
        api,
    )
}

/// The local queue of `artflow serve`: applies each webhook before answering, and makes the next
/// read see it.
pub fn local_queue(api: &api::ApiState) -> LocalQueue {
    let reads = api.clone();
    LocalQueue::new(api.db.clone()).on_applied(move || reads.invalidate())
}
