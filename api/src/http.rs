//! The read routes (and `PUT /admin/config`) as one axum router, for the api Lambda and for
//! `artflow serve`. Every read answers with an ETag and 304 to a matching `If-None-Match`; the
//! per-ART responses are cached in memory, keyed by the ART's data version (see [`crate::cache`]).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use domain::Outcome;
use ingest::http::{error, shorten};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::cache::{Cache, Cached};
use crate::read::{self, ReadError};

/// Who may do what, and how fresh cached answers must be.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    /// When set, every data read needs `Authorization: Bearer <token>`.
    pub read_token: Option<String>,
    /// When set, `PUT /admin/config` accepts `Authorization: Bearer <token>`; without it the
    /// route is disabled.
    pub admin_token: Option<String>,
    /// Origins allowed to read from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// How long a data version read from the database is trusted before it is read again.
    pub freshness: std::time::Duration,
}

impl ApiSettings {
    pub const DEFAULT_FRESHNESS: std::time::Duration = std::time::Duration::from_millis(1000);
}

#[derive(Clone)]
pub struct ApiState {
    pub db: DatabaseConnection,
    settings: Arc<ApiSettings>,
    cache: Arc<Cache>,
}

impl ApiState {
    pub fn new(db: DatabaseConnection, settings: ApiSettings) -> ApiState {
        ApiState {
            cache: Arc::new(Cache::new(settings.freshness)),
            settings: Arc::new(settings),
            db,
        }
    }

    /// Makes the next read look at the database's data version again (after a local write).
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }
}

/// The read routes and the dashboard, with JSON fallbacks.
pub fn router(state: ApiState) -> Router {
    finish(routes(state.clone()), state)
}

/// The same for Lambda behind API Gateway (with or without a stage prefix).
pub fn lambda_router(state: ApiState) -> Router {
    // Behind a stage the page is at `/{stage}/` (its links are relative).
    let staged = ingest::http::staged(routes(state.clone()))
        .route("/{stage}/", get(crate::dashboard::index));
    finish(staged, state)
}

/// Completes a router holding [`routes`]: JSON fallbacks for unknown routes and methods, and
/// CORS around everything (preflights included), as the last layer.
pub fn finish(router: Router, state: ApiState) -> Router {
    ingest::http::with_fallbacks(router, "the API is described at GET /openapi.json")
        .layer(middleware::from_fn_with_state(state, cors))
}

/// The routes without fallbacks, to be merged with ingest's (`artflow serve`); see [`finish`].
pub fn routes(state: ApiState) -> Router {
    let data = Router::new()
        .route("/arts", get(arts))
        .route("/arts/{abbr}", get(art))
        .route("/arts/{abbr}/pipeline-efficiency", get(efficiency))
        .route("/arts/{abbr}/pipeline-efficiency/history", get(history))
        .route("/arts/{abbr}/issues", get(issues))
        .route("/arts/{abbr}/data-quality", get(data_quality))
        .route("/issues/{key}/timeline", get(timeline))
        .route("/configs", get(configs))
        .route("/art", get(legacy_arts))
        .route("/config", get(legacy_configs))
        .route("/art/{abbr}/pipeline/efficiency", get(legacy_efficiency))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_read_token,
        ));
    Router::new()
        .merge(data)
        .route("/admin/config", put(admin_config))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .merge(crate::dashboard::routes())
        .with_state(state)
}

/// Path parameters by name: behind a REST API's stage (`/{stage}/...`) there is one more.
#[derive(Deserialize)]
struct ArtPath {
    abbr: String,
}

#[derive(Deserialize)]
struct IssuePath {
    key: String,
}

/// A failed read as its HTTP answer.
struct ApiError(Box<Response>);

impl ApiError {
    fn new(response: Response) -> ApiError {
        ApiError(Box::new(response))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> ApiError {
        let (status, code) = match &e {
            ReadError::UnknownArt(_) => (StatusCode::NOT_FOUND, "unknown_art"),
            ReadError::UnknownIssue(_) => (StatusCode::NOT_FOUND, "unknown_issue"),
            ReadError::UnknownConfig { .. } => (StatusCode::BAD_REQUEST, "unknown_config"),
            ReadError::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            ReadError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "corrupt_store"),
            ReadError::Db(_) => (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "read failed");
        }
        ApiError::new(error(status, code, e.to_string()))
    }
}

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(error(StatusCode::BAD_REQUEST, "bad_query", message))
}

type ApiResult = Result<Response, ApiError>;

/// The query parameters, or a JSON 400 naming the bad one.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q).map_err(|e| {
        // serde names the parameter it refused: the message stays short whatever it was.
        let text = e.body_text();
        let text: String = match text.char_indices().nth(4 * ingest::http::ECHO_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        };
        bad_query(format!("bad query parameters: {text}"))
    })
}

/// The error body every failure has.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    /// A stable code, e.g. `unknown_art`, `bad_query`.
    code: String,
    /// What is wrong, in words.
    message: String,
}

/// The answer to a GET: 304 when the client has this version, else the body; always with the
/// ETag and `Cache-Control: no-cache` (clients revalidate every time, cheaply).
pub fn respond(headers: &HeaderMap, entry: &Cached) -> Response {
    let mut resp = if etag_matches(headers, &entry.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(entry.body.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(entry.content_type),
        );
        r
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&entry.etag) {
        h.insert(header::ETAG, v);
    }
    // A CSV page's body is only rows: its next cursor travels in a header.
    if let Some(v) = entry
        .next_cursor
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        h.insert("x-next-cursor", v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = strip(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == ours)
}

fn json_entry<T: Serialize>(value: &T) -> Cached {
    Cached::new(
        Bytes::from(serde_json::to_vec(value).expect("responses serialize")),
        "application/json",
    )
}

/// The cache key of a request: its path and query, as sent.
fn key_of(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned())
}

/// A read of the whole store (every ART): cached under the store-wide version.
async fn global<F, Fut>(
    state: &ApiState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    f: F,
) -> ApiResult
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = Result<Cached, ReadError>>,
{
    let versions = state.cache.versions(&state.db).await?;
    let entry = state
        .cache
        .get_or_compute(key_of(uri), versions.global, || f(state.db.clone()))
        .await?;
    Ok(respond(headers, &entry))
}

/// A read of one ART: a JSON 404 when no ART has the abbreviation; cached under the ART's
/// version.
async fn per_art<F, Fut>(
    state: &ApiState,
    abbr: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    f: F,
) -> ApiResult
where
    F: FnOnce(DatabaseConnection, entities::art::Model) -> Fut,
    Fut: std::future::Future<Output = Result<Cached, ReadError>>,
{
    let Some(version) = state.cache.art_version(&state.db, abbr).await? else {
        return Err(ReadError::UnknownArt(shorten(abbr).into_owned()).into());
    };
    let db = state.db.clone();
    let abbr = abbr.to_owned();
    // The ages of work in progress move on by the hour: so does the key.
    let key = format!("{}@{}", key_of(uri), read::aging_as_of(chrono::Utc::now()));
    let entry = state
        .cache
        .get_or_compute(key, version, || async move {
            let art = read::find_art(&db, &abbr).await?;
            f(db, art).await
        })
        .await?;
    Ok(respond(headers, &entry))
}

#[utoipa::path(get, path = "/arts", tag = "arts",
    responses((status = 200, description = "Every ART with its configuration codes", body = read::ArtList)))]
async fn arts(
    State(state): State<ApiState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    global(&state, &uri, &headers, |db| async move {
        Ok(json_entry(&read::art_list(&db).await?))
    })
    .await
}

#[utoipa::path(get, path = "/arts/{abbr}", tag = "arts",
    params(("abbr" = String, Path, description = "The ART's abbreviation (case-insensitive)")),
    responses((status = 200, body = read::ArtDetail), (status = 404, body = ErrorBody)))]
async fn art(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    per_art(&state, &abbr, &uri, &headers, |db, art| async move {
        Ok(json_entry(&read::art_detail(&db, &art).await?))
    })
    .await
}

#[utoipa::path(get, path = "/configs", tag = "arts",
    responses((status = 200, body = read::ConfigList)))]
async fn configs(
    State(state): State<ApiState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    global(&state, &uri, &headers, |db| async move {
        Ok(json_entry(&read::config_list(&db).await?))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EfficiencyQuery {
    /// Only issues completed on or after this UTC day (`YYYY-MM-DD`).
    completed_from: Option<String>,
    /// Only issues completed on or before this UTC day.
    completed_to: Option<String>,
}

fn window(from: Option<&str>, to: Option<&str>) -> Result<read::Window, ApiError> {
    let window = read::Window {
        from: from
            .map(|d| read::parse_day("completed_from", d))
            .transpose()?,
        to: to.map(|d| read::parse_day("completed_to", d)).transpose()?,
    };
    window.check()?;
    Ok(window)
}

#[utoipa::path(get, path = "/arts/{abbr}/pipeline-efficiency", tag = "figures",
    params(("abbr" = String, Path, description = "The ART's abbreviation"), EfficiencyQuery),
    responses((status = 200, description = "The current figures of each configuration, or those of the issues completed in a window", body = read::Efficiency),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, body = ErrorBody)))]
async fn efficiency(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    q: Result<Query<EfficiencyQuery>, QueryRejection>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    let q = query(q)?;
    let window = window(q.completed_from.as_deref(), q.completed_to.as_deref())?;
    per_art(&state, &abbr, &uri, &headers, |db, art| async move {
        Ok(json_entry(&read::efficiency(&db, &art, window).await?))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// First UTC day (`YYYY-MM-DD`); default 90 days before `to`.
    from: Option<String>,
    /// Last UTC day, inclusive; default today.
    to: Option<String>,
    /// Only this configuration.
    config: Option<String>,
}

#[utoipa::path(get, path = "/arts/{abbr}/pipeline-efficiency/history", tag = "figures",
    params(("abbr" = String, Path, description = "The ART's abbreviation"), HistoryQuery),
    responses((status = 200, description = "The figures at the end of each UTC day", body = read::History),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn history(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    q: Result<Query<HistoryQuery>, QueryRejection>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    let q = query(q)?;
    let to = match &q.to {
        Some(t) => read::parse_day("to", t)?,
        None => Utc::now().date_naive(),
    };
    let from = match &q.from {
        Some(f) => read::parse_day("from", f)?,
        None => to - Duration::days(90),
    };
    per_art(&state, &abbr, &uri, &headers, |db, art| async move {
        Ok(json_entry(
            &read::history(&db, &art, from, to, q.config.as_deref()).await?,
        ))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct IssuesQuery {
    /// The configuration's code (required).
    config: Option<String>,
    /// Completed on or after this UTC day.
    completed_from: Option<String>,
    /// Completed on or before this UTC day.
    completed_to: Option<String>,
    /// Only this outcome, in any letter case: `counted`, `never_active`, `unknown_start`,
    /// `in_progress`, `not_started`, `invalid`, `below_threshold` or `cancelled`.
    outcome: Option<String>,
    /// Page size: 1 to 10000; default 500 (JSON) or everything (CSV).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

const MAX_PAGE: u64 = 10_000;
const DEFAULT_PAGE: u64 = 500;

#[utoipa::path(get, path = "/arts/{abbr}/issues", tag = "issues",
    params(("abbr" = String, Path, description = "The ART's abbreviation"), IssuesQuery),
    responses((status = 200, description = "One page of the configuration's issues (JSON, or CSV with format=csv; then the next cursor is in X-Next-Cursor)", body = read::IssuePage),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn issues(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    q: Result<Query<IssuesQuery>, QueryRejection>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    let q = query(q)?;
    let Some(code) = q.config.clone() else {
        return Err(bad_query(
            "config is required: the code of one of the ART's configurations (GET /arts/{abbr} lists them)",
        ));
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(bad_query(format!(
                "format={:?}: use json or csv",
                shorten(other)
            )));
        }
    };
    let limit = match &q.limit {
        None => (!csv).then_some(DEFAULT_PAGE),
        Some(l) => match l.parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Some(n),
            _ => {
                return Err(bad_query(format!(
                    "limit={:?}: give a number from 1 to {MAX_PAGE}",
                    shorten(l)
                )));
            }
        },
    };
    let outcome = match &q.outcome {
        None => None,
        Some(o) => Some(Outcome::parse_any_case(o).ok_or_else(|| {
            bad_query(format!(
                "outcome={:?} is not an outcome (any letter case: {})",
                shorten(o),
                Outcome::names()
            ))
        })?),
    };
    let filter = read::IssueFilter {
        window: window(q.completed_from.as_deref(), q.completed_to.as_deref())?,
        outcome,
        limit,
        cursor: q.cursor.clone(),
    };
    per_art(&state, &abbr, &uri, &headers, |db, art| async move {
        let config = read::find_config(&db, &art, &code).await?;
        let page = read::issues(&db, &art, &config, &filter).await?;
        Ok(if csv {
            let mut entry = Cached::new(
                Bytes::from(crate::csv::issues(&page)),
                "text/csv; charset=utf-8",
            );
            entry.next_cursor = page.next_cursor;
            entry
        } else {
            json_entry(&page)
        })
    })
    .await
}

#[utoipa::path(get, path = "/arts/{abbr}/data-quality", tag = "figures",
    params(("abbr" = String, Path, description = "The ART's abbreviation")),
    responses((status = 200, description = "Per configuration: unmapped statuses, issues done without a known start, end before start, unreadable values, never-active completions; and the projects no ART owns", body = read::DataQuality),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, body = ErrorBody)))]
async fn data_quality(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    headers: HeaderMap,
) -> ApiResult {
    // Not cached: an unmapped status or an issue of a project no ART owns changes no ART's data
    // version, so the findings are read every time (the ETag, a hash of the body, still gives
    // 304s). The dashboard does not poll this route.
    let art = read::find_art(&state.db, &abbr).await?;
    let quality = read::data_quality(&state.db, &art).await?;
    Ok(respond(&headers, &json_entry(&quality)))
}

#[utoipa::path(get, path = "/issues/{key}/timeline", tag = "issues",
    params(("key" = String, Path, description = "The issue's current key, e.g. UT-41")),
    responses((status = 200, description = "Its stored transitions and its outcome under each configuration", body = read::Timelines),
        (status = 404, body = ErrorBody)))]
async fn timeline(
    State(state): State<ApiState>,
    Path(IssuePath { key }): Path<IssuePath>,
    headers: HeaderMap,
) -> ApiResult {
    // Issues no ART owns change no ART's version, so a timeline is read every time.
    let t = read::timeline(&state.db, &key).await?;
    Ok(respond(&headers, &json_entry(&t)))
}

/// The health check's answer.
#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is up (no token needed, no database read)", body = Health)))]
async fn healthz() -> Response {
    ingest::http::healthz().await.into_response()
}

#[utoipa::path(get, path = "/art", tag = "old job",
    responses((status = 200, description = "The old job's ART list", body = [read::LegacyArt])))]
async fn legacy_arts(
    State(state): State<ApiState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    global(&state, &uri, &headers, |db| async move {
        Ok(json_entry(&read::legacy_arts(&db).await?))
    })
    .await
}

#[utoipa::path(get, path = "/config", tag = "old job",
    responses((status = 200, description = "The old job's configuration list", body = [read::LegacyConfig])))]
async fn legacy_configs(
    State(state): State<ApiState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    global(&state, &uri, &headers, |db| async move {
        Ok(json_entry(&read::legacy_configs(&db).await?))
    })
    .await
}

#[utoipa::path(get, path = "/art/{abbr}/pipeline/efficiency", tag = "old job",
    params(("abbr" = String, Path, description = "The ART's abbreviation")),
    responses((status = 200, description = "One row per configuration and day, with the old job's field names", body = [read::LegacyEfficiency]),
        (status = 404, body = ErrorBody)))]
async fn legacy_efficiency(
    State(state): State<ApiState>,
    Path(ArtPath { abbr }): Path<ArtPath>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult {
    per_art(&state, &abbr, &uri, &headers, |db, art| async move {
        Ok(json_entry(&read::legacy_efficiency(&db, &art).await?))
    })
    .await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

fn token_ok(expected: &str, headers: &HeaderMap) -> bool {
    bearer(headers)
        .is_some_and(|given| ingest::auth::constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

fn unauthorized(message: &str) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

async fn require_read_token(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    if let Some(expected) = &state.settings.read_token
        && !token_ok(expected, req.headers())
    {
        return unauthorized(
            "this API needs Authorization: Bearer <read token> (missing or wrong)",
        );
    }
    next.run(req).await
}

/// CORS for the configured origins only (none by default): reads and their preflights.
async fn cors(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| state.settings.cors_origins.iter().any(|a| a == o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut resp = if preflight {
        match &origin {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => error(
                StatusCode::FORBIDDEN,
                "cors_origin_not_allowed",
                "this origin may not read the API (see --cors-origin)",
            ),
        }
    } else {
        next.run(req).await
    };
    if let Some(origin) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.append(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, X-Next-Cursor"),
        );
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, If-None-Match"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    resp
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AdminConfigQuery {
    /// Also remove the ARTs and configurations the file does not list.
    #[serde(default)]
    prune: bool,
    /// Change nothing: answer what applying the configuration would do.
    #[serde(default)]
    dry_run: bool,
}

/// What `PUT /admin/config` did (with `dry_run=true`: would do).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppliedConfig {
    /// True when nothing was changed (`dry_run=true`): the changes are those applying would make.
    #[serde(default)]
    pub dry_run: bool,
    /// What happened to each ART and configuration, in file order (removals first).
    pub changes: Vec<AppliedChange>,
    /// Configurations recomputed from the stored issues (or that would be).
    pub recomputed: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppliedChange {
    /// `ART PAY` or `pipeline PAY-FLOW`.
    pub what: String,
    /// `added`, `changed`, `unchanged` or `removed`.
    pub change: String,
    /// What changed, for `changed`.
    pub detail: Option<String>,
}

impl AppliedConfig {
    pub fn of(report: &processor::ApplyConfigReport) -> AppliedConfig {
        use processor::Change;
        AppliedConfig {
            dry_run: false,
            changes: report
                .entries
                .iter()
                .map(|(what, change)| {
                    let (change, detail) = match change {
                        Change::Added => ("added", None),
                        Change::Changed(how) => ("changed", Some(how.clone())),
                        Change::Unchanged => ("unchanged", None),
                        Change::Removed => ("removed", None),
                    };
                    AppliedChange {
                        what: what.clone(),
                        change: change.into(),
                        detail,
                    }
                })
                .collect(),
            recomputed: report.recomputed.clone(),
        }
    }
}

/// The largest configuration accepted.
const CONFIG_LIMIT: usize = 1024 * 1024;

#[utoipa::path(put, path = "/admin/config", tag = "admin",
    params(AdminConfigQuery),
    request_body(content = String, content_type = "application/toml", description = "The TOML configuration (docs/example-artflow.toml)"),
    responses((status = 200, description = "Applied (idempotent), or with dry_run=true what applying would do", body = AppliedConfig),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("admin_token" = [])))]
async fn admin_config(
    State(state): State<ApiState>,
    q: Result<Query<AdminConfigQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let Some(expected) = &state.settings.admin_token else {
        return Err(ApiError::new(error(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "the admin route is disabled: no admin token is configured",
        )));
    };
    if !token_ok(expected, &headers) {
        return Err(ApiError::new(unauthorized(
            "PUT /admin/config needs Authorization: Bearer <admin token> (missing or wrong)",
        )));
    }
    let q = query(q)?;
    let bytes = axum::body::to_bytes(body, CONFIG_LIMIT)
        .await
        .map_err(|_| {
            ApiError::new(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the configuration is larger than {CONFIG_LIMIT} bytes"),
            ))
        })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ApiError::new(error(
            StatusCode::BAD_REQUEST,
            "bad_config",
            "the body is not UTF-8 text",
        ))
    })?;
    let config = domain::parse_config("the request body", text.trim_start_matches('\u{feff}'))
        .map_err(|e| ApiError::new(error(StatusCode::BAD_REQUEST, "bad_config", e.to_string())))?;
    let report = if q.dry_run {
        processor::preview_config(&state.db, &config, q.prune, Utc::now()).await
    } else {
        processor::apply_config(&state.db, &config, q.prune, Utc::now()).await
    };
    let report = report.map_err(|e| match e {
        // A configuration the store refuses (a project another ART owns): the sender's to fix.
        processor::ProcessError::Invalid(message) => {
            ApiError::new(error(StatusCode::BAD_REQUEST, "bad_config", message))
        }
        e => {
            tracing::error!(error = %e, "admin config apply failed");
            ApiError::new(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!("the configuration could not be applied: {e}"),
            ))
        }
    })?;
    if q.dry_run {
        tracing::info!(prune = q.prune, "configuration previewed (dry run)");
        let mut answer = AppliedConfig::of(&report);
        answer.dry_run = true;
        return Ok(Json(answer).into_response());
    }
    state.invalidate();
    tracing::info!(prune = q.prune, recomputed = ?report.recomputed, "configuration applied");
    Ok(Json(AppliedConfig::of(&report)).into_response())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "artflow",
        description = "Pipeline-efficiency figures per Agile Release Train, kept current from Jira webhooks. Every GET answers with an ETag and 304 to a matching If-None-Match. Errors are {\"error\": {\"code\", \"message\"}}."
    ),
    paths(
        arts,
        art,
        configs,
        efficiency,
        history,
        issues,
        data_quality,
        timeline,
        legacy_arts,
        legacy_configs,
        legacy_efficiency,
        admin_config,
        healthz,
        openapi
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The OpenAPI document, generated from the handlers and types above.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "This OpenAPI document (no token needed)", content_type = "application/json"),
        (status = 304, description = "Not modified since the ETag in If-None-Match")))]
async fn openapi(headers: HeaderMap) -> Response {
    static DOC: std::sync::OnceLock<Cached> = std::sync::OnceLock::new();
    let entry = DOC.get_or_init(|| {
        Cached::new(
            Bytes::from(
                openapi_document()
                    .to_pretty_json()
                    .expect("the OpenAPI document serializes"),
            ),
            "application/json",
        )
    });
    respond(&headers, entry)
}

/// A CORS origin as browsers send it in `Origin`: `scheme://host[:port]`, no path. A trailing
/// slash is dropped (`https://dash.example.com/` would otherwise never match); `*`, a path or a
/// missing scheme is refused.
pub fn cors_origin(value: &str) -> Result<String, String> {
    let v = value.trim();
    if v == "*" {
        return Err(
            "`*` would let every web page read the figures: name each origin, e.g. \
                    https://dash.example.com"
                .into(),
        );
    }
    let v = v.strip_suffix('/').unwrap_or(v);
    let Some((scheme, rest)) = v.split_once("://") else {
        return Err(format!(
            "{value:?} is not an origin: write scheme://host[:port], e.g. https://dash.example.com"
        ));
    };
    if !matches!(scheme, "http" | "https")
        || rest.is_empty()
        || rest.contains(['/', '?', '#', '*', ' '])
    {
        return Err(format!(
            "{value:?} is not an origin: write scheme://host[:port] (http or https, no path), \
             e.g. https://dash.example.com"
        ));
    }
    // Browsers leave a scheme's default port out of `Origin`.
    let v = v.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    Ok(v.strip_suffix(default_port).unwrap_or(&v).to_owned())
}

#[cfg(test)]
mod tests {
    use super::cors_origin;

    #[test]
    fn origins_are_normalized_or_refused_with_the_form_to_write() {
        assert_eq!(
            cors_origin(" https://Dash.Example.com/ ").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(
            cors_origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(
            cors_origin("https://dash.example.com:443/").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(cors_origin("http://x:80").unwrap(), "http://x");
        assert_eq!(cors_origin("https://x:8443").unwrap(), "https://x:8443");
        for bad in [
            "*",
            "dash.example.com",
            "ftp://x",
            "https://x/path",
            "https://",
        ] {
            let e = cors_origin(bad).unwrap_err();
            assert!(e.contains("e.g. https://dash.example.com"), "{bad}: {e}");
        }
    }
}
