//! A Jira REST client for what a backfill reads: issue searches with their changelogs, paged
//! the way each flavor pages, and the rest of a changelog the search cut short.
//!
//! - **Cloud** (`*.atlassian.net`): `GET /rest/api/3/search/jql?jql=&expand=changelog&fields=*all
//!   &maxResults=&nextPageToken=`, answered with `issues`, `nextPageToken` (absent on the last
//!   page) and `isLast`; no total. The rest of a changelog comes from
//!   `GET /rest/api/3/issue/{id}/changelog?startAt=&maxResults=` (`values`, `isLast`, `total`,
//!   oldest first).
//! - **Data Center**: `GET /rest/api/2/search?jql=&startAt=&maxResults=&expand=changelog
//!   &fields=*all`, answered with `startAt`, `maxResults`, `total` and `issues`. Data Center has
//!   no changelog endpoint (`/issue/{id}/changelog` is Cloud's only); the whole changelog comes
//!   with `GET /rest/api/2/issue/{id}?expand=changelog`.
//!
//! 429 and 503 answers are retried through `processor::retry` (the one retry helper), waiting
//! the `Retry-After` seconds Jira names (at most a minute) or the backoff delay, whichever is
//! longer: at most 8 tries and at most [`DEFAULT_PATIENCE`] in all for one request, then an
//! [`Error::GaveUp`] naming the URL, the tries, the time and Jira's last message. Any other
//! error answer is an [`Error::Refused`] naming the URL and Jira's message.
//!
//! The flavor is decided by the host name alone (`*.atlassian.net` is Cloud), not by asking
//! the site: a Cloud site under a custom domain needs `--flavor cloud`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, HeaderValue, RETRY_AFTER, USER_AGENT};
use http_body_util::{BodyExt, Full};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use processor::retry::{Policy, Verdict, retry};
use serde_json::Value;

use crate::Error;
use crate::credentials::Credentials;
use crate::http::{HttpsClient, https_client};

/// Everything but RFC 3986's unreserved characters is percent-encoded in a query value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Histories asked for per changelog page (Cloud's maximum).
const CHANGELOG_PAGE: usize = 100;

/// The longest one request is retried while Jira answers 429 or 503 (the tries and waits
/// together); below the reconcile Lambda's 600 s timeout, so that it ends with a clear error.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(300);

/// Which REST API the site speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Cloud,
    DataCenter,
}

impl Flavor {
    /// `*.atlassian.net` is Cloud; any other host is Data Center (or Server). Only the name is
    /// looked at, the site is not asked: a Cloud site under a custom domain needs
    /// [`Flavor::Cloud`] given explicitly.
    pub fn detect(host: &str) -> Flavor {
        let host = host.to_ascii_lowercase();
        if host == "atlassian.net" || host.ends_with(".atlassian.net") {
            Flavor::Cloud
        } else {
            Flavor::DataCenter
        }
    }

    /// `auto` (`None`: decided from the host), `cloud`, or `datacenter`.
    pub fn parse_choice(s: &str) -> Result<Option<Flavor>, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(None),
            "cloud" => Ok(Some(Flavor::Cloud)),
            "datacenter" | "data-center" | "dc" | "server" => Ok(Some(Flavor::DataCenter)),
            other => Err(Error::Input(format!(
                "unknown Jira flavor {other:?}: auto, cloud or datacenter"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Cloud => "Cloud",
            Flavor::DataCenter => "Data Center",
        }
    }
}

/// Where the next page of a search starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// Cloud's `nextPageToken`.
    Token(String),
    /// Data Center's `startAt`.
    StartAt(u64),
}

/// One page of a search.
#[derive(Debug)]
pub struct SearchPage {
    pub issues: Vec<Value>,
    /// `None` after the last page.
    pub next: Option<Cursor>,
    /// The number of issues the search matches, where the flavor says (Data Center).
    pub total: Option<u64>,
}

pub struct Jira {
    client: HttpsClient,
    /// Scheme, host and context path, without a trailing slash.
    base: String,
    flavor: Flavor,
    authorization: HeaderValue,
    policy: Policy,
    /// Retries of one request stop after this long in all.
    patience: Duration,
    timeout: Duration,
    /// `http://` to a host other than this machine: the credentials travel in clear.
    plain_http: bool,
}

impl std::fmt::Debug for Jira {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jira")
            .field("base", &self.base)
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

impl Jira {
    /// A client for the site at `url` (e.g. `https://acme.atlassian.net` or
    /// `https://jira.example.com/jira`); `flavor` `None` decides from the host.
    pub fn new(
        url: &str,
        flavor: Option<Flavor>,
        credentials: &Credentials,
    ) -> Result<Jira, Error> {
        let uri: http::Uri = url
            .trim()
            .parse()
            .map_err(|e| Error::Input(format!("the Jira URL {url:?} is not a URL: {e}")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(Error::Input(format!(
                "the Jira URL {url:?} needs a scheme and a host, e.g. https://acme.atlassian.net"
            )));
        };
        if !matches!(scheme, "http" | "https") {
            return Err(Error::Input(format!(
                "the Jira URL {url:?} is not an http(s) URL"
            )));
        }
        if uri.query().is_some() {
            return Err(Error::Input(format!(
                "the Jira URL {url:?} has a query: give the site's base URL"
            )));
        }
        let base = format!("{scheme}://{authority}{}", uri.path().trim_end_matches('/'));
        let plain_http = scheme == "http" && !is_loopback(authority.host());
        if plain_http {
            tracing::warn!(
                url = %base,
                "the Jira URL is plain http://: the credentials (and every answer) cross the \
                 network unencrypted; use https:// unless this network is trusted"
            );
        }
        let mut authorization = HeaderValue::from_str(&credentials.header()).map_err(|_| {
            Error::Credentials(
                "the Jira credentials contain characters a header cannot carry".into(),
            )
        })?;
        authorization.set_sensitive(true);
        let client = https_client().map_err(|e| {
            Error::Input(format!("cannot load the system's root certificates: {e}"))
        })?;
        Ok(Jira {
            client,
            base,
            flavor: flavor.unwrap_or_else(|| Flavor::detect(authority.host())),
            authorization,
            policy: Policy {
                attempts: 8,
                min_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(60),
            },
            patience: DEFAULT_PATIENCE,
            timeout: Duration::from_secs(120),
            plain_http,
        })
    }

    /// How long in all one request may be retried while Jira answers 429 or 503.
    pub fn with_patience(mut self, patience: Duration) -> Jira {
        self.patience = patience;
        self
    }

    /// Whether the credentials go to another machine over plain `http://` (warned about when
    /// the client is made).
    pub fn sends_credentials_in_clear(&self) -> bool {
        self.plain_http
    }

    /// Retries (how many, how long) for throttled requests.
    pub fn with_policy(mut self, policy: Policy) -> Jira {
        self.policy = policy;
        self
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// One page of issues matching `jql`, each with its changelog (as far as the search gives
    /// it) and all its fields.
    pub async fn search(
        &self,
        jql: &str,
        page_size: u32,
        cursor: &Cursor,
    ) -> Result<SearchPage, Error> {
        let jql = utf8_percent_encode(jql, QUERY);
        let (url, doc) = match self.flavor {
            Flavor::Cloud => {
                let mut url = format!(
                    "{}/rest/api/3/search/jql?jql={jql}&expand=changelog&fields=*all&maxResults={page_size}",
                    self.base
                );
                if let Cursor::Token(token) = cursor {
                    url.push_str("&nextPageToken=");
                    url.extend(utf8_percent_encode(token, QUERY));
                }
                let doc = self.get(&url).await?;
                (url, doc)
            }
            Flavor::DataCenter => {
                let start = match cursor {
                    Cursor::StartAt(n) => *n,
                    _ => 0,
                };
                let url = format!(
                    "{}/rest/api/2/search?jql={jql}&startAt={start}&maxResults={page_size}&expand=changelog&fields=*all",
                    self.base
                );
                let doc = self.get(&url).await?;
                (url, doc)
            }
        };
        let bad = |reason: &str| Error::BadAnswer {
            url: url.clone(),
            reason: reason.to_owned(),
        };
        let Value::Object(mut doc) = doc else {
            return Err(bad("not a JSON object"));
        };
        let issues = match doc.remove("issues") {
            Some(Value::Array(issues)) => issues,
            _ => return Err(bad("no `issues` array")),
        };
        let (next, total) = match self.flavor {
            Flavor::Cloud => {
                let last = doc.get("isLast").and_then(Value::as_bool) == Some(true);
                let token = doc
                    .get("nextPageToken")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty());
                let next = match token {
                    Some(t) if !last && !issues.is_empty() => Some(Cursor::Token(t.to_owned())),
                    _ => None,
                };
                (next, None)
            }
            Flavor::DataCenter => {
                let start = doc
                    .get("startAt")
                    .and_then(Value::as_u64)
                    .unwrap_or(match cursor {
                        Cursor::StartAt(n) => *n,
                        _ => 0,
                    });
                let total = doc
                    .get("total")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad("no `total`"))?;
                let after = start + issues.len() as u64;
                let next = (!issues.is_empty() && after < total).then_some(Cursor::StartAt(after));
                (next, Some(total))
            }
        };
        Ok(SearchPage {
            issues,
            next,
            total,
        })
    }

    /// Puts the whole changelog into `issue` when its `changelog.total` exceeds the histories
    /// present. Returns whether it fetched anything; an issue gone meanwhile (404) is left as
    /// it was, and its import then counts its history as incomplete.
    pub async fn complete_changelog(&self, issue: &mut Value) -> Result<bool, Error> {
        let present = issue
            .pointer("/changelog/histories")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let total = issue
            .pointer("/changelog/total")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if total <= present as u64 {
            return Ok(false);
        }
        let Some(id) = issue
            .get("id")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .or_else(|| issue.get("key").and_then(Value::as_str).map(str::to_owned))
        else {
            return Ok(false);
        };
        let id = utf8_percent_encode(&id, QUERY).to_string();
        let histories = match self.flavor {
            Flavor::Cloud => self.cloud_changelog(&id).await,
            Flavor::DataCenter => self.datacenter_changelog(&id).await,
        };
        let histories = match histories {
            Ok(h) => h,
            Err(Error::Refused {
                status: 404, url, ..
            }) => {
                tracing::warn!(%url, "the issue is gone; its history stays incomplete");
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        if histories.len() < present {
            return Ok(false);
        }
        let complete = histories.len() as u64 >= total;
        let n = histories.len();
        if let Some(changelog) = issue.get_mut("changelog").and_then(Value::as_object_mut) {
            changelog.insert("histories".into(), Value::Array(histories));
            changelog.insert("startAt".into(), 0.into());
            changelog.insert("maxResults".into(), n.into());
            if complete {
                changelog.insert("total".into(), n.into());
            }
        }
        Ok(true)
    }

    async fn cloud_changelog(&self, id: &str) -> Result<Vec<Value>, Error> {
        let mut out: Vec<Value> = Vec::new();
        loop {
            let url = format!(
                "{}/rest/api/3/issue/{id}/changelog?startAt={}&maxResults={CHANGELOG_PAGE}",
                self.base,
                out.len()
            );
            let page = self.get(&url).await?;
            let values = match page.get("values") {
                Some(Value::Array(v)) => v.clone(),
                _ => {
                    return Err(Error::BadAnswer {
                        url,
                        reason: "no `values` array".into(),
                    });
                }
            };
            let last = page.get("isLast").and_then(Value::as_bool) == Some(true);
            let total = page.get("total").and_then(Value::as_u64);
            let empty = values.is_empty();
            out.extend(values);
            if last || empty || total.is_some_and(|t| out.len() as u64 >= t) {
                return Ok(out);
            }
        }
    }

    async fn datacenter_changelog(&self, id: &str) -> Result<Vec<Value>, Error> {
        let url = format!(
            "{}/rest/api/2/issue/{id}?expand=changelog&fields=created",
            self.base
        );
        let mut doc = self.get(&url).await?;
        match doc.pointer_mut("/changelog/histories").map(Value::take) {
            Some(Value::Array(h)) => Ok(h),
            _ => Err(Error::BadAnswer {
                url,
                reason: "no `changelog.histories` array".into(),
            }),
        }
    }

    /// GETs `url` as JSON, retrying 429 and 503 within the policy's tries and the patience;
    /// a Jira still busy after them is an [`Error::GaveUp`].
    async fn get(&self, url: &str) -> Result<Value, Error> {
        let started = Instant::now();
        let attempts = &AtomicU32::new(0);
        let last_busy: &Mutex<Option<(u16, String)>> = &Mutex::new(None);
        let tries = retry(
            "Jira request",
            self.policy,
            |e: &Error| match e {
                Error::Busy {
                    retry_after: Some(wait),
                    ..
                } => Verdict::After(*wait),
                Error::Busy { .. } => Verdict::Transient,
                _ => Verdict::Permanent,
            },
            || async move {
                attempts.fetch_add(1, Ordering::Relaxed);
                let answer = self.get_once(url).await;
                if let Err(Error::Busy {
                    status, message, ..
                }) = &answer
                {
                    *last_busy.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((*status, message.clone()));
                }
                answer
            },
        );
        let gave_up = |status: u16, message: String| Error::GaveUp {
            url: url.to_owned(),
            status,
            attempts: attempts.load(Ordering::Relaxed),
            seconds: started.elapsed().as_secs(),
            message,
        };
        match tokio::time::timeout(self.patience, tries).await {
            Ok(Err(Error::Busy {
                status, message, ..
            })) => Err(gave_up(status, message)),
            Ok(answer) => answer,
            Err(_) => match last_busy.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some((status, message)) => Err(gave_up(status, message)),
                None => Err(Error::Unreachable {
                    url: url.to_owned(),
                    reason: format!("no answer within {} s", self.patience.as_secs()),
                }),
            },
        }
    }

    async fn get_once(&self, url: &str) -> Result<Value, Error> {
        let request = http::Request::get(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("artflow-backfill/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::new()))
            .map_err(|e| Error::Input(format!("cannot build a request for {url}: {e}")))?;
        let unreachable = |reason: String| Error::Unreachable {
            url: url.to_owned(),
            reason,
        };
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", self.timeout.as_secs())))?
            .map_err(|e| unreachable(error_chain(&e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = tokio::time::timeout(self.timeout, response.into_body().collect())
            .await
            .map_err(|_| {
                unreachable(format!(
                    "the answer did not end within {} s",
                    self.timeout.as_secs()
                ))
            })?
            .map_err(|e| unreachable(format!("the answer broke off: {}", error_chain(&e))))?
            .to_bytes();
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| Error::BadAnswer {
                url: url.to_owned(),
                reason: format!("not JSON ({e}): {}", jira_message(&body)),
            });
        }
        let code = status.as_u16();
        let message = jira_message(&body);
        if matches!(code, 429 | 503) {
            return Err(Error::Busy {
                url: url.to_owned(),
                status: code,
                retry_after,
                message,
            });
        }
        let hint = match code {
            401 => {
                " (the credentials were refused: Cloud takes JIRA_EMAIL and JIRA_API_TOKEN, \
                    Data Center a personal access token in JIRA_PAT)"
            }
            403 => " (the account may not browse these projects)",
            404 => " (is the URL the site's base URL, and the flavor right?)",
            _ => "",
        };
        Err(Error::Refused {
            url: url.to_owned(),
            status: code,
            message: format!("{message}{hint}"),
        })
    }
}

/// `localhost` or a loopback address: plain http there does not leave the machine.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An error with its causes, on one line (hyper's own message alone says little).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Jira's own words from an error body: `errorMessages` and `errors` (its JSON error shape),
/// `message`, an HTML page's title, or the start of the text.
pub fn jira_message(body: &[u8]) -> String {
    if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) {
        let mut parts: Vec<String> = Vec::new();
        if let Some(Value::Array(list)) = o.get("errorMessages") {
            parts.extend(list.iter().filter_map(|m| m.as_str().map(str::to_owned)));
        }
        if let Some(Value::Object(errors)) = o.get("errors") {
            parts.extend(
                errors
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or(&v.to_string()))),
            );
        }
        if let Some(m) = o.get("message").and_then(Value::as_str) {
            parts.push(m.to_owned());
        }
        if !parts.is_empty() {
            return parts.join("; ");
        }
    }
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>"))
        && a + 7 <= b
    {
        return format!("an HTML page titled {:?}", text[a + 7..b].trim());
    }
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(300) {
        None if flat.is_empty() => "no message".into(),
        None => flat,
        Some((cut, _)) => format!("{}…", &flat[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atlassian_net_is_cloud_other_hosts_data_center() {
        assert_eq!(Flavor::detect("acme.atlassian.net"), Flavor::Cloud);
        assert_eq!(Flavor::detect("ACME.Atlassian.NET"), Flavor::Cloud);
        assert_eq!(Flavor::detect("jira.example.com"), Flavor::DataCenter);
        assert_eq!(
            Flavor::detect("atlassian.net.example.com"),
            Flavor::DataCenter
        );
        assert_eq!(Flavor::detect("127.0.0.1"), Flavor::DataCenter);
        assert_eq!(Flavor::parse_choice("auto").unwrap(), None);
        assert_eq!(
            Flavor::parse_choice("DataCenter").unwrap(),
            Some(Flavor::DataCenter)
        );
        assert!(Flavor::parse_choice("onprem").is_err());
    }

    #[test]
    fn urls_are_checked_and_the_context_path_kept() {
        let c = Credentials::Pat("p".into());
        let j = Jira::new("https://jira.example.com/jira/", None, &c).unwrap();
        assert_eq!(j.base(), "https://jira.example.com/jira");
        assert_eq!(j.flavor(), Flavor::DataCenter);
        let j = Jira::new("https://acme.atlassian.net", None, &c).unwrap();
        assert_eq!(j.flavor(), Flavor::Cloud);
        assert!(!j.sends_credentials_in_clear());
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost/jira",
            "http://[::1]:9",
        ] {
            let j = Jira::new(local, None, &c).unwrap();
            assert!(!j.sends_credentials_in_clear(), "{local}");
        }
        let j = Jira::new("http://jira.example.com", None, &c).unwrap();
        assert!(j.sends_credentials_in_clear());
        for bad in [
            "acme.atlassian.net",
            "ftp://x.example",
            "https://x.example/?a=b",
            "::",
        ] {
            let err = Jira::new(bad, None, &c).unwrap_err().to_string();
            assert!(err.contains("Jira URL"), "{bad}: {err}");
        }
    }

    /// A stand-in Jira on a local port that answers every request 503 (with `Retry-After`
    /// when given); returns its base URL and the count of requests it answered.
    async fn always_503(
        retry_after: Option<u64>,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let count = Arc::clone(&count);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"errorMessages":["Jira is down for maintenance"]}"#;
                    let extra = retry_after
                        .map(|s| format!("Retry-After: {s}\r\n"))
                        .unwrap_or_default();
                    let answer = format!(
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
                         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    socket.write_all(answer.as_bytes()).await.ok();
                    socket.shutdown().await.ok();
                });
            }
        });
        (base, seen)
    }

    #[tokio::test]
    async fn a_jira_answering_503_forever_is_given_up_after_the_tries() {
        let (base, seen) = always_503(None).await;
        let jira = Jira::new(&base, None, &Credentials::Pat("p".into()))
            .unwrap()
            .with_policy(Policy {
                attempts: 3,
                min_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(20),
            });
        let err = jira.search("project = PAY", 10, &Cursor::First).await;
        let err = err.unwrap_err();
        assert!(
            matches!(
                err,
                Error::GaveUp {
                    status: 503,
                    attempts: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with("Jira answered 503 to GET http://127.0.0.1:"),
            "{text}"
        );
        assert!(
            text.contains("on each of 3 tries over 0 s; giving up"),
            "{text}"
        );
        assert!(text.contains("Jira is down for maintenance"), "{text}");
        assert_eq!(seen.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_stop_when_the_patience_runs_out() {
        // Jira asks for 1 s each time; the policy would try 50 times, the patience allows 2.5 s.
        let (base, seen) = always_503(Some(1)).await;
        let jira = Jira::new(&base, None, &Credentials::Pat("p".into()))
            .unwrap()
            .with_policy(Policy {
                attempts: 50,
                min_delay: Duration::from_millis(10),
                max_delay: Duration::from_secs(60),
            })
            .with_patience(Duration::from_millis(2500));
        let started = Instant::now();
        let err = jira
            .search("project = PAY", 10, &Cursor::First)
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(2900), "{took:?}");
        let Error::GaveUp { attempts, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*attempts, 3, "{err}");
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        assert!(err.to_string().contains("giving up"), "{err}");
    }

    #[test]
    fn jira_error_bodies_become_one_line() {
        assert_eq!(
            jira_message(
                br#"{"errorMessages":["The value 'NOPE' does not exist for the field 'project'."],"errors":{}}"#
            ),
            "The value 'NOPE' does not exist for the field 'project'."
        );
        assert_eq!(
            jira_message(br#"{"errorMessages":[],"errors":{"jql":"bad"}}"#),
            "jql: bad"
        );
        assert_eq!(
            jira_message(b"<html><head><title> Bad Gateway </title></head></html>"),
            "an HTML page titled \"Bad Gateway\""
        );
        assert_eq!(
            jira_message(b"Client must be\n authenticated"),
            "Client must be authenticated"
        );
        assert_eq!(jira_message(b""), "no message");
        assert_eq!(
            jira_message("é".repeat(400).as_bytes()).chars().count(),
            301
        );
    }
}
