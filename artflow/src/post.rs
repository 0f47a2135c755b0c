//! `artflow replay --to URL`: posts webhook bodies to a running artflow (local or deployed), as
//! Jira would, signed when a secret is given, so a deployment can be tested end to end.

use std::time::Duration;

use anyhow::Context;
use backfill::http::HttpsClient;
use http_body_util::{BodyExt, Full};

/// The answer to one post.
#[derive(Debug)]
pub struct Posted {
    pub status: u16,
    pub body: String,
}

/// The one HTTPS client of artflow (the backfill's Jira calls use it too).
fn https_client() -> anyhow::Result<HttpsClient> {
    backfill::http::https_client().context("cannot load the system's root certificates")
}

/// `artflow config apply FILE --api URL`: the TOML to `PUT {URL}/admin/config`.
pub async fn put_config(
    api: &str,
    admin_token: &str,
    toml: Vec<u8>,
    prune: bool,
    dry_run: bool,
) -> anyhow::Result<api::AppliedConfig> {
    let base = api.trim_end_matches('/');
    let query = match (prune, dry_run) {
        (false, false) => "",
        (true, false) => "?prune=true",
        (false, true) => "?dry_run=true",
        (true, true) => "?prune=true&dry_run=true",
    };
    let url: axum::http::Uri = format!("{base}/admin/config{query}")
        .parse()
        .with_context(|| format!("{api:?} is not a URL"))?;
    anyhow::ensure!(
        matches!(url.scheme_str(), Some("http" | "https")),
        "{api} is not an http(s) URL"
    );
    let req = axum::http::Request::put(url.clone())
        .header("content-type", "application/toml")
        .header("authorization", format!("Bearer {admin_token}"))
        .header("user-agent", concat!("artflow/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(axum::body::Bytes::from(toml)))?;
    let (status, body) = send(&https_client()?, req, &url).await?;
    if status != 200 {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        anyhow::bail!("{url} answered {status}: {message}");
    }
    let applied: api::AppliedConfig =
        serde_json::from_str(&body).with_context(|| format!("{url} answered 200 with {body:?}"))?;
    // (A server without dry runs refuses the unknown parameter with a 400; this is a safeguard.)
    anyhow::ensure!(
        applied.dry_run == dry_run,
        "{url} did not answer as a dry run: it may have applied the configuration"
    );
    Ok(applied)
}

async fn send(
    client: &HttpsClient,
    req: axum::http::Request<Full<axum::body::Bytes>>,
    url: &axum::http::Uri,
) -> anyhow::Result<(u16, String)> {
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .with_context(|| format!("{url} did not answer within 30 s"))?
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

pub struct Poster {
    client: HttpsClient,
    url: axum::http::Uri,
    secret: Option<String>,
    token: Option<String>,
}

impl Poster {
    pub fn new(url: &str, secret: Option<String>, token: Option<String>) -> anyhow::Result<Poster> {
        let url: axum::http::Uri = url
            .parse()
            .with_context(|| format!("{url:?} is not a URL"))?;
        anyhow::ensure!(
            matches!(url.scheme_str(), Some("http" | "https")),
            "{url} is not an http(s) URL"
        );
        // A bare server address means its webhook route.
        let url = if url.path() == "/" {
            format!("{}/webhooks/jira", url.to_string().trim_end_matches('/')).parse()?
        } else {
            url
        };
        Ok(Poster {
            client: https_client()?,
            url,
            secret,
            token,
        })
    }

    pub fn url(&self) -> String {
        self.url.to_string()
    }

    pub async fn post(&self, body: &[u8]) -> anyhow::Result<Posted> {
        let mut req = axum::http::Request::post(self.url.clone())
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("artflow-replay/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(secret) = &self.secret {
            req = req.header(
                "x-hub-signature",
                ingest::auth::sign(secret.as_bytes(), body),
            );
        }
        if let Some(token) = &self.token {
            req = req.header("x-artflow-token", token);
        }
        let req = req.body(Full::new(axum::body::Bytes::copy_from_slice(body)))?;
        let (status, body) = send(&self.client, req, &self.url).await?;
        Ok(Posted { status, body })
    }
}
