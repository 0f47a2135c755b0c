//! The main job on real Jira histories, through the `artflow` binary: configure, import, report;
//! the figures equal the independent reference computation, on SQLite and on MySQL/MariaDB.

use std::path::{Path, PathBuf};

use artflow_tests::reference;
use artflow_tests::support::{
    TestDb, artflow_ok, assert_matches_reference, comparable, shared_dir,
};

fn inputs(shared: &Path) -> (PathBuf, Vec<PathBuf>) {
    let dir = shared.join("data/jira-real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/jira-real is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with("-search.json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "four search responses in {}", dir.display());
    (dir.join("artflow.toml"), files)
}

fn report(url: &str) -> serde_json::Value {
    serde_json::from_str(&artflow_ok(url, &["report", "--format", "json"])).expect("report JSON")
}

/// Runs the flow on one database and checks it; returns the report without `as_of`.
fn run_flow(url: &str, shared: &Path) -> serde_json::Value {
    let (config, files) = inputs(shared);
    let config = config.to_str().unwrap();
    let files: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();

    let applied = artflow_ok(url, &["config", "apply", config]);
    assert!(applied.contains("added     pipeline UT-FLOW"), "{applied}");

    let mut args = vec!["import"];
    args.extend(&files);
    let imported = artflow_ok(url, &args);
    assert!(
        imported.contains("45 issues, 428 events: 428 applied, 0 duplicates, 1 skipped"),
        "{imported}"
    );
    assert!(imported.contains("skipped CONTRIB-4"), "{imported}");

    let first = report(url);
    let docs: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    let expected = reference::compute(&std::fs::read_to_string(config).unwrap(), &docs, &[]);
    assert_matches_reference(&first, &expected);
    let ut = &first["arts"][3]["pipelines"][1];
    assert_eq!(ut["code"], "UT-FLOW");
    assert_eq!(ut["count"], 13);

    // Importing the same files again changes nothing.
    let again = artflow_ok(url, &args);
    assert!(again.contains("0 applied, 428 duplicates"), "{again}");
    assert_eq!(comparable(report(url)), comparable(first.clone()));

    // Applying the configuration again changes nothing; a rebuild from scratch ends where the
    // incremental path ended.
    let reapplied = artflow_ok(url, &["config", "apply", config]);
    assert!(
        reapplied.lines().all(|l| l.starts_with("unchanged ")),
        "{reapplied}"
    );
    artflow_ok(url, &["rebuild"]);
    assert_eq!(comparable(report(url)), comparable(first.clone()));
    comparable(first)
}

#[tokio::test]
async fn real_histories_on_sqlite_equal_the_reference() {
    let Some(shared) = shared_dir("real_histories_on_sqlite_equal_the_reference") else {
        return;
    };
    let db = TestDb::sqlite().await;
    run_flow(&db.url, &shared);
}

#[tokio::test]
async fn real_histories_on_mysql_give_the_same_json_as_sqlite() {
    let Some(shared) = shared_dir("real_histories_on_mysql_give_the_same_json_as_sqlite") else {
        return;
    };
    let Some(mysql) = TestDb::mysql("real_histories_on_mysql_give_the_same_json_as_sqlite").await
    else {
        return;
    };
    let sqlite = TestDb::sqlite().await;
    let on_sqlite = run_flow(&sqlite.url, &shared);
    let on_mysql = run_flow(&mysql.url, &shared);
    assert_eq!(on_mysql, on_sqlite);
}

mod as_webhook_events {
    use super::*;
    use chrono::Utc;
    use domain::IssueEvent;
    use proptest::prelude::*;

    fn stream(shared: &Path) -> (String, Vec<serde_json::Value>, Vec<IssueEvent>) {
        let (config, files) = inputs(shared);
        let docs: Vec<serde_json::Value> = files
            .iter()
            .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
            .collect();
        let mut events = Vec::new();
        for doc in &docs {
            for issue in domain::search_issues(doc).unwrap() {
                if let Ok(imported) = domain::import_issue(issue) {
                    events.extend(imported.events);
                }
            }
        }
        // Through JSON, as they would travel on the queue.
        let events = events
            .iter()
            .map(|e| serde_json::from_slice(&serde_json::to_vec(e).unwrap()).unwrap())
            .collect();
        (std::fs::read_to_string(config).unwrap(), docs, events)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        /// The real histories as events in any order, a third of them twice, in batches of any
        /// size: the figures of the reference computation.
        #[test]
        fn in_any_order_with_duplicates(
            keys in proptest::collection::vec(any::<u64>(), 600),
            batch in 1usize..120,
        ) {
            let Some(shared) = shared_dir("real histories in any order") else { return Ok(()) };
            let (config_text, docs, mut events) = stream(&shared);
            let extra: Vec<IssueEvent> = events.iter().step_by(3).cloned().collect();
            events.extend(extra);
            let mut keyed: Vec<(u64, IssueEvent)> = events
                .into_iter()
                .enumerate()
                .map(|(i, e)| (keys[i % keys.len()].rotate_left(i as u32 % 64) ^ i as u64, e))
                .collect();
            keyed.sort_by_key(|(k, _)| *k);
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let db = TestDb::sqlite().await;
                let config = domain::parse_config("artflow.toml", &config_text).unwrap();
                processor::apply_config(&db.db, &config, false, Utc::now()).await.unwrap();
                let shuffled: Vec<IssueEvent> = keyed.into_iter().map(|(_, e)| e).collect();
                for chunk in shuffled.chunks(batch) {
                    let r = processor::apply_batch(&db.db, chunk, Utc::now()).await.unwrap();
                    assert_eq!(r.failed().count(), 0);
                }
                let got = serde_json::to_value(
                    artflow::report::build(&db.db, None, Utc::now(), Default::default())
                        .await
                        .unwrap(),
                )
                .unwrap();
                assert_matches_reference(&got, &reference::compute(&config_text, &docs, &[]));
            });
        }
    }
}
