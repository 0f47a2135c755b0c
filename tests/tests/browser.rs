//! The dashboard in a real browser: `artflow serve` on a fresh SQLite file loaded with
//! `../shared/data/jira-real`, and `tests/browser/dashboard.test.mjs` driving Debian's headless
//! Chromium with playwright-core against it. The script checks that the page lists the ARTs and
//! shows a card per configuration with the API's figures, asks for the read token, and that a
//! signed webhook completing an issue changes the card without a reload; it saves screenshots
//! (before.png, after.png) under the target directory.
//!
//! Skipped (with a line saying so) where ../shared, node, tests/browser/node_modules or
//! /usr/bin/chromium is missing, unless `ARTFLOW_REQUIRE_TOOLS=1` (CI) makes that a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use artflow_tests::support::{TestDb, artflow_bin, artflow_ok, shared_dir};

const TEST: &str = "dashboard_shows_the_data_and_follows_a_webhook_without_a_reload";
const CHROMIUM: &str = "/usr/bin/chromium";
const SECRET: &str = "browser-test-webhook-secret";
const READ_TOKEN: &str = "browser-test-read-token";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// `../shared`, or `None` when something the test needs is missing: then it says it was
/// skipped, or fails under `ARTFLOW_REQUIRE_TOOLS=1`.
fn prerequisites() -> Option<PathBuf> {
    let shared = shared_dir(TEST);
    let mut missing = Vec::new();
    if shared.is_none() {
        missing.push("../shared (the real Jira data)".to_owned());
    }
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        missing.push("node (apt-get install nodejs npm)".to_owned());
    }
    let modules = repo().join("tests/browser/node_modules/playwright-core");
    if !modules.is_dir() {
        missing.push(format!(
            "{} (npm ci --prefix tests/browser)",
            modules.display()
        ));
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!(
            "{CHROMIUM} (apt-get install chromium chromium-driver)"
        ));
    }
    if missing.is_empty() {
        return shared;
    }
    let what = missing.join(", ");
    if std::env::var("ARTFLOW_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{TEST}: ARTFLOW_REQUIRE_TOOLS=1 but missing: {what}");
    }
    eprintln!("skipped {TEST}: missing {what}");
    None
}

/// A running `artflow serve`, killed when dropped; its standard error is kept for diagnostics.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(db_url: &str) -> Server {
        let mut child = Command::new(artflow_bin())
            .args(["--database-url", db_url, "serve", "--bind", "127.0.0.1:0"])
            .args(["--webhook-secret", SECRET, "--read-token", READ_TOKEN])
            .env_remove("DATABASE_URL")
            .env_remove("ARTFLOW_WEBHOOK_TOKEN")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("artflow serve starts");
        let stderr = child.stderr.take().expect("piped standard error");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        // The server says where it listens; the rest of its log is kept (and the pipe drained).
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on ").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let url = rest.split_whitespace().next().unwrap_or("");
                    let _ = tx.send(url.trim_end_matches([':', ',', ';']).to_owned());
                }
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        // A bound on a hung start, not a timing assertion.
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "artflow serve did not say where it listens:\n{}",
                    log.lock().expect("log lock")
                );
            }
        };
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "listening on {base:?}"
        );
        Server { child, base, log }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Applies the configuration and imports the four search responses, as real_data.rs does.
fn load(db_url: &str, shared: &Path) {
    let dir = shared.join("data/jira-real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/jira-real is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with("-search.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *-search.json in {}", dir.display());
    let config = dir.join("artflow.toml");
    artflow_ok(db_url, &["config", "apply", config.to_str().unwrap()]);
    let mut args = vec!["import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let imported = artflow_ok(db_url, &args);
    assert!(imported.contains(" applied"), "{imported}");
}

#[tokio::test]
async fn dashboard_shows_the_data_and_follows_a_webhook_without_a_reload() {
    let Some(shared) = prerequisites() else {
        return;
    };
    let db = TestDb::sqlite().await;
    load(&db.url, &shared);
    let server = Server::start(&db.url);

    let shots = artflow_bin()
        .parent()
        .expect("target/<profile>")
        .join("browser-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let script = repo().join("tests/browser/dashboard.test.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args([
            "--base",
            &server.base,
            "--secret",
            SECRET,
            "--read-token",
            READ_TOKEN,
        ])
        .arg("--screenshots")
        .arg(&shots)
        .arg("--chromium")
        .arg(CHROMIUM)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}\nserver log:\n{}",
        out.status,
        server.log()
    );
    assert!(stdout.contains("PASSED dashboard browser test"), "{stdout}");
    for shot in ["before.png", "after.png"] {
        let path = shots.join(shot);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("screenshot {} missing: {e}", path.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            path.display()
        );
    }
    println!("screenshots: {}", shots.display());
}
