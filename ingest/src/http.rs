//! `POST /webhooks/jira` and `GET /healthz`, as one axum router for Lambda and for
//! `artflow serve`. Answers (DESIGN.md, "HTTP"): 202 queued, 200 ignored, 400 malformed,
//! 401 unauthenticated, 413 too large, 415 not JSON, 503 queue unavailable.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{Webhook, parse_webhook};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Auth;
use crate::queue::Queue;

/// Default largest body accepted: Jira bodies with long descriptions and many comments reach
/// several megabytes. (On Lambda, API Gateway's 6 MB invoke limit is lower.)
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct IngestState {
    pub queue: Arc<dyn Queue>,
    pub auth: Arc<Auth>,
    pub body_limit: usize,
}

impl IngestState {
    pub fn new(queue: Arc<dyn Queue>, auth: Auth) -> IngestState {
        IngestState {
            queue,
            auth: Arc::new(auth),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// The ingest routes, with `GET /healthz`.
pub fn router(state: IngestState) -> Router {
    with_fallbacks(with_health(routes(state)), HINT)
}

fn with_health(router: Router) -> Router {
    router.route("/healthz", get(healthz))
}

const HINT: &str = "webhooks go to POST /webhooks/jira";

/// `POST /webhooks/jira` alone, to be merged with other routes (`artflow serve`).
pub fn routes(state: IngestState) -> Router {
    Router::new()
        .route("/webhooks/jira", post(receive))
        .with_state(state)
}

/// JSON errors for unknown routes and methods, like every other error; `hint` says where to go.
pub fn with_fallbacks(router: Router, hint: &'static str) -> Router {
    router
        .fallback(move |uri: axum::http::Uri| async move {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no route {}; {hint}", shorten(uri.path())),
            )
        })
        .method_not_allowed_fallback(method_not_allowed)
}

/// The routes as a Lambda behind API Gateway sees them: a REST API puts its stage in front of
/// the path (`/prod/webhooks/jira`), an HTTP API's `$default` stage does not; both are served.
pub fn staged(routes: Router) -> Router {
    Router::new().merge(routes.clone()).nest("/{stage}", routes)
}

/// The ingest routes for Lambda (see [`staged`]).
pub fn lambda_router(state: IngestState) -> Router {
    with_fallbacks(staged(with_health(routes(state))), HINT)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", shorten(uri.path())),
    )
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The most characters of a request's own text (a path, a parameter) an error message repeats.
pub const ECHO_CHARS: usize = 64;

/// User input as an error message repeats it: its first [`ECHO_CHARS`] characters, and `…` when
/// there were more (a 20 KB path is not sent back whole).
pub fn shorten(input: &str) -> std::borrow::Cow<'_, str> {
    match input.char_indices().nth(ECHO_CHARS) {
        None => std::borrow::Cow::Borrowed(input),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &input[..cut])),
    }
}

/// A JSON error body: `{"error": {"code", "message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

async fn receive(
    State(state): State<IngestState>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let delivery_header = header_str(&headers, "x-atlassian-webhook-identifier");
    let retry = header_str(&headers, "x-atlassian-webhook-retry");
    let answer = handle(&state, &query, &headers, body).await;
    let (status, outcome, delivery, key, kind) = match &answer {
        Ok(done) => (
            done.status,
            done.outcome,
            done.delivery.as_str(),
            done.key.as_str(),
            done.kind,
        ),
        Err(e) => (e.status, e.code, delivery_header.unwrap_or("-"), "-", "-"),
    };
    tracing::info!(
        delivery_id = delivery,
        issue_key = key,
        event_kind = kind,
        outcome,
        status = status.as_u16(),
        retry = retry.unwrap_or("0"),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "webhook"
    );
    match answer {
        Ok(done) => (done.status, Json(done.body)).into_response(),
        Err(e) => error(e.status, e.code, e.message),
    }
}

struct Done {
    status: StatusCode,
    outcome: &'static str,
    delivery: String,
    key: String,
    kind: &'static str,
    body: serde_json::Value,
}

struct Refused {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        status,
        code,
        message: message.into(),
    }
}

async fn handle(
    state: &IngestState,
    query: &TokenQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<Done, Refused> {
    match header_str(headers, header::CONTENT_TYPE.as_str()) {
        Some(ct) if is_json(ct) => {}
        Some(ct) => {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Content-Type {ct:?} is not JSON; send application/json"),
            ));
        }
        None => {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "no Content-Type; send application/json",
            ));
        }
    }
    let bytes: Bytes = axum::body::to_bytes(body, state.body_limit)
        .await
        .map_err(|_| {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} bytes", state.body_limit),
            )
        })?;
    let token = header_str(headers, "x-artflow-token").or(query.token.as_deref());
    state
        .auth
        .check(header_str(headers, "x-hub-signature"), token, &bytes)
        .map_err(|e| refuse(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()))?;

    let delivery_header = header_str(headers, "x-atlassian-webhook-identifier");
    let event = match parse_webhook(&bytes, delivery_header) {
        Ok(Webhook::Event(e)) => e,
        Ok(Webhook::Ignored(reason)) => {
            return Ok(Done {
                status: StatusCode::OK,
                outcome: "ignored",
                delivery: domain::jira::delivery_id(delivery_header, &bytes),
                key: "-".into(),
                kind: "-",
                body: json!({"status": "ignored", "reason": reason}),
            });
        }
        Err(bad) => return Err(refuse(StatusCode::BAD_REQUEST, "malformed", bad.0)),
    };
    event
        .validate()
        .map_err(|why| refuse(StatusCode::BAD_REQUEST, "malformed", why))?;
    state.queue.enqueue(&event).await.map_err(|e| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "queue_unavailable",
            format!("the event could not be queued; retry later ({e})"),
        )
    })?;
    let kind = match event.kind {
        domain::EventKind::Created => "created",
        domain::EventKind::Updated => "updated",
        domain::EventKind::Deleted => "deleted",
    };
    Ok(Done {
        status: StatusCode::ACCEPTED,
        outcome: "queued",
        body: json!({"status": "queued", "delivery_id": event.delivery_id}),
        delivery: event.delivery_id,
        key: event.issue.key,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_input_and_cuts_long_input_on_a_character() {
        assert_eq!(shorten("PAY"), "PAY");
        let exact = "x".repeat(ECHO_CHARS);
        assert_eq!(shorten(&exact), exact.as_str());
        let long = "é".repeat(20_000);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), ECHO_CHARS + 1);
        assert!(cut.ends_with("é…"));
    }
}
