//! The `artflow` binary as a user meets it: exit codes and messages for bad configurations,
//! unreadable input and bad events inside an import. (This integration test also makes cargo
//! build the binary that the workspace's end-to-end tests in `tests/` run.)

use std::path::PathBuf;
use std::process::{Command, Output};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "artflow-cli-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.join("artflow.db").display())
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_artflow"))
            .arg("--database-url")
            .arg(self.url())
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const CONFIG: &str = r#"
[[art]]
abbreviation = "OPS"
name = "Operations"
jira_program_key = "OPS"

[[art.pipeline]]
code = "OPS-FLOW"
name = "In progress to done"
rule = "status"
stages = ["To Do", "In Progress", "Done"]
start = "In Progress"
done = ["Done"]
active = ["In Progress"]
"#;

fn issue(id: u32, key: &str, histories: &str) -> String {
    format!(
        r#"{{"id":"{id}","key":"{key}","self":"https://ops.example.net/rest/api/2/issue/{id}",
        "fields":{{"project":{{"key":"OPS"}},"issuetype":{{"name":"Story"}},
        "status":{{"id":"3","name":"Done"}},"created":"2026-03-01T09:00:00.000+0100"}},
        "changelog":{{"startAt":0,"maxResults":2,"total":2,"histories":[{histories}]}}}}"#
    )
}

const HISTORIES: &str = r#"
 {"id":"102","created":"2026-03-05T17:30:00.000-0800","items":[{"field":"status","fieldtype":"jira","fieldId":"status","from":"2","fromString":"In Progress","to":"3","toString":"Done"}]},
 {"id":"101","created":"2026-03-02T10:00:00.000+0100","items":[{"field":"status","fieldtype":"jira","fieldId":"status","from":"1","fromString":"To Do","to":"2","toString":"In Progress"}]}"#;

#[test]
fn a_bad_configuration_names_the_file_the_entry_and_the_problem() {
    let s = Scratch::new("badconfig");
    let path = s.file(
        "bad.toml",
        &CONFIG.replace("start = \"In Progress\"", "start = \"Doing\""),
    );
    let out = s.run(&["config", "apply", &path]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("bad.toml") && err.contains("OPS-FLOW") && err.contains("\"Doing\""),
        "{err}"
    );

    let out = s.run(&[
        "config",
        "apply",
        &s.0.join("missing.toml").display().to_string(),
    ]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("missing.toml"), "{err}");

    let path = s.file("typo.toml", &CONFIG.replace("active =", "actve ="));
    let out = s.run(&["config", "check", &path]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("actve"), "{:?}", text(&out));
}

#[test]
fn unreadable_inputs_fail_and_bad_issues_are_skipped() {
    let s = Scratch::new("inputs");
    let config = s.file("artflow.toml", CONFIG);
    assert!(s.run(&["config", "apply", &config]).status.success());

    // One good issue and one without an id: the good one lands, the bad one is named.
    let search = s.file(
        "search.json",
        &format!(
            r#"{{"issues":[{},{{"key":"OPS-2","fields":{{}}}}]}}"#,
            issue(9001, "OPS-1", HISTORIES)
        ),
    );
    let out = s.run(&["import", &search]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("3 applied") && stdout.contains("skipped OPS-2"),
        "{stdout}"
    );
    assert!(stdout.contains("has no `id`"), "{stdout}");

    // Processed delivery ids are kept for the retention, then forgotten.
    let kept = s.run(&["prune", "--deliveries-older-than-days", "1"]);
    assert!(
        text(&kept).0.contains("forgot 0 delivery ids"),
        "{:?}",
        text(&kept)
    );
    let gone = s.run(&["prune", "--deliveries-older-than-days", "0"]);
    assert!(
        text(&gone).0.contains("forgot 3 delivery ids"),
        "{:?}",
        text(&gone)
    );
    let again = s.run(&["import", &search]);
    assert!(text(&again).0.contains("3 applied"), "{:?}", text(&again));

    let report = s.run(&["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let p = &json["arts"][0]["pipelines"][0];
    assert_eq!(p["count"], 1);
    assert_eq!(p["issues"], serde_json::json!(["OPS-1"]));
    // 2026-03-02T09:00Z → 2026-03-06T01:30Z
    assert_eq!(
        p["min_days"],
        serde_json::json!((3.0 * 86400.0 + 16.5 * 3600.0) / 86400.0)
    );

    // A file that is not JSON, and one that does not exist: non-zero, each named.
    let junk = s.file("junk.json", "{\"issues\": [");
    let missing = s.0.join("nope.json").display().to_string();
    let out = s.run(&["import", &junk, &missing, &search]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("junk.json") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nope.json") && stderr.contains("cannot read"),
        "{stderr}"
    );
    assert!(stdout.contains("3 duplicates"), "{stdout}");

    // Replay: a body that is not an issue change is skipped; a broken body fails the run.
    let comment = s.file(
        "comment.json",
        r#"{"timestamp":1770285600000,"webhookEvent":"comment_created","comment":{},"issue":{"id":"9001","key":"OPS-1"}}"#,
    );
    let out = s.run(&["replay", &comment]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("carries no issue change"));
    let broken = s.file("broken.json", "[]");
    let out = s.run(&["replay", &broken]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("JSON array, not an object"),
        "{:?}",
        text(&out)
    );

    let out = s.run(&["report", "--art", "NOPE"]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("\"NOPE\""));
}

#[test]
fn concurrent_imports_on_one_sqlite_file_all_land() {
    let s = Scratch::new("concurrent");
    let data = artflow::demo::generate(5);
    let config = s.file("artflow.toml", &data.config_toml);
    assert!(s.run(&["config", "apply", &config]).status.success());
    let files: Vec<String> = data
        .search_responses
        .iter()
        .map(|(name, doc)| s.file(name, &doc.to_string()))
        .collect();
    let mut args = vec!["--database-url".to_owned(), s.url(), "import".to_owned()];
    args.extend(files.iter().cloned());
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_artflow"))
                .args(&args)
                .env_remove("DATABASE_URL")
                .output()
        })
        .collect();
    let mut applied = 0;
    for out in children {
        let out = out.unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}{stderr}");
        assert!(stdout.contains(" 0 failed"), "{stdout}");
        let n: usize = stdout
            .split(" applied")
            .next()
            .and_then(|head| head.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        applied += n;
    }
    let once = s.run(&["import", &files[0]]);
    assert!(text(&once).0.contains(" 0 applied"), "{:?}", text(&once));
    assert!(applied > 1000, "{applied}");
}

#[test]
fn a_changed_rule_is_recomputed_and_prune_removes_what_the_file_drops() {
    let s = Scratch::new("reconfigure");
    let config = s.file("artflow.toml", CONFIG);
    assert!(s.run(&["config", "apply", &config]).status.success());
    let search = s.file(
        "search.json",
        &format!(r#"{{"issues":[{}]}}"#, issue(9001, "OPS-1", HISTORIES)),
    );
    assert!(s.run(&["import", &search]).status.success());
    let count = |s: &Scratch| {
        let out = s.run(&["report", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["arts"][0]["pipelines"][0]["count"].as_i64().unwrap()
    };
    assert_eq!(count(&s), 1);

    // A threshold above the issue's 3.7 days: recomputed from the stored issue, not counted.
    let stricter = s.file(
        "stricter.toml",
        &CONFIG.replace(
            "rule = \"status\"",
            "rule = \"status\"\nmin_lead_time_days = 5",
        ),
    );
    let out = s.run(&["config", "apply", &stricter]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("changed   pipeline OPS-FLOW: rule"),
        "{stdout}"
    );
    assert!(
        stdout.contains("recomputed from stored issues: OPS-FLOW"),
        "{stdout}"
    );
    assert_eq!(count(&s), 0);

    // Renaming the ART needs --prune; then the old one is gone and the new one has the figures.
    let renamed = s.file(
        "renamed.toml",
        &CONFIG
            .replace("abbreviation = \"OPS\"", "abbreviation = \"OPR\"")
            .replace("OPS-FLOW", "OPR-FLOW"),
    );
    let out = s.run(&["config", "apply", &renamed]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("--prune"), "{:?}", text(&out));
    let out = s.run(&["config", "apply", "--prune", &renamed]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("removed   pipeline OPS-FLOW") && stdout.contains("removed   ART OPS"),
        "{stdout}"
    );
    assert!(stdout.contains("added     ART OPR"), "{stdout}");
    let out = s.run(&["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["arts"].as_array().unwrap().len(), 1);
    assert_eq!(json["arts"][0]["abbreviation"], "OPR");
    assert_eq!(json["arts"][0]["pipelines"][0]["count"], 1);
}

#[test]
fn database_urls_never_print_their_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_artflow"))
        .args([
            "--database-url",
            "mariadb://root:TopSecret1@127.0.0.1:3306/x",
            "report",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        !stdout.contains("TopSecret1") && !stderr.contains("TopSecret1"),
        "{stderr}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_artflow"))
        .arg("--help")
        .env("DATABASE_URL", "mysql://app:TopSecret1@db:3306/x")
        .output()
        .unwrap();
    assert!(!text(&help).0.contains("TopSecret1"));
}

/// A done issue (as `issue`) resolved with `resolution`.
fn resolved(id: u32, key: &str, resolution: &str) -> String {
    issue(id, key, HISTORIES).replace(
        r#""status":{"id":"3","name":"Done"}"#,
        &format!(r#""status":{{"id":"3","name":"Done"}},"resolution":{{"name":"{resolution}"}}"#),
    )
}

/// An issue in progress since 2026-03-02T09:00Z.
fn in_progress(id: u32, key: &str) -> String {
    let started = HISTORIES.split("]},").nth(1).unwrap();
    issue(id, key, started)
        .replace(
            r#""status":{"id":"3","name":"Done"}"#,
            r#""status":{"id":"2","name":"In Progress"}"#,
        )
        .replace(r#""total":2"#, r#""total":1"#)
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(o)))
}

#[test]
fn a_report_window_covers_its_issues_and_the_table_names_it() {
    let s = Scratch::new("window");
    let config = s.file(
        "artflow.toml",
        &CONFIG.replace(
            "rule = \"status\"",
            "rule = \"status\"\nexclude_resolutions = [\"Won't Do\"]",
        ),
    );
    assert!(s.run(&["config", "apply", &config]).status.success());
    let search = s.file(
        "search.json",
        &format!(
            r#"{{"issues":[{},{},{}]}}"#,
            issue(9001, "OPS-1", HISTORIES),
            resolved(9003, "OPS-3", "Won't Do"),
            in_progress(9004, "OPS-4")
        ),
    );
    let out = s.run(&["import", &search]);
    assert!(out.status.success(), "{:?}", text(&out));

    // All time: OPS-1 counted, OPS-3 cancelled, OPS-4 in progress.
    let all = json_of(&s.run(&["report", "--format", "json"]));
    let p = &all["arts"][0]["pipelines"][0];
    assert_eq!(p["count"], 1);
    assert_eq!(p["issues"], serde_json::json!(["OPS-1"]));
    assert_eq!(p["not_counted"]["cancelled"], 1);

    // A window without completions lists no issue; one with OPS-1's end lists it.
    let empty = json_of(&s.run(&[
        "report",
        "--since",
        "2026-01-01",
        "--until",
        "2026-01-03",
        "--format",
        "json",
    ]));
    let p = &empty["arts"][0]["pipelines"][0];
    assert_eq!(p["count"], 0);
    assert_eq!(p["issues"], serde_json::json!([]));
    assert_eq!(p["wip"], 1, "WIP stays current");
    let march = json_of(&s.run(&["report", "--since", "2026-03-06", "--format", "json"]));
    assert_eq!(
        march["arts"][0]["pipelines"][0]["issues"],
        serde_json::json!(["OPS-1"])
    );
    let out = s.run(&[
        "report",
        "--since",
        "2026-01-01",
        "--until",
        "2026-01-03",
        "--format",
        "csv",
    ]);
    let csv = text(&out).0;
    assert!(csv.lines().nth(1).unwrap().ends_with(','), "{csv}");

    // The table counts the cancelled issue apart and names the window.
    let table = text(&s.run(&["report"])).0;
    assert!(table.contains("1 cancelled"), "{table}");
    assert!(!table.contains("completed"), "{table}");
    let table = text(&s.run(&["report", "--since", "2026-03-01", "--until", "2026-03-31"])).0;
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .contains("issues completed 2026-03-01 to 2026-03-31"),
        "{table}"
    );

    // The CSV carries the JSON's flat figures.
    let csv = text(&s.run(&["report", "--format", "csv"])).0;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), row.len(), "{csv}");
    let cell = |name: &str| {
        let i = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {csv}"));
        row[i]
    };
    assert_eq!(cell("cancelled"), "1");
    assert_eq!(cell("throughput_total"), "1");
    assert_eq!(cell("stddev_days"), "0");
    assert_eq!(cell("p70_days"), cell("p50_days"));
    assert_eq!(cell("reopens"), "0");
    assert_eq!(cell("backward_moves"), "0");
    assert_eq!(cell("reworked"), "0");
    assert_eq!(cell("mean_rework_days"), "");
    assert_eq!(cell("issues"), "OPS-1");

    // Ages are measured at the start of the current UTC hour, as the API measures them.
    let as_of = all["as_of"].as_str().unwrap();
    let aging = &all["arts"][0]["pipelines"][0]["aging"];
    assert_eq!(aging["as_of"], as_of);
    let t = chrono::DateTime::parse_from_rfc3339(as_of).unwrap();
    assert_eq!(t.timestamp_millis() % 3_600_000, 0, "{as_of}");
    let started = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap();
    assert_eq!(aging["issues"][0]["key"], "OPS-4");
    assert_eq!(
        aging["issues"][0]["age_days"],
        serde_json::json!((t - started).num_milliseconds() as f64 / 86_400_000.0)
    );

    // A reversed window names the options; --quality takes no window.
    let out = s.run(&["report", "--since", "2026-03-02", "--until", "2026-03-01"]);
    let err = text(&out).1;
    assert!(!out.status.success());
    assert!(
        err.contains("--since 2026-03-02 is after --until 2026-03-01")
            && !err.contains("completed_"),
        "{err}"
    );
    let out = s.run(&["report", "--quality", "--since", "2026-03-01"]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("'--quality' cannot be used with"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn migrate_names_what_it_applied() {
    let s = Scratch::new("migrate");
    let first = text(&s.run(&["migrate"])).0;
    assert!(
        first.contains("applied") && first.contains("m20261203_000001_create_store"),
        "{first}"
    );
    let again = text(&s.run(&["migrate"])).0;
    assert!(again.contains("already up to date"), "{again}");
}

#[test]
fn bad_options_are_refused_with_what_to_write() {
    let s = Scratch::new("options");
    let path = s.file(
        "uber.toml",
        &CONFIG.replace("abbreviation = \"OPS\"", "abbreviation = \"ÜBER\""),
    );
    let out = s.run(&["config", "check", &path]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("ASCII letters"), "{:?}", text(&out));

    let refused = |args: &[&str], env: Option<(&str, &str)>, needle: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_artflow"));
        cmd.arg("--database-url")
            .arg(s.url())
            .args(["serve", "--bind", "127.0.0.1:0", "--insecure-no-auth"])
            .args(args);
        for v in [
            "ARTFLOW_READ_TOKEN",
            "ARTFLOW_ADMIN_TOKEN",
            "ARTFLOW_WEBHOOK_TOKEN",
            "ARTFLOW_WEBHOOK_SECRET",
        ] {
            cmd.env_remove(v);
        }
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{args:?} {env:?} was accepted");
        let err = text(&out).1;
        assert!(err.contains(needle), "{args:?} {env:?}: {err}");
    };
    refused(&["--cors-origin", "*"], None, "name each origin");
    refused(
        &["--cors-origin", "https://dash.example.com/app"],
        None,
        "scheme://host[:port]",
    );
    refused(
        &["--cors-origin", "dash.example.com"],
        None,
        "scheme://host",
    );
    refused(&["--read-token", ""], None, "--read-token");
    refused(&["--admin-token", ""], None, "--admin-token");
    refused(&["--webhook-token", ""], None, "--webhook-token");
    refused(&[], Some(("ARTFLOW_READ_TOKEN", "")), "--read-token");
    refused(&[], Some(("ARTFLOW_WEBHOOK_TOKEN", "")), "--webhook-token");

    // Unset variables show no empty value in the help.
    for sub in ["serve", "process", "backfill"] {
        let help = Command::new(env!("CARGO_BIN_EXE_artflow"))
            .args([sub, "--help"])
            .env_remove("QUEUE_URL")
            .env_remove("JIRA_URL")
            .output()
            .unwrap();
        let help = text(&help).0;
        assert!(help.contains("[env: "), "{help}");
        assert!(!help.contains("=]"), "{help}");
    }
}

/// `artflow serve` on the scratch database with an admin token; the child and its base URL.
fn serve(s: &Scratch, extra: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_artflow"))
        .arg("--database-url")
        .arg(s.url())
        .args(["serve", "--bind", "127.0.0.1:0", "--insecure-no-auth"])
        .args(extra)
        .env_remove("ARTFLOW_READ_TOKEN")
        .env_remove("ARTFLOW_ADMIN_TOKEN")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = String::new();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if let Some(rest) = line.split("serving on ").nth(1) {
            base = Some(rest.split(':').take(3).collect::<Vec<_>>().join(":"));
        }
        if line.starts_with("admin route") {
            break;
        }
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let base = base.unwrap_or_else(|| panic!("no address in {said}"));
    (child, base, said)
}

#[test]
fn config_apply_dry_run_changes_nothing_locally_or_through_the_api() {
    let s = Scratch::new("dryrun");
    let config = s.file("artflow.toml", CONFIG);
    assert!(s.run(&["config", "apply", &config]).status.success());
    let renamed = s.file(
        "renamed.toml",
        &CONFIG
            .replace("abbreviation = \"OPS\"", "abbreviation = \"OPR\"")
            .replace("OPS-FLOW", "OPR-FLOW"),
    );
    let arts = |s: &Scratch| {
        json_of(&s.run(&["report", "--format", "json"]))["arts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["abbreviation"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let expected = [
        "  remove  pipeline OPS-FLOW",
        "  remove  ART OPS",
        "  add     ART OPR",
        "  add     pipeline OPR-FLOW",
        "  recompute from stored issues: OPR-FLOW",
    ];
    let lines = |stdout: &str| {
        stdout
            .lines()
            .filter(|l| l.starts_with("  "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    let out = s.run(&["config", "apply", "--prune", "--dry-run", &renamed]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("dry run: nothing was changed"),
        "{stdout}"
    );
    assert_eq!(lines(&stdout), expected, "{stdout}");
    assert_eq!(arts(&s), ["OPS"]);

    // Through PUT /admin/config?dry_run=true: the same lines, and still nothing changed.
    let (mut child, base, said) = serve(&s, &["--admin-token", "admin-t"]);
    assert!(
        said.contains("admin route PUT /admin/config: enabled"),
        "{said}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_artflow"))
        .args(["config", "apply", "--prune", "--dry-run", &renamed])
        .args(["--api", &base, "--admin-token", "admin-t"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&base), "{stdout}");
    assert_eq!(lines(&stdout), expected, "{stdout}");
    assert_eq!(arts(&s), ["OPS"]);

    // Without the admin token the route is off, and serve says so; an origin's trailing slash
    // is dropped (browsers send none).
    let (mut child, _, said) = serve(&s, &["--cors-origin", "https://Dash.example.com/"]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        said.contains("admin route PUT /admin/config: disabled"),
        "{said}"
    );
    assert!(
        said.contains("CORS origins: https://dash.example.com\n"),
        "{said}"
    );
}
