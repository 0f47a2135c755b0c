//! Test helpers: fresh databases (SQLite files, or a uniquely named MySQL/MariaDB database per
//! test, dropped after), the `artflow` binary, and the shared fixtures when they are present.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `../shared` beside the repository, where CI lays it; `None` (and a line saying the test
/// was skipped) elsewhere.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped {test}: ../shared (fixtures and real Jira data) not found");
        None
    }
}

/// A fresh, migrated database that is removed when dropped.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    MySql { server: String, name: String },
}

impl TestDb {
    /// A new SQLite file in the temporary directory.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("artflow-test-{}.db", unique()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = connect(&url, 1).await;
        TestDb {
            db,
            url,
            cleanup: Cleanup::File(path),
        }
    }

    /// A new database on the server named by `TEST_MYSQL_URL` (e.g. `mysql://root@127.0.0.1:3306`);
    /// `None`, with a line saying the test was skipped, when that variable is not set.
    pub async fn mysql(test: &str) -> Option<TestDb> {
        let Ok(server) = std::env::var("TEST_MYSQL_URL") else {
            eprintln!("skipped {test} on MySQL: TEST_MYSQL_URL is not set");
            return None;
        };
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("artflow_t_{}", unique());
        let admin = Database::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("TEST_MYSQL_URL {server} does not answer: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let url = format!("{server}/{name}");
        let db = connect(&url, 5).await;
        Some(TestDb {
            db,
            url,
            cleanup: Cleanup::MySql { server, name },
        })
    }

    /// Another connection pool to the same database (as another processor would have).
    pub async fn connect_again(&self) -> DatabaseConnection {
        connect(&self.url, 5).await
    }
}

async fn connect(url: &str, max: u32) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max).sqlx_logging(false);
    let db = Database::connect(opts)
        .await
        .expect("connect to the test database");
    Migrator::up(&db, None).await.expect("migrations run");
    db
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::MySql { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&server).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The `artflow` binary cargo built beside this test binary.
pub fn artflow_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let bin = dir.join(format!("artflow{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not found: run the tests with `cargo nextest run --workspace` (or `cargo test \
         --workspace`), which builds it",
        bin.display()
    );
    bin
}

/// Runs `artflow --database-url URL ARGS...` and returns what it did.
pub fn artflow(url: &str, args: &[&str]) -> Output {
    Command::new(artflow_bin())
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("artflow runs")
}

/// Runs artflow and insists on success, returning its standard output.
pub fn artflow_ok(url: &str, args: &[&str]) -> String {
    let out = artflow(url, args);
    assert!(
        out.status.success(),
        "artflow {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A report's JSON without its `as_of`, and with every float rounded to 1e-9 days so that
/// two ways of summing compare equal.
pub fn comparable(mut report: serde_json::Value) -> serde_json::Value {
    if let Some(o) = report.as_object_mut() {
        o.remove("as_of");
    }
    fn round(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap_or(0.0);
                *v = serde_json::json!((x * 1e9).round() / 1e9);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(round),
            serde_json::Value::Object(o) => {
                // Ages of work in progress move on with the clock: compare the rest.
                o.remove("as_of");
                o.remove("age_days");
                o.values_mut().for_each(round)
            }
            _ => {}
        }
    }
    round(&mut report);
    report
}

/// The per-pipeline keys of the reference computation compared by equality (after
/// [`comparable`]): the old job's figures and the flow figures that are exact.
const EXACT_KEYS: [&str; 16] = [
    "code",
    "name",
    "rule",
    "count",
    "wip",
    "min_days",
    "min_issue",
    "max_days",
    "max_issue",
    "mean_days",
    "flow_efficiency",
    "issues",
    "not_counted",
    "throughput",
    "rework",
    "distribution",
];

/// The per-pipeline keys compared within a relative tolerance: the percentiles come from a
/// sketch within 0.5% of the exact nearest-rank value (docs/semantics.md), the deviation from
/// another (exact-integer) way of summing.
const TOLERANT_KEYS: [(&str, f64); 5] = [
    ("p50_days", 0.005),
    ("p70_days", 0.005),
    ("p85_days", 0.005),
    ("p95_days", 0.005),
    ("stddev_days", 1e-9),
];

/// Every difference between a report's figures (`artflow report --format json`, or
/// `artflow::report::build` as JSON) and the reference computation's
/// (`reference::compute`, raw or through [`comparable`]), one line each naming the ART, the
/// pipeline and the key. Empty when they match: the same ARTs and pipelines, the exact keys
/// equal after [`comparable`], the percentiles within 0.5% of the exact ones and the standard
/// deviation within 1e-9 (relative; plus 1e-12 days). Keys the reference does not produce
/// (aging, findings, window) are not compared.
pub fn reference_mismatches(
    report: &serde_json::Value,
    reference: &serde_json::Value,
) -> Vec<String> {
    use serde_json::Value;
    fn by<'a>(list: &'a Value, key: &str) -> Vec<(String, &'a Value)> {
        list.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|x| (x[key].as_str().unwrap_or("?").to_owned(), x))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn names(list: &[(String, &Value)]) -> Vec<String> {
        list.iter().map(|(n, _)| n.clone()).collect()
    }
    let mut out = Vec::new();
    let got_arts = by(&report["arts"], "abbreviation");
    let want_arts = by(&reference["arts"], "abbreviation");
    if names(&got_arts) != names(&want_arts) {
        out.push(format!(
            "ARTs: report {:?}, reference {:?}",
            names(&got_arts),
            names(&want_arts)
        ));
    }
    for (abbr, want_art) in &want_arts {
        let Some((_, got_art)) = got_arts.iter().find(|(a, _)| a == abbr) else {
            continue;
        };
        if got_art["name"] != want_art["name"] {
            out.push(format!(
                "{abbr} name: report {}, reference {}",
                got_art["name"], want_art["name"]
            ));
        }
        let got_ps = by(&got_art["pipelines"], "code");
        let want_ps = by(&want_art["pipelines"], "code");
        if names(&got_ps) != names(&want_ps) {
            out.push(format!(
                "{abbr} pipelines: report {:?}, reference {:?}",
                names(&got_ps),
                names(&want_ps)
            ));
        }
        for (code, want) in &want_ps {
            let Some((_, got)) = got_ps.iter().find(|(c, _)| c == code) else {
                continue;
            };
            for key in EXACT_KEYS {
                let (g, w) = (comparable(got[key].clone()), comparable(want[key].clone()));
                if g != w {
                    out.push(format!("{abbr} {code} {key}: report {g}, reference {w}"));
                }
            }
            out.extend(
                aging_mismatches(&got["aging"], &want["aging"])
                    .into_iter()
                    .map(|m| format!("{abbr} {code} aging: {m}")),
            );
            for (key, relative) in TOLERANT_KEYS {
                let (g, w) = (&got[key], &want[key]);
                let close = match (g.as_f64(), w.as_f64()) {
                    (Some(g), Some(w)) => (g - w).abs() <= relative * w.abs() + 1e-12,
                    _ => g.is_null() && w.is_null(),
                };
                if !close {
                    out.push(format!(
                        "{abbr} {code} {key}: report {g}, reference {w} (tolerance {relative} \
                         relative)"
                    ));
                }
            }
        }
    }
    out
}

/// The differences between a report's aging list and the reference's (each issue in progress
/// with its type and start, in `reference::aging_order`): the same issues, types and starts; the report's order the
/// oldest first (unknown starts last, ties by key); each age the report's `as_of` minus the start
/// (never negative); `over_sle` exactly when the age passes the report's `sle_days`.
fn aging_mismatches(got: &serde_json::Value, want: &serde_json::Value) -> Vec<String> {
    let ms = |v: &serde_json::Value| {
        v.as_str().map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap_or_else(|e| panic!("aging time {t:?}: {e}"))
                .timestamp_millis()
        })
    };
    let mut out = Vec::new();
    let (Some(issues), Some(as_of)) = (got["issues"].as_array(), ms(&got["as_of"])) else {
        return vec![format!("no issues or as_of in {got}")];
    };
    let mut by_key: Vec<serde_json::Value> = issues
        .iter()
        .map(|i| serde_json::json!({"key": i["key"], "type": i["type"], "start_ms": ms(&i["start"])}))
        .collect();
    by_key.sort_by_key(crate::reference::aging_order);
    if &serde_json::Value::Array(by_key) != want {
        out.push(format!("issues {got}, reference {want}"));
    }
    let sle = got["sle_days"].as_f64();
    let mut over = 0;
    for i in issues {
        let age = ms(&i["start"]).map(|s| (as_of - s).max(0) as f64 / 86_400_000.0);
        if (i["age_days"].as_f64(), age) != (None, None)
            && !matches!((i["age_days"].as_f64(), age), (Some(g), Some(w)) if (g - w).abs() < 1e-9)
        {
            out.push(format!(
                "{} age_days {} for start {}",
                i["key"], i["age_days"], i["start"]
            ));
        }
        let flagged = matches!((age, sle), (Some(a), Some(s)) if a > s);
        over += usize::from(flagged);
        if i["over_sle"] != flagged {
            out.push(format!(
                "{} over_sle {} with age {age:?}, sle {sle:?}",
                i["key"], i["over_sle"]
            ));
        }
    }
    if got["over_sle"] != over {
        out.push(format!("over_sle {} for {over} flagged", got["over_sle"]));
    }
    let age = |i: &serde_json::Value| i["age_days"].as_f64().unwrap_or(f64::NEG_INFINITY);
    let key = |i: &serde_json::Value| i["key"].as_str().unwrap_or_default().to_owned();
    if issues.windows(2).any(|w| {
        age(&w[0])
            .total_cmp(&age(&w[1]))
            .reverse()
            .then_with(|| key(&w[0]).cmp(&key(&w[1])))
            .is_gt()
    }) {
        out.push("not the oldest first (unknown starts last, ties by key)".into());
    }
    out
}

/// Panics, listing every difference by ART, pipeline and key, unless a report's figures match
/// the reference computation's (see [`reference_mismatches`] for what is compared and how).
#[track_caller]
pub fn assert_matches_reference(report: &serde_json::Value, reference: &serde_json::Value) {
    let mismatches = reference_mismatches(report, reference);
    assert!(
        mismatches.is_empty(),
        "the report differs from the reference computation in {} place(s):\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
}

/// A server on port 0 serving a router; dropped with the test.
pub struct TestServer {
    pub base: String,
    handle: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(router: axum::Router) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let handle = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        TestServer { base, handle }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// A plain HTTP/1.1 POST over a fresh connection, with exactly the headers given (so tests can
/// send wrong content types, signatures and identifiers). Returns the status and the body.
pub async fn http_post(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let reply = http(base, "POST", path, headers, body).await?;
    Ok((reply.status, reply.body))
}

/// An HTTP answer: status, headers (names lowercase) and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// One HTTP/1.1 request over a fresh connection, with exactly the headers given.
pub async fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    // A server may answer (413, say) and close before the whole body is sent: read its answer.
    if let Err(e) = stream.write_all(body).await
        && !matches!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        )
    {
        return Err(e);
    }
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw).await
        && raw.is_empty()
    {
        return Err(e);
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}
