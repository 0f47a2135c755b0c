//! The read API under load: `artflow serve` (release binary) on MariaDB with 100 ARTs and 10
//! pipeline configurations each, `GET /arts/{abbr}/pipeline-efficiency` rotated over every ART by
//! `wrk`. One command builds what it needs, loads the data, measures and cleans up:
//!
//! ```sh
//! TEST_MYSQL_URL=mysql://root@127.0.0.1:3306 cargo bench -p artflow-tests --bench api_load
//! ```
//!
//! The data: 25 copies of the generated demo dataset (`artflow::demo::generate`, seeds 1 to 25),
//! each on a Jira site of its own with its projects re-keyed (`PAY` → `PAY07`, its issue `PAY-12`
//! → `PAY07-12`), so that its four trains become four distinct ARTs; with ten configurations
//! each, status and field rules mixed. It goes in through the real event path: `artflow config
//! apply`, `artflow import` (the search responses) and `artflow replay` (the deletions).
//!
//! Measured: the cold run (the first request for each ART renders from MariaDB; the time to warm
//! all 100), then wrk runs of plain GETs (200 from the cache) and of GETs carrying each ART's
//! ETag in `If-None-Match` (304), and the server's peak RSS (VmHWM). Settings:
//! `ARTFLOW_BENCH_SECONDS` (per wrk run, 15), `ARTFLOW_BENCH_LOADS` (wrk `threads:connections`
//! pairs, `1:32,2:64`). Figures go to BENCHMARKS.md; nothing here is a timed assertion, but a
//! wrong status or a failed command stops the bench.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use artflow_tests::support::{artflow_bin, artflow_ok, http};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

/// Copies of the demo dataset; each holds four ARTs.
const COPIES: usize = 25;
/// The demo's Jira projects (FAC belongs to no ART).
const PROJECTS: [&str; 7] = ["PAY", "PAYT", "MOB", "DATA", "DATAT", "OPS", "FAC"];
const WRK: &str = "/usr/bin/wrk";

// ---------------------------------------------------------------------------------------------
// The data

/// Copy `copy` of a demo document: its own Jira site and its own project keys.
fn rekey(v: &mut Value, copy: usize) {
    match v {
        Value::String(s) => {
            if s.contains("demo-train.atlassian.net") {
                *s = s.replace(
                    "demo-train.atlassian.net",
                    &format!("train-{copy:02}.atlassian.net"),
                );
            } else if PROJECTS.contains(&s.as_str()) {
                s.push_str(&format!("{copy:02}"));
            } else if let Some((project, number)) = s.split_once('-')
                && PROJECTS.contains(&project)
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
            {
                *s = format!("{project}{copy:02}-{number}");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rekey(x, copy)),
        Value::Object(o) => o.values_mut().for_each(|x| rekey(x, copy)),
        _ => {}
    }
}

const SAFE: &str =
    r#"["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]"#;
const OPS: &str = r#"["Intake", "Triage", "Ready", "In Progress", "Verification", "Deploying", "Closed", "Won't Do"]"#;

/// One pipeline: (code suffix, name, TOML body after `rule`).
type Pipeline = (&'static str, &'static str, String);

/// Ten configurations of a train on the SAFe program/team workflow.
fn safe_pipelines() -> Vec<Pipeline> {
    let status = |types: &str, start: &str, done: &str, active: &str, min: Option<u32>| {
        let mut s = String::from("rule = \"status\"\n");
        if !types.is_empty() {
            writeln!(s, "issue_types = {types}").unwrap();
        }
        if let Some(m) = min {
            writeln!(s, "min_lead_time_days = {m}").unwrap();
        }
        write!(
            s,
            "stages = {SAFE}\nstart = \"{start}\"\ndone = {done}\nactive = {active}\n"
        )
        .unwrap();
        s
    };
    let field = |types: &str, min: Option<u32>| {
        let mut s = String::from("rule = \"field\"\n");
        if !types.is_empty() {
            writeln!(s, "issue_types = {types}").unwrap();
        }
        if let Some(m) = min {
            writeln!(s, "min_lead_time_days = {m}").unwrap();
        }
        s.push_str("start_field = \"customfield_10050\"\nend_field = \"customfield_10051\"\n");
        s
    };
    let fe = r#"["Feature", "Enabler"]"#;
    let sb = r#"["Story", "Bug"]"#;
    vec![
        (
            "FLOW",
            "Features and enablers: Analyzing to Done",
            status(
                fe,
                "Analyzing",
                r#"["Done"]"#,
                r#"["Analyzing", "Implementing", "Releasing"]"#,
                None,
            ),
        ),
        (
            "FEATURES",
            "Features over 5 days: Analyzing to Done",
            status(
                r#"["Feature"]"#,
                "Analyzing",
                r#"["Done"]"#,
                r#"["Analyzing", "Implementing", "Releasing"]"#,
                Some(5),
            ),
        ),
        (
            "ENABLERS",
            "Enablers: Implementing to Done",
            status(
                r#"["Enabler"]"#,
                "Implementing",
                r#"["Done"]"#,
                r#"["Implementing", "Releasing"]"#,
                None,
            ),
        ),
        (
            "TEAM",
            "Stories and bugs: Implementing to Done",
            status(
                sb,
                "Implementing",
                r#"["Done"]"#,
                r#"["Implementing"]"#,
                None,
            ),
        ),
        (
            "BUGS",
            "Bugs: Backlog to Done",
            status(
                r#"["Bug"]"#,
                "Backlog",
                r#"["Done"]"#,
                r#"["Implementing", "Validating"]"#,
                None,
            ),
        ),
        (
            "ALL",
            "Everything: Funnel to Done",
            status(
                "",
                "Funnel",
                r#"["Done"]"#,
                r#"["Analyzing", "Implementing", "Validating", "Releasing"]"#,
                None,
            ),
        ),
        (
            "RELEASE",
            "Features and enablers: Implementing to Releasing or Done",
            status(
                fe,
                "Implementing",
                r#"["Releasing", "Done"]"#,
                r#"["Implementing"]"#,
                None,
            ),
        ),
        (
            "FIELDS",
            "Analysis Start to Release Date (date fields)",
            field(fe, None),
        ),
        (
            "OLDJOB",
            "As the old nightly job: date fields, over 5 days",
            field("", Some(5)),
        ),
        (
            "FIELDS-FEAT",
            "Features: date fields, over 1 day",
            field(r#"["Feature"]"#, Some(1)),
        ),
    ]
}

/// Ten configurations of a train on the Operations workflow (other stage names).
fn ops_pipelines() -> Vec<Pipeline> {
    let status = |types: &str, start: &str, done: &str, active: &str, min: Option<u32>| {
        let mut s = String::from("rule = \"status\"\n");
        if !types.is_empty() {
            writeln!(s, "issue_types = {types}").unwrap();
        }
        if let Some(m) = min {
            writeln!(s, "min_lead_time_days = {m}").unwrap();
        }
        write!(
            s,
            "stages = {OPS}\nstart = \"{start}\"\ndone = {done}\nactive = {active}\n"
        )
        .unwrap();
        s
    };
    let closed = r#"["Closed", "Won't Do"]"#;
    vec![
        ("FLOW", "Triage to Closed", status("", "Triage", closed, r#"["Triage", "In Progress", "Deploying"]"#, None)),
        ("ENABLERS", "Enablers: In Progress to Closed", status(r#"["Enabler"]"#, "In Progress", r#"["Closed"]"#, r#"["In Progress", "Deploying"]"#, None)),
        ("FEATURES", "Features: Triage to Closed", status(r#"["Feature"]"#, "Triage", r#"["Closed"]"#, r#"["Triage", "In Progress", "Deploying"]"#, None)),
        ("STORIES", "Stories: Ready to Closed", status(r#"["Story"]"#, "Ready", r#"["Closed"]"#, r#"["In Progress"]"#, None)),
        ("BUGS", "Bugs: In Progress to Closed", status(r#"["Bug"]"#, "In Progress", closed, r#"["In Progress", "Verification"]"#, None)),
        ("INTAKE", "Everything: Intake to Closed", status("", "Intake", closed, r#"["Triage", "In Progress", "Verification", "Deploying"]"#, None)),
        ("SLOW", "Over 5 days: Triage to Closed", status("", "Triage", closed, r#"["In Progress"]"#, Some(5))),
        ("DEPLOY", "In Progress to Deploying or Closed", status("", "In Progress", r#"["Deploying", "Closed"]"#, r#"["In Progress"]"#, None)),
        ("FIELDS", "Analysis Start to Release Date (date fields)", "rule = \"field\"\nstart_field = \"customfield_10050\"\nend_field = \"customfield_10051\"\n".into()),
        ("OLDJOB", "As the old nightly job: date fields, over 5 days", "rule = \"field\"\nmin_lead_time_days = 5\nstart_field = \"customfield_10050\"\nend_field = \"customfield_10051\"\n".into()),
    ]
}

/// The configuration: four ARTs per copy (Payments, Mobile, Data Platform, Operations), ten
/// pipelines each. Returns the TOML and the abbreviations.
fn config_toml() -> (String, Vec<String>) {
    let mut toml = String::from("# api_load bench: 100 ARTs, 10 pipeline configurations each.\n");
    let mut arts = Vec::new();
    for copy in 0..COPIES {
        let trains = [
            ("PAY", "Payments", Some("PAYT"), false),
            ("MOB", "Mobile", None, false),
            ("DATA", "Data Platform", Some("DATAT"), false),
            ("OPS", "Operations", None, true),
        ];
        for (key, name, team, ops) in trains {
            let abbr = format!("{key}{copy:02}");
            write!(
                toml,
                "\n[[art]]\nabbreviation = \"{abbr}\"\nname = \"{name} {copy:02}\"\n\
                 jira_program_key = \"{abbr}\"\n"
            )
            .unwrap();
            if let Some(t) = team {
                writeln!(toml, "jira_team_key = \"{t}{copy:02}\"").unwrap();
            }
            let pipelines = if ops {
                ops_pipelines()
            } else {
                safe_pipelines()
            };
            for (code, pname, body) in pipelines {
                write!(
                    toml,
                    "\n[[art.pipeline]]\ncode = \"{abbr}-{code}\"\nname = \"{pname}\"\n{body}"
                )
                .unwrap();
            }
            arts.push(abbr);
        }
    }
    (toml, arts)
}

/// Writes the configuration, the search responses and the deletion webhooks (JSON lines) of
/// every copy into `dir`; returns the abbreviations, the search files, the webhook file and the
/// number of issues.
fn write_data(dir: &Path) -> (Vec<String>, Vec<PathBuf>, PathBuf, usize) {
    let (toml, arts) = config_toml();
    domain::parse_config("the bench configuration", &toml).expect("the generated TOML is valid");
    std::fs::write(dir.join("artflow.toml"), toml).unwrap();
    let mut files = Vec::new();
    let mut hooks = String::new();
    let mut issues = 0;
    for copy in 0..COPIES {
        let mut data = artflow::demo::generate(copy as u64 + 1);
        for (name, doc) in data.search_responses.iter_mut() {
            rekey(doc, copy);
            issues += doc["issues"].as_array().map_or(0, Vec::len);
            let path = dir.join(format!("{copy:02}-{name}"));
            std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
            files.push(path);
        }
        for w in data.webhooks.iter_mut() {
            rekey(w, copy);
            hooks.push_str(&serde_json::to_string(w).unwrap());
            hooks.push('\n');
        }
    }
    let hooks_path = dir.join("deletions.jsonl");
    std::fs::write(&hooks_path, hooks).unwrap();
    (arts, files, hooks_path, issues)
}

// ---------------------------------------------------------------------------------------------
// The database, the server and the clean-up

/// A fresh MariaDB database, dropped at the end (also on a panic).
struct BenchDb {
    server: String,
    name: String,
    url: String,
}

impl BenchDb {
    async fn create(server: &str) -> BenchDb {
        let server = server.trim_end_matches('/').to_owned();
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!("artflow_bench_{}_{secs}", std::process::id());
        let admin = Database::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("TEST_MYSQL_URL {server} does not answer: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .await
            .expect("create the bench database");
        admin.close().await.ok();
        BenchDb {
            url: format!("{server}/{name}"),
            server,
            name,
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
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
        eprintln!("dropped database {}", self.name);
    }
}

/// `artflow serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A line of /proc/PID/status (e.g. `VmHWM`), in kB.
    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }

    /// CPU time (user + system) the server has used so far, in seconds.
    fn cpu_seconds(&self, ticks: f64) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name (which is in parentheses): state is field 3, utime 14.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        let utime: f64 = f[11].parse().unwrap();
        let stime: f64 = f[12].parse().unwrap();
        (utime + stime) / ticks
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_server(url: &str, log: &Path) -> Server {
    let port = free_port();
    let child = Command::new(artflow_bin())
        .arg("--database-url")
        .arg(url)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--insecure-no-auth",
        ])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("artflow serve starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http(&server.base, "GET", "/healthz", &[], b"").await
            && r.status == 200
        {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "artflow serve did not answer within 30 s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// wrk

/// The Lua script: every thread walks the 100 ARTs' requests in turn (from a random offset), each
/// request built once; with ETags, each carries its ART's in `If-None-Match`.
fn wrk_script(paths: &[String], etags: Option<&[String]>) -> String {
    let mut s = String::from("local paths = {\n");
    for p in paths {
        writeln!(s, "  {p:?},").unwrap();
    }
    s.push_str("}\nlocal etags = ");
    match etags {
        None => s.push_str("nil\n"),
        Some(tags) => {
            s.push_str("{\n");
            for t in tags {
                // ETags are `"<16 hex digits>"`: a Lua long string keeps the quotes.
                writeln!(s, "  [[{t}]],").unwrap();
            }
            s.push_str("}\n");
        }
    }
    s.push_str(
        r#"local requests = {}
local i = 0
function init(args)
  for n, p in ipairs(paths) do
    if etags then
      requests[n] = wrk.format("GET", p, { ["If-None-Match"] = etags[n] })
    else
      requests[n] = wrk.format("GET", p)
    end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  i = math.random(#requests) - 1
end
function request()
  i = i % #requests + 1
  return requests[i]
end
"#,
    );
    s
}

struct WrkRun {
    threads: u32,
    connections: u32,
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: String,
    bad_status: u64,
    transfer: String,
    server_cpu: f64,
}

/// A wrk latency figure (`812.00us`, `1.20ms`, `2.01s`) in milliseconds.
fn wrk_ms(s: &str) -> f64 {
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().unwrap_or(f64::NAN) * factor
}

fn run_wrk(
    server: &Server,
    script: &Path,
    path0: &str,
    threads: u32,
    connections: u32,
    seconds: u64,
    ticks: f64,
) -> WrkRun {
    let cpu_before = server.cpu_seconds(ticks);
    let started = Instant::now();
    let out = Command::new(WRK)
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(format!("{}{path0}", server.base))
        .output()
        .expect("wrk runs");
    let wall = started.elapsed().as_secs_f64();
    let server_cpu = (server.cpu_seconds(ticks) - cpu_before) / wall;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrk failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = |prefix: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_owned()))
    };
    let pct = |p: &str| wrk_ms(&after(p).unwrap_or_default());
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    WrkRun {
        threads,
        connections,
        requests,
        rps: after("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        p50_ms: pct("50%"),
        p90_ms: pct("90%"),
        p99_ms: pct("99%"),
        max_ms: text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Latency"))
            .and_then(|r| r.split_whitespace().nth(2).map(wrk_ms))
            .unwrap_or(f64::NAN),
        errors: after("Socket errors:").unwrap_or_else(|| "none".into()),
        bad_status: after("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        transfer: after("Transfer/sec:").unwrap_or_default(),
        server_cpu,
    }
}

fn print_run(what: &str, r: &WrkRun) {
    println!(
        "{what:<28} -t{} -c{:<3}: {:>9.0} req/s  p50 {:>6.3} ms  p90 {:>6.3} ms  p99 {:>6.3} ms  \
         max {:>7.2} ms  ({} requests, {}/s, server CPU {:.0}%, socket errors: {}, \
         non-2xx/3xx: {})",
        r.threads,
        r.connections,
        r.rps,
        r.p50_ms,
        r.p90_ms,
        r.p99_ms,
        r.max_ms,
        r.requests,
        r.transfer,
        r.server_cpu * 100.0,
        r.errors,
        r.bad_status
    );
}

// ---------------------------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn loads() -> Vec<(u32, u32)> {
    let spec = std::env::var("ARTFLOW_BENCH_LOADS").unwrap_or_else(|_| "1:32,2:64".into());
    spec.split(',')
        .map(|pair| {
            let (t, c) = pair
                .trim()
                .split_once(':')
                .and_then(|(t, c)| Some((t.parse().ok()?, c.parse().ok()?)))
                .unwrap_or_else(|| {
                    panic!("ARTFLOW_BENCH_LOADS: {pair:?} is not threads:connections, e.g. 2:64")
                });
            (t, c)
        })
        .collect()
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Ok(mysql) = std::env::var("TEST_MYSQL_URL") else {
        eprintln!("api_load bench skipped: set TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306)");
        return;
    };
    if !Path::new(WRK).exists() {
        eprintln!("api_load bench skipped: {WRK} not found (apt-get install wrk)");
        return;
    }
    let seconds: u64 = std::env::var("ARTFLOW_BENCH_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("ARTFLOW_BENCH_SECONDS: a number of seconds")
        })
        .unwrap_or(15);
    let loads = loads();

    // The release binary, built by the same cargo into the same target directory.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "artflow"])
        .current_dir(&workspace)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release -p artflow failed");
    println!("server: {}", artflow_bin().display());

    let dir = std::env::temp_dir().join(format!("artflow-api-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    struct RemoveDir(PathBuf);
    impl Drop for RemoveDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _dir_guard = RemoveDir(dir.clone());

    let (arts, files, hooks, issues) = write_data(&dir);
    let db = BenchDb::create(&mysql).await;
    println!(
        "database {}: {} ARTs × 10 configurations, {issues} issues in {} search responses",
        db.name,
        arts.len(),
        files.len()
    );

    // Load through the event path.
    let started = Instant::now();
    let toml = dir.join("artflow.toml");
    let out = artflow_ok(&db.url, &["config", "apply", toml.to_str().unwrap()]);
    println!(
        "config apply: {} lines of changes in {:.1} s",
        out.lines().count(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut args = vec!["import".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = artflow_ok(&db.url, &args);
    println!(
        "import ({:.1} s): {}",
        started.elapsed().as_secs_f64(),
        out.lines().next().unwrap_or("")
    );
    let started = Instant::now();
    let out = artflow_ok(&db.url, &["replay", hooks.to_str().unwrap()]);
    println!(
        "replay of the deletions ({:.1} s): {}",
        started.elapsed().as_secs_f64(),
        out.lines().next().unwrap_or("")
    );

    let server = start_server(&db.url, &dir.join("serve.log")).await;
    println!(
        "artflow serve pid {} on {} (freshness 1000 ms); RSS after start {} MB",
        server.pid(),
        server.base,
        server.status_kb("VmRSS") / 1024
    );
    let paths: Vec<String> = arts
        .iter()
        .map(|a| format!("/arts/{a}/pipeline-efficiency"))
        .collect();

    // Cold: the first request for each ART renders from MariaDB. One at a time, new connections.
    let mut etags = Vec::with_capacity(paths.len());
    let mut cold = Vec::with_capacity(paths.len());
    let mut bytes = Vec::with_capacity(paths.len());
    let started = Instant::now();
    for p in &paths {
        let t = Instant::now();
        let r = http(&server.base, "GET", p, &[], b"").await.unwrap();
        cold.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        let configs = r.json()["pipelines"].as_array().map_or(0, Vec::len);
        assert_eq!(configs, 10, "{p}: {}", r.body);
        bytes.push(r.body.len());
        etags.push(r.header("etag").expect("an ETag").to_owned());
    }
    let warm_all = started.elapsed().as_secs_f64() * 1e3;
    // The same again: now from the cache.
    let mut warm = Vec::with_capacity(paths.len());
    for (p, tag) in paths.iter().zip(&etags) {
        let t = Instant::now();
        let r = http(&server.base, "GET", p, &[], b"").await.unwrap();
        warm.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("etag"), Some(tag.as_str()), "{p}: the ETag moved");
        let r = http(&server.base, "GET", p, &[("If-None-Match", tag)], b"")
            .await
            .unwrap();
        assert_eq!(r.status, 304, "{p} with its ETag");
    }
    cold.sort_by(f64::total_cmp);
    warm.sort_by(f64::total_cmp);
    bytes.sort();
    println!(
        "cold: all 100 ARTs warmed in {warm_all:.0} ms, one request at a time (per request p50 \
         {:.1} ms, max {:.1} ms; the same requests from the cache: p50 {:.2} ms); bodies {}–{} \
         bytes",
        percentile(&cold, 50.0),
        cold[cold.len() - 1],
        percentile(&warm, 50.0),
        bytes[0],
        bytes[bytes.len() - 1]
    );

    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0);
    let plain = dir.join("get.lua");
    std::fs::write(&plain, wrk_script(&paths, None)).unwrap();
    let revalidate = dir.join("if-none-match.lua");
    std::fs::write(&revalidate, wrk_script(&paths, Some(&etags))).unwrap();

    // A short warm-up of the connections and the allocator, not reported.
    run_wrk(&server, &plain, &paths[0], 1, 8, 3, ticks);
    let mut runs = Vec::new();
    for &(t, c) in &loads {
        let r = run_wrk(&server, &plain, &paths[0], t, c, seconds, ticks);
        print_run("GET (200 from the cache)", &r);
        runs.push(r);
        let r = run_wrk(&server, &revalidate, &paths[0], t, c, seconds, ticks);
        print_run("GET If-None-Match (304)", &r);
        runs.push(r);
    }
    // Every status was 200 or 304 (wrk counts the others); the ETags still match.
    for r in &runs {
        assert_eq!(r.bad_status, 0, "wrk saw responses other than 2xx/3xx");
    }
    for (p, tag) in paths.iter().zip(&etags) {
        let r = http(&server.base, "GET", p, &[("If-None-Match", tag)], b"")
            .await
            .unwrap();
        assert_eq!(r.status, 304, "{p}: the data changed during the bench");
    }
    println!(
        "server peak RSS (VmHWM): {:.1} MB; RSS now {:.1} MB",
        server.status_kb("VmHWM") as f64 / 1024.0,
        server.status_kb("VmRSS") as f64 / 1024.0
    );
    println!(
        "machine: {} cores shared by wrk and the server (and MariaDB)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    drop(server);
}
