//! A stand-in for Jira's REST API in backfill tests, on port 0: recorded issues (read from
//! search responses at test time) served in both paging styles, with the quirks a backfill must
//! survive: one changelog cut short in the search answer and longer than a changelog page, one
//! 429 with `Retry-After: 1`, and credentials that are checked.
//!
//! - Cloud: `GET /rest/api/3/search/jql` (`nextPageToken`, `isLast`, no total; Basic auth) and
//!   `GET /rest/api/3/issue/{id}/changelog` (`values`, `isLast`, `total`; pages of at most
//!   [`CHANGELOG_PAGE`]).
//! - Data Center: `GET /rest/api/2/search` (`startAt`, `maxResults`, `total`; Bearer auth) and
//!   `GET /rest/api/2/issue/{id}?expand=changelog` (the whole changelog).
//!
//! Of the JQL it understands only `project in (...)` (it filters on `fields.project.key`); it
//! records every request, so tests check what was asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::support::TestServer;

/// The most histories one changelog page carries (Cloud's endpoint).
pub const CHANGELOG_PAGE: usize = 25;
/// How many histories of the cut issue the search answer carries.
pub const CUT_TO: usize = 10;

/// `Authorization` for Cloud: Basic base64("user@example.com:cloud-token").
pub const CLOUD_EMAIL: &str = "user@example.com";
pub const CLOUD_TOKEN: &str = "cloud-token";
const CLOUD_AUTH: &str = "Basic dXNlckBleGFtcGxlLmNvbTpjbG91ZC10b2tlbg==";
/// The Data Center personal access token.
pub const DC_PAT: &str = "dc-pat";

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path and query, as sent.
    pub uri: String,
    pub status: u16,
}

struct Inner {
    /// The issues as a search answers them (the cut one cut).
    issues: Vec<Value>,
    /// Every issue's whole changelog histories, by issue id.
    histories: HashMap<String, Vec<Value>>,
    /// The search request (1-based count) that gets one 429.
    throttle_search: Option<usize>,
    searches: Mutex<usize>,
    seen: Mutex<Vec<Seen>>,
}

#[derive(Clone)]
struct Jira(Arc<Inner>);

/// The running stand-in.
pub struct RecordedJira {
    pub server: TestServer,
    state: Jira,
    /// The key of the issue whose changelog the search cuts (`None` if no issue has more than
    /// a changelog page of history).
    pub cut: Option<String>,
}

/// The issues of search response documents, in order.
pub fn issues_of(docs: &[Value]) -> Vec<Value> {
    docs.iter()
        .flat_map(|d| d["issues"].as_array().cloned().unwrap_or_default())
        .collect()
}

impl RecordedJira {
    /// Serves `issues`; cuts the changelog of the one with the longest history (if longer than
    /// a changelog page) to [`CUT_TO`] histories; answers the `throttle_search`-th search
    /// request with a 429 once.
    pub async fn start(issues: Vec<Value>, throttle_search: Option<usize>) -> RecordedJira {
        let mut histories = HashMap::new();
        for issue in &issues {
            let id = issue["id"].as_str().unwrap_or_default().to_owned();
            let mut h = issue["changelog"]["histories"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            // The changelog endpoint answers oldest first; Jira's history ids grow with time.
            h.sort_by_key(|x| x["id"].as_str().and_then(|s| s.parse::<u64>().ok()));
            histories.insert(id, h);
        }
        let longest = issues
            .iter()
            .enumerate()
            .max_by_key(|(_, i)| i["changelog"]["histories"].as_array().map_or(0, Vec::len))
            .filter(|(_, i)| {
                i["changelog"]["histories"]
                    .as_array()
                    .is_some_and(|h| h.len() > CHANGELOG_PAGE)
            })
            .map(|(n, _)| n);
        let mut served = issues;
        let mut cut = None;
        if let Some(n) = longest {
            let issue = &mut served[n];
            let total = issue["changelog"]["histories"]
                .as_array()
                .map_or(0, Vec::len);
            let kept: Vec<Value> = issue["changelog"]["histories"]
                .as_array()
                .map(|h| h[..CUT_TO].to_vec())
                .unwrap_or_default();
            issue["changelog"] =
                json!({"startAt": 0, "maxResults": CUT_TO, "total": total, "histories": kept});
            cut = issue["key"].as_str().map(str::to_owned);
        }
        let state = Jira(Arc::new(Inner {
            issues: served,
            histories,
            throttle_search,
            searches: Mutex::new(0),
            seen: Mutex::new(Vec::new()),
        }));
        let router = axum::Router::new()
            .route("/rest/api/3/search/jql", get(cloud_search))
            .route("/rest/api/3/issue/{id}/changelog", get(cloud_changelog))
            .route("/rest/api/2/search", get(dc_search))
            .route("/rest/api/2/issue/{id}", get(dc_issue))
            .with_state(state.clone());
        RecordedJira {
            server: TestServer::start(router).await,
            state,
            cut,
        }
    }

    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.0.seen.lock().expect("lock").clone()
    }

    /// The JQL of every search request so far, decoded.
    pub fn jqls(&self) -> Vec<String> {
        self.seen()
            .iter()
            .filter(|s| s.uri.contains("/search"))
            .filter_map(|s| {
                let uri: Uri = s.uri.parse().ok()?;
                let q: Query<HashMap<String, String>> = Query::try_from_uri(&uri).ok()?;
                q.0.get("jql").cloned()
            })
            .collect()
    }
}

fn record(state: &Jira, uri: &Uri, status: StatusCode) {
    state.0.seen.lock().expect("lock").push(Seen {
        uri: uri.to_string(),
        status: status.as_u16(),
    });
}

fn answer(state: &Jira, uri: &Uri, status: StatusCode, body: Value) -> Response {
    record(state, uri, status);
    (status, axum::Json(body)).into_response()
}

/// 401 unless the request carries `expected`; 429 once for the throttled search.
fn refuse(state: &Jira, uri: &Uri, headers: &HeaderMap, expected: &str) -> Option<Response> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != expected {
        return Some(answer(
            state,
            uri,
            StatusCode::UNAUTHORIZED,
            json!({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}}),
        ));
    }
    if uri.path().ends_with("/search") || uri.path().ends_with("/search/jql") {
        let mut n = state.0.searches.lock().expect("lock");
        *n += 1;
        if Some(*n) == state.0.throttle_search {
            record(state, uri, StatusCode::TOO_MANY_REQUESTS);
            return Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    axum::Json(json!({"errorMessages": ["Rate limit exceeded."]})),
                )
                    .into_response(),
            );
        }
    }
    None
}

/// The project keys of a `project in (...)` clause, if the JQL has one.
fn projects(jql: &str) -> Option<Vec<String>> {
    let lower = jql.to_ascii_lowercase();
    let at = lower.find("project in (")? + "project in (".len();
    let end = at + jql[at..].find(')')?;
    Some(
        jql[at..end]
            .split(',')
            .map(|k| k.trim().trim_matches('"').to_owned())
            .collect(),
    )
}

fn matching(state: &Jira, q: &HashMap<String, String>) -> Vec<Value> {
    let keys = q.get("jql").and_then(|j| projects(j));
    state
        .0
        .issues
        .iter()
        .filter(|i| match &keys {
            None => true,
            Some(keys) => i["fields"]["project"]["key"]
                .as_str()
                .is_some_and(|k| keys.iter().any(|x| x == k)),
        })
        .cloned()
        .collect()
}

fn number(q: &HashMap<String, String>, name: &str, default: usize) -> usize {
    q.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn cloud_search(
    State(state): State<Jira>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refuse(&state, &uri, &headers, CLOUD_AUTH) {
        return r;
    }
    let issues = matching(&state, &q);
    let size = number(&q, "maxResults", 50).max(1);
    let start = match q.get("nextPageToken") {
        None => 0,
        Some(t) => match t.strip_prefix("page-after-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => {
                return answer(
                    &state,
                    &uri,
                    StatusCode::BAD_REQUEST,
                    json!({"errorMessages": ["Invalid nextPageToken."], "errors": {}}),
                );
            }
        },
    };
    let end = (start + size).min(issues.len());
    let mut body = json!({"issues": issues[start.min(end)..end], "isLast": end >= issues.len()});
    if end < issues.len() {
        body["nextPageToken"] = json!(format!("page-after-{end}"));
    }
    answer(&state, &uri, StatusCode::OK, body)
}

async fn cloud_changelog(
    State(state): State<Jira>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refuse(&state, &uri, &headers, CLOUD_AUTH) {
        return r;
    }
    let Some(all) = state.0.histories.get(&id) else {
        return answer(
            &state,
            &uri,
            StatusCode::NOT_FOUND,
            json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
        );
    };
    let start = number(&q, "startAt", 0).min(all.len());
    let size = number(&q, "maxResults", 100).clamp(1, CHANGELOG_PAGE);
    let end = (start + size).min(all.len());
    answer(
        &state,
        &uri,
        StatusCode::OK,
        json!({"startAt": start, "maxResults": size, "total": all.len(),
               "isLast": end >= all.len(), "values": all[start..end]}),
    )
}

async fn dc_search(
    State(state): State<Jira>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = refuse(&state, &uri, &headers, &format!("Bearer {DC_PAT}")) {
        return r;
    }
    let issues = matching(&state, &q);
    let size = number(&q, "maxResults", 50).max(1);
    let start = number(&q, "startAt", 0).min(issues.len());
    let end = (start + size).min(issues.len());
    answer(
        &state,
        &uri,
        StatusCode::OK,
        json!({"expand": "schema,names", "startAt": start, "maxResults": size,
               "total": issues.len(), "issues": issues[start..end]}),
    )
}

async fn dc_issue(
    State(state): State<Jira>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refuse(&state, &uri, &headers, &format!("Bearer {DC_PAT}")) {
        return r;
    }
    let issue = state.0.issues.iter().find(|i| i["id"] == id.as_str());
    match (issue, state.0.histories.get(&id)) {
        (Some(issue), Some(all)) => {
            let mut issue = issue.clone();
            issue["changelog"] = json!({"startAt": 0, "maxResults": all.len(), "total": all.len(), "histories": all});
            answer(&state, &uri, StatusCode::OK, issue)
        }
        _ => answer(
            &state,
            &uri,
            StatusCode::NOT_FOUND,
            json!({"errorMessages": ["Issue Does Not Exist"], "errors": {}}),
        ),
    }
}
