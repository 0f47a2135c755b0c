//! `artflow backfill` and the reconcile handler against a Jira stand-in serving the real
//! histories of `../shared/data/jira-real` in both paging styles (several pages, one 429 with
//! `Retry-After: 1`, one changelog cut in the search answer and longer than a changelog page):
//! the figures equal those of `artflow import` of the same files, and a second run, or a run
//! after the import, changes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use artflow_tests::jira::{
    CHANGELOG_PAGE, CLOUD_EMAIL, CLOUD_TOKEN, DC_PAT, RecordedJira, issues_of,
};
use artflow_tests::moto::Moto;
use artflow_tests::support::{TestDb, artflow_bin, artflow_ok, comparable, shared_dir};
use backfill::reconcile::Reconciler;
use backfill::{Credentials, Flavor, Jira};
use serde_json::Value;

/// The recorded search responses and their configuration; `None` (skipped) without ../shared.
fn data(test: &str) -> Option<(PathBuf, Vec<PathBuf>, Vec<Value>)> {
    let dir = shared_dir(test)?.join("data/jira-real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/jira-real is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with("-search.json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "four search responses in {}", dir.display());
    let docs = files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).expect("read")).expect("JSON"))
        .collect();
    Some((dir.join("artflow.toml"), files, docs))
}

/// `artflow --database-url URL ARGS` with these Jira credentials (and no others from the
/// environment), run off the async runtime so the stand-in keeps answering.
async fn artflow_with(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(artflow_bin());
    cmd.arg("--database-url").arg(url).args(args);
    for name in [
        "DATABASE_URL",
        "JIRA_URL",
        "JIRA_EMAIL",
        "JIRA_API_TOKEN",
        "JIRA_PAT",
        "JIRA_AUTH_SECRET_ARN",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("artflow runs"))
        .await
        .expect("join")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn backfill_ok(url: &str, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut all = vec!["backfill"];
    all.extend(args);
    let out = artflow_with(url, &all, env).await;
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "artflow {all:?} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

fn report(url: &str) -> Value {
    comparable(
        serde_json::from_str(&artflow_ok(url, &["report", "--format", "json"]))
            .expect("report JSON"),
    )
}

/// The database after `config apply` and `import` of the files: its report.
fn imported(url: &str, config: &Path, files: &[PathBuf]) -> Value {
    artflow_ok(url, &["config", "apply", config.to_str().unwrap()]);
    let mut args = vec!["import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = artflow_ok(url, &args);
    assert!(out.contains("428 events: 428 applied"), "{out}");
    report(url)
}

/// A search request answered 429 and then the same request answered 200.
fn retried_after_429(jira: &RecordedJira) -> bool {
    let seen = jira.seen();
    seen.iter().enumerate().any(|(i, s)| {
        s.status == 429
            && seen[i + 1..]
                .iter()
                .any(|later| later.uri == s.uri && later.status == 200)
    })
}

/// The whole check for one flavor: backfill into a fresh database equals import; a second
/// backfill, and a backfill after an import, change nothing; the 429 was waited out; the cut
/// changelog was fetched whole.
async fn backfill_equals_import(
    test: &str,
    mysql: bool,
    flavor: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    jql: &str,
) {
    let Some((config, files, docs)) = data(test) else {
        return;
    };
    let fresh_db = || async {
        if mysql {
            TestDb::mysql(test).await
        } else {
            Some(TestDb::sqlite().await)
        }
    };
    let (Some(by_import), Some(fresh)) = (fresh_db().await, fresh_db().await) else {
        return;
    };
    let jira = RecordedJira::start(issues_of(&docs), Some(2)).await;
    let cut = jira.cut.clone().expect("one history is longer than a page");
    let mut args = vec![
        "--jira-url",
        jira.base(),
        "--flavor",
        flavor,
        "--page-size",
        "7",
    ];
    args.extend(extra);

    let expected = imported(&by_import.url, &config, &files);

    artflow_ok(&fresh.url, &["config", "apply", config.to_str().unwrap()]);
    let (out, err) = backfill_ok(&fresh.url, &args, env).await;
    assert!(
        out.contains("7 page(s) from ")
            && out
                .contains("45 issues, 428 events: 428 applied, 0 duplicates, 1 skipped, 0 failed"),
        "{out}"
    );
    assert!(
        out.contains("1 changelog(s) longer than the search gave"),
        "{out}"
    );
    assert!(out.contains("skipped CONTRIB-4"), "{out}");
    assert!(!out.contains("history incomplete"), "{out}");
    // Not a terminal: one progress line per page.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("page ")).count(),
        7,
        "{err}"
    );
    assert!(err.contains("page 7: 45"), "{err}");
    assert_eq!(report(&fresh.url), expected);
    assert!(retried_after_429(&jira), "{:#?}", jira.seen());
    assert!(jira.jqls().iter().all(|j| j == jql), "{:?}", jira.jqls());

    // Again: all duplicates, the same figures.
    let (again, _) = backfill_ok(&fresh.url, &args, env).await;
    assert!(
        again.contains("428 events: 0 applied, 428 duplicates"),
        "{again}"
    );
    assert_eq!(report(&fresh.url), expected);

    // After an import of the same histories: nothing new either.
    let (after, _) = backfill_ok(&by_import.url, &args, env).await;
    assert!(
        after.contains("428 events: 0 applied, 428 duplicates"),
        "{after}"
    );
    assert_eq!(report(&by_import.url), expected);

    // The cut issue's whole changelog was asked for, each time.
    let cut_id = docs
        .iter()
        .flat_map(|d| d["issues"].as_array().unwrap())
        .find(|i| i["key"] == cut.as_str())
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .unwrap();
    let asked: Vec<String> = jira
        .seen()
        .into_iter()
        .filter(|s| s.uri.contains(&format!("/issue/{cut_id}")))
        .map(|s| s.uri)
        .collect();
    assert!(!asked.is_empty());
    if flavor == "cloud" {
        // 71 histories in pages of 25: three requests a run.
        let histories = docs
            .iter()
            .flat_map(|d| d["issues"].as_array().unwrap())
            .find(|i| i["key"] == cut.as_str())
            .map(|i| i["changelog"]["histories"].as_array().unwrap().len())
            .unwrap();
        assert!(histories > CHANGELOG_PAGE);
        assert_eq!(
            asked.len(),
            3 * histories.div_ceil(CHANGELOG_PAGE),
            "{asked:#?}"
        );
    } else {
        assert_eq!(asked.len(), 3, "{asked:#?}");
        assert!(asked.iter().all(|u| u.contains("expand=changelog")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_in_data_center_paging_equals_import() {
    backfill_equals_import(
        "backfill_in_data_center_paging_equals_import",
        false,
        "datacenter",
        &["--jql", "project is not EMPTY", "--since", "2010-01-01"],
        &[("JIRA_PAT", DC_PAT)],
        r#"(project is not EMPTY) AND updated >= "2010-01-01" ORDER BY created ASC"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_in_cloud_paging_equals_import() {
    backfill_equals_import(
        "backfill_in_cloud_paging_equals_import",
        false,
        "cloud",
        &["--jql", "project is not EMPTY"],
        &[("JIRA_EMAIL", CLOUD_EMAIL), ("JIRA_API_TOKEN", CLOUD_TOKEN)],
        "project is not EMPTY ORDER BY created ASC",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_on_mysql_equals_import() {
    backfill_equals_import(
        "backfill_on_mysql_equals_import",
        true,
        "datacenter",
        &["--jql", "project is not EMPTY"],
        &[("JIRA_PAT", DC_PAT)],
        "project is not EMPTY ORDER BY created ASC",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jql_sent_is_narrowed_by_since_and_ordered() {
    // No recorded data needed: an empty site.
    let jira = RecordedJira::start(Vec::new(), None).await;
    let db = TestDb::sqlite().await;
    let (out, err) = backfill_ok(
        &db.url,
        &[
            "--jira-url",
            jira.base(),
            "--jql",
            "project in (PAY, PAYT) ORDER BY key",
            "--since",
            "2024-03-01",
        ],
        &[("JIRA_PAT", DC_PAT)],
    )
    .await;
    assert!(out.contains("1 page(s) from "), "{out}");
    assert!(out.contains("0 issues, 0 events"), "{out}");
    assert_eq!(
        jira.jqls(),
        [r#"(project in (PAY, PAYT)) AND updated >= "2024-03-01" ORDER BY key"#]
    );
    // Data Center pages by offsets: the user's own order is warned about, the run goes on.
    assert!(
        err.contains("the JQL has its own ORDER BY, and Data Center pages by startAt"),
        "{err}"
    );
    // The stand-in is on this machine: plain http is not warned about here.
    assert!(!err.contains("plain http://"), "{err}");

    // Without an ORDER BY of its own there is nothing to warn about.
    let (_, err) = backfill_ok(
        &db.url,
        &["--jira-url", jira.base(), "--jql", "project = PAY"],
        &[("JIRA_PAT", DC_PAT)],
    )
    .await;
    assert!(!err.contains("its own ORDER BY"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_unreachable_sites_are_clear_errors() {
    let jira = RecordedJira::start(Vec::new(), None).await;
    let db = TestDb::sqlite().await;
    let args = |base: &str| -> Vec<String> {
        ["backfill", "--jira-url", base, "--jql", "project = PAY"]
            .map(str::to_owned)
            .to_vec()
    };
    let run = |env: Vec<(&'static str, &'static str)>, args: Vec<String>| {
        let url = db.url.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            artflow_with(&url, &args, &env).await
        }
    };

    // A wrong personal access token: Jira's 401, named with the URL and what to check.
    let out = run(vec![("JIRA_PAT", "wrong")], args(jira.base())).await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("Jira answered 401 to GET http://127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("/rest/api/2/search?jql=project%20%3D%20PAY"),
        "{err}"
    );
    assert!(err.contains("You are not authenticated"), "{err}");
    assert!(err.contains("JIRA_PAT"), "{err}");

    // Cloud with a wrong token: the same, through Basic authentication.
    let out = run(
        vec![("JIRA_EMAIL", CLOUD_EMAIL), ("JIRA_API_TOKEN", "wrong")],
        [args(jira.base()), vec!["--flavor".into(), "cloud".into()]].concat(),
    )
    .await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("Jira answered 401 to GET"), "{err}");
    assert!(err.contains("/rest/api/3/search/jql?"), "{err}");

    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let out = run(
        vec![("JIRA_PAT", DC_PAT)],
        args(&format!("http://127.0.0.1:{port}")),
    )
    .await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "cannot reach http://127.0.0.1:{port}/rest/api/2/search"
        )),
        "{err}"
    );

    // No credentials at all, half of them, or a URL that is none.
    let out = run(vec![], args(jira.base())).await;
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("no Jira credentials"), "{err}");
    let out = run(vec![("JIRA_EMAIL", CLOUD_EMAIL)], args(jira.base())).await;
    assert!(
        text(&out).1.contains("JIRA_API_TOKEN is not"),
        "{:?}",
        text(&out)
    );
    let out = run(vec![("JIRA_PAT", DC_PAT)], args("jira.example.com")).await;
    assert!(
        text(&out).1.contains("needs a scheme and a host"),
        "{:?}",
        text(&out)
    );
    // None of these asked the stand-in anything but the two refused searches.
    assert_eq!(jira.seen().len(), 2, "{:#?}", jira.seen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_queues_the_configured_projects_recent_issues() {
    let test = "reconcile_queues_the_configured_projects_recent_issues";
    let Some((config, _, docs)) = data(test) else {
        return;
    };
    let Some(moto) = Moto::start(test) else {
        return;
    };
    let queue_url = moto.queue("reconcile").await;
    let jira = RecordedJira::start(issues_of(&docs), Some(2)).await;
    let db = TestDb::sqlite().await;
    let toml = std::fs::read_to_string(&config).unwrap();
    let parsed = domain::parse_config("artflow.toml", &toml).unwrap();
    processor::apply_config(&db.db, &parsed, false, chrono::Utc::now())
        .await
        .unwrap();

    let credentials = Credentials::ApiToken {
        email: CLOUD_EMAIL.into(),
        token: CLOUD_TOKEN.into(),
    };
    let reconciler = Reconciler {
        db: db.connect_again().await,
        jira: Jira::new(jira.base(), Some(Flavor::Cloud), &credentials).unwrap(),
        queue: Arc::new(ingest::SqsQueue::new(moto.client(), queue_url.clone())),
        minutes: 90,
        page_size: 4,
    };
    // An EventBridge scheduled event, as the rule delivers it.
    let event: Value = serde_json::json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-12-03T12:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/artflow-reconcile"],
        "detail": {}
    });
    let outcome = reconciler
        .handle(&event)
        .await
        .expect("reconciliation runs");

    let wanted = ["CONTRIB", "OSUX", "PTNFLY", "PUP", "UT"];
    assert_eq!(outcome.projects, wanted);
    let jql = r#"project in ("CONTRIB", "OSUX", "PTNFLY", "PUP", "UT") AND updated >= "-90m" ORDER BY created ASC"#;
    assert_eq!(outcome.jql, jql);
    assert!(jira.jqls().iter().all(|j| j == jql), "{:?}", jira.jqls());
    assert!(retried_after_429(&jira));
    assert_eq!(outcome.counts.changelogs, 1);

    // The events of every issue of those projects, exactly as import makes them, once each.
    let mut expected: Vec<domain::IssueEvent> = issues_of(&docs)
        .iter()
        .filter(|i| {
            i["fields"]["project"]["key"]
                .as_str()
                .is_some_and(|k| wanted.contains(&k))
        })
        .flat_map(|i| domain::import_issue(i).expect("imports").events)
        .collect();
    let mut queued: Vec<domain::IssueEvent> = moto
        .drain(&queue_url)
        .await
        .iter()
        .map(|body| serde_json::from_str(body).expect("an IssueEvent"))
        .collect();
    expected.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    queued.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    assert!(!expected.is_empty());
    assert_eq!(queued.len(), expected.len());
    assert_eq!(outcome.counts.delivered.queued, expected.len() as u64);
    assert_eq!(queued, expected);
    // Issues of projects no ART owns (UXVDN, E2E) were not asked for.
    assert!(
        !queued
            .iter()
            .any(|e| matches!(e.issue.project_key.as_deref(), Some("UXVDN" | "E2E")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_to_a_queue_is_applied_by_the_processor_like_import() {
    let test = "backfill_to_a_queue_is_applied_by_the_processor_like_import";
    let Some((config, files, docs)) = data(test) else {
        return;
    };
    let Some(moto) = Moto::start(test) else {
        return;
    };
    let queue_url = moto.queue("backfill").await;
    let jira = RecordedJira::start(issues_of(&docs), Some(2)).await;
    let by_import = TestDb::sqlite().await;
    let expected = imported(&by_import.url, &config, &files);

    let db = TestDb::sqlite().await;
    artflow_ok(&db.url, &["config", "apply", config.to_str().unwrap()]);
    let (out, _) = backfill_ok(
        &db.url,
        &[
            "--jira-url",
            jira.base(),
            "--jql",
            "project is not EMPTY",
            "--page-size",
            "10",
            "--queue-url",
            &queue_url,
        ],
        &[
            ("JIRA_PAT", DC_PAT),
            ("AWS_ENDPOINT_URL_SQS", &moto.endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ],
    )
    .await;
    assert!(
        out.contains(&format!(
            "45 issues, 428 events: 428 queued on {queue_url}, 1 skipped, 0 failed"
        )),
        "{out}"
    );
    // Nothing was applied here: the processor applies what is on the queue.
    let before = report(&db.url);
    assert_ne!(before, expected);

    let worker = artflow::worker::Worker {
        client: moto.client(),
        queue_url: queue_url.clone(),
        db: db.connect_again().await,
        batch_size: 50,
        wait: std::time::Duration::ZERO,
    };
    let totals = worker
        .run(true, std::future::pending())
        .await
        .expect("the queue is processed");
    assert_eq!((totals.applied, totals.failed), (428, 0), "{totals:?}");
    assert_eq!(report(&db.url), expected);
}
