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
