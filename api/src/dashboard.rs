//! The dashboard: static files compiled into the binary (no build step, no CDN), served at `/`
//! and `/static/{name}` with ETags. The page reads the JSON API and polls it with If-None-Match.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use crate::cache::Cached;
use crate::http::respond;

/// (name, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../static/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../static/uPlot.min.css"),
    ),
    (
        "uPlot.LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../static/uPlot.LICENSE"),
    ),
];

fn entries() -> &'static [Cached] {
    static ENTRIES: OnceLock<Vec<Cached>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, ct, text)| Cached::new(Bytes::from_static(text.as_bytes()), ct))
            .collect()
    })
}

fn file(name: &str, headers: &HeaderMap) -> Option<Response> {
    let i = FILES.iter().position(|(n, _, _)| *n == name)?;
    Some(respond(headers, &entries()[i]))
}

/// The page itself.
pub async fn index(headers: HeaderMap) -> Response {
    file("index.html", &headers).expect("index.html is embedded")
}

/// By name: behind a REST API's stage (`/{stage}/static/...`) there is one more parameter.
#[derive(serde::Deserialize)]
struct StaticPath {
    name: String,
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route(
        "/static/{name}",
        get(
            |Path(StaticPath { name }): Path<StaticPath>, headers: HeaderMap| async move {
                file(&name, &headers).unwrap_or_else(|| {
                    ingest::http::error(
                        StatusCode::NOT_FOUND,
                        "not_found",
                        format!("no static file {name:?}"),
                    )
                })
            },
        ),
    )
}
