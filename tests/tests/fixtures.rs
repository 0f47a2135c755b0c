//! The webhook fixtures of `../shared/fixtures/jira/`: every shape is read as its README says,
//! and the PAY-101 story gives its numbers for every prefix, in any order, however often each
//! body arrives.

use std::path::Path;

use artflow_tests::support::{TestDb, shared_dir};
use chrono::Utc;
use domain::{IssueEvent, MS_PER_DAY, Webhook, parse_webhook};
use proptest::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

fn body(shared: &Path, name: &str) -> Vec<u8> {
    std::fs::read(shared.join("fixtures/jira").join(name)).expect("fixture is readable")
}

fn event(shared: &Path, name: &str) -> IssueEvent {
    match parse_webhook(&body(shared, name), None) {
        Ok(Webhook::Event(e)) => *e,
        other => panic!("{name}: expected an event, got {other:?}"),
    }
}

async fn configure(db: &DatabaseConnection, shared: &Path) {
    let path = shared.join("fixtures/jira/artflow.toml");
    let config =
        domain::parse_config("artflow.toml", &std::fs::read_to_string(path).unwrap()).unwrap();
    processor::apply_config(db, &config, false, Utc::now())
        .await
        .unwrap();
}

async fn apply(db: &DatabaseConnection, events: &[IssueEvent]) {
    let report = processor::apply_batch(db, events, Utc::now())
        .await
        .unwrap();
    assert_eq!(report.failed().count(), 0, "{report:?}");
}

async fn pipeline(db: &DatabaseConnection, code: &str) -> serde_json::Value {
    let r = artflow::report::build(db, None, Utc::now(), Default::default())
        .await
        .unwrap();
    let json = serde_json::to_value(&r).unwrap();
    json["arts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["pipelines"].as_array().unwrap().clone())
        .find(|p| p["code"] == code)
        .unwrap_or_else(|| panic!("no pipeline {code}"))
}

/// (outcome, lead ms, active ms, reopens, note) of an issue under a configuration.
async fn fact(
    db: &DatabaseConnection,
    code: &str,
    key: &str,
) -> Option<(String, Option<i64>, Option<i64>, i32, Option<String>)> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT f.outcome, f.lead_ms, f.active_ms, f.reopens, f.note FROM lead_time_fact f \
             JOIN pipeline_config c ON c.id = f.config_id WHERE c.code = ? AND f.issue_key = ?",
            [code.into(), key.into()],
        ))
        .await
        .unwrap()?;
    Some((
        row.try_get("", "outcome").unwrap(),
        row.try_get("", "lead_ms").unwrap(),
        row.try_get("", "active_ms").unwrap(),
        row.try_get("", "reopens").unwrap(),
        row.try_get("", "note").unwrap(),
    ))
}

const STORY: [&str; 8] = [
    "cloud-01-created.json",
    "cloud-02-status-analyzing.json",
    "cloud-03-date-field-set.json",
    "cloud-04-status-skips-backlog.json",
    "cloud-05-done-resolution-first.json",
    "cloud-06-datetime-field-set.json",
    "cloud-07-reopened.json",
    "cloud-08-done-again.json",
];

#[test]
fn every_shape_is_read_as_the_readme_says() {
    let Some(shared) = shared_dir("every_shape_is_read_as_the_readme_says") else {
        return;
    };
    for name in STORY.iter().chain(&[
        "server-status-done-no-field-id.json",
        "cloud-issue-moved.json",
        "cloud-issue-deleted.json",
        "cloud-empty-changelog.json",
        "cloud-no-changelog.json",
        "cloud-field-cleared.json",
        "automation-format.json",
        "dc-post-function.json",
        "bad/unparseable-date-field.json",
    ]) {
        let e = event(&shared, name);
        assert!(
            serde_json::to_vec(&e).unwrap().len() < 4096,
            "{name} is small"
        );
    }
    match parse_webhook(&body(&shared, "cloud-comment-created.json"), None) {
        Ok(Webhook::Ignored(why)) => assert!(why.contains("comment_created"), "{why}"),
        other => panic!("comment: {other:?}"),
    }
    for (name, says) in [
        ("bad/truncated.json", "not valid JSON"),
        ("bad/issue-is-a-string.json", "`issue` is a string"),
        (
            "bad/issue-without-id-or-key.json",
            "neither an `id` nor a `key`",
        ),
        ("bad/array-body.json", "JSON array, not an object"),
        ("bad/not-json.txt", "not valid JSON"),
    ] {
        let err = parse_webhook(&body(&shared, name), None).unwrap_err();
        assert!(err.0.contains(says), "{name}: {err}");
    }

    let automation = event(&shared, "automation-format.json");
    assert_eq!(automation.issue.key, "PAY-105");
    let t = &automation.transitions()[0];
    assert_eq!(t.to.as_deref(), Some("Analyzing"));
    assert_eq!(
        t.at,
        chrono::DateTime::parse_from_rfc3339("2026-02-11T04:45:00Z")
            .unwrap()
            .timestamp_millis()
    );

    let pf = event(&shared, "dc-post-function.json");
    let t = &pf.transitions()[0];
    assert_eq!(
        (t.from.as_deref(), t.to.as_deref()),
        (Some("Backlog"), Some("Implementing"))
    );
    assert_eq!(t.at, 1_770_879_600_000);

    let server = event(&shared, "server-status-done-no-field-id.json");
    assert_eq!(server.transitions()[0].to.as_deref(), Some("Done"));
    assert_eq!(server.transitions()[0].item_pos, 1);

    // Delivery ids: the header when Jira sends one, else a hash of the exact bytes.
    let b = body(&shared, "cloud-02-status-analyzing.json");
    let Webhook::Event(with) = parse_webhook(&b, Some("abc-123")).unwrap() else {
        panic!()
    };
    assert_eq!(with.delivery_id, "abc-123");
    let Webhook::Event(hashed) = parse_webhook(&b, None).unwrap() else {
        panic!()
    };
    assert!(hashed.delivery_id.starts_with("xxh3:"));
    assert_eq!(hashed.delivery_id.len(), 5 + 32);
}

async fn story_prefix(shared: &Path, order: &[usize]) -> TestDb {
    let db = TestDb::sqlite().await;
    configure(&db.db, shared).await;
    let events: Vec<IssueEvent> = order.iter().map(|&i| event(shared, STORY[i])).collect();
    // Apply in two batches, so that state carried between batches is exercised too.
    let (a, b) = events.split_at(events.len() / 2);
    apply(&db.db, a).await;
    apply(&db.db, b).await;
    db
}

async fn check_story(shared: &Path, order: &[usize]) {
    let n = order.iter().copied().max().unwrap() + 1;
    let db = story_prefix(shared, order).await;
    let fields = pipeline(&db.db, "PAY-FIELDS").await;
    let flow = pipeline(&db.db, "PAY-FLOW").await;
    if n >= 6 {
        assert_eq!(fields["count"], 1, "{order:?}");
        assert_eq!(fields["min_days"], 42.0, "{order:?}");
        assert_eq!(fields["min_issue"], "PAY-101");
    }
    match n {
        6 => {
            let f = fact(&db.db, "PAY-FLOW", "PAY-101").await.unwrap();
            assert_eq!(
                (f.0.as_str(), f.1),
                ("counted", Some(3_596_400_000)),
                "{order:?}"
            );
        }
        7 => {
            assert_eq!(
                (flow["count"].as_i64(), flow["wip"].as_i64()),
                (Some(0), Some(1)),
                "{order:?}"
            );
            assert_eq!(flow["mean_days"], serde_json::Value::Null);
        }
        8 => {
            let f = fact(&db.db, "PAY-FLOW", "PAY-101").await.unwrap();
            assert_eq!(
                (f.0.as_str(), f.1, f.2, f.3),
                ("counted", Some(45 * MS_PER_DAY), Some(3_769_200_000), 1),
                "{order:?}"
            );
            assert_eq!(flow["max_days"], 45.0);
            let eff = flow["flow_efficiency"].as_f64().unwrap();
            assert!((eff - 3_769_200.0 / 3_888_000.0).abs() < 1e-12, "{eff}");
        }
        _ => {}
    }
}

#[tokio::test]
async fn pay_101_in_order_gives_the_readme_numbers() {
    let Some(shared) = shared_dir("pay_101_in_order_gives_the_readme_numbers") else {
        return;
    };
    for n in [6, 7, 8] {
        let order: Vec<usize> = (0..n).collect();
        check_story(&shared, &order).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Any order of any named prefix, with duplicates, ends with the same numbers.
    #[test]
    fn pay_101_in_any_order_with_duplicates(
        n in prop::sample::select(vec![6usize, 7, 8]),
        seed in proptest::collection::vec(any::<u32>(), 16),
        dups in proptest::collection::vec(0usize..8, 0..6),
    ) {
        let Some(shared) = shared_dir("pay_101_in_any_order_with_duplicates") else {
            return Ok(());
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.extend(dups.into_iter().filter(|&d| d < n));
        // A permutation driven by the generated seed.
        let mut keyed: Vec<(u32, usize)> = order.into_iter().enumerate().map(|(i, x)| (seed[i % seed.len()].wrapping_mul(i as u32 + 7), x)).collect();
        keyed.sort();
        let order: Vec<usize> = keyed.into_iter().map(|(_, x)| x).collect();
        tokio::runtime::Runtime::new().unwrap().block_on(check_story(&shared, &order));
    }
}

#[tokio::test]
async fn other_shapes_move_delete_and_report_as_the_readme_says() {
    let Some(shared) = shared_dir("other_shapes_move_delete_and_report_as_the_readme_says") else {
        return;
    };
    let db = TestDb::sqlite().await;
    configure(&db.db, &shared).await;

    // MOB-7: incomplete history already past the start → unknown start, a finding, not an error.
    apply(
        &db.db,
        &[event(&shared, "server-status-done-no-field-id.json")],
    )
    .await;
    let mob = pipeline(&db.db, "MOB-FLOW").await;
    assert_eq!(
        (
            mob["count"].as_i64(),
            mob["not_counted"]["unknown_start"].as_i64()
        ),
        (Some(0), Some(1))
    );
    let f = fact(&db.db, "MOB-FLOW", "MOB-7").await.unwrap();
    assert_eq!(f.0, "unknown_start");
    assert!(f.4.unwrap().contains("incomplete"));

    // Issue 20103 was PAY-103 (in progress in PAY), then moved to MOB as MOB-58.
    let mut as_pay = event(&shared, "cloud-issue-moved.json");
    as_pay.delivery_id = "before-the-move".into();
    as_pay.at -= chrono::Duration::days(1);
    as_pay.changes.clear();
    as_pay.issue.key = "PAY-103".into();
    as_pay.issue.project_key = Some("PAY".into());
    apply(&db.db, &[as_pay.clone()]).await;
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 1);
    apply(&db.db, &[event(&shared, "cloud-issue-moved.json")]).await;
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 0);
    assert_eq!(pipeline(&db.db, "MOB-FLOW").await["wip"], 1);
    assert!(fact(&db.db, "PAY-FLOW", "PAY-103").await.is_none());
    assert_eq!(
        fact(&db.db, "MOB-FLOW", "MOB-58").await.unwrap().0,
        "in_progress"
    );
    // The older snapshot arriving late does not move it back.
    as_pay.delivery_id = "late-copy".into();
    apply(&db.db, &[as_pay]).await;
    assert_eq!(pipeline(&db.db, "MOB-FLOW").await["wip"], 1);
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 0);

    // PAY-104 deleted: leaves every aggregate, and an older update does not bring it back.
    let deleted = event(&shared, "cloud-issue-deleted.json");
    let mut older = deleted.clone();
    older.kind = domain::EventKind::Updated;
    older.delivery_id = "older-update".into();
    older.at -= chrono::Duration::hours(1);
    apply(&db.db, &[older.clone()]).await;
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 1);
    apply(&db.db, &[deleted]).await;
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 0);
    older.delivery_id = "older-update-again".into();
    apply(&db.db, &[older]).await;
    assert_eq!(pipeline(&db.db, "PAY-FLOW").await["wip"], 0);
    assert!(fact(&db.db, "PAY-FLOW", "PAY-104").await.is_none());

    // Release Date cleared on PAY-106: started, not finished, under PAY-FIELDS.
    apply(&db.db, &[event(&shared, "cloud-field-cleared.json")]).await;
    let f = fact(&db.db, "PAY-FIELDS", "PAY-106").await.unwrap();
    assert_eq!(f.0, "in_progress");

    // "next tuesday" is accepted; the field counts as unset and is reported.
    apply(&db.db, &[event(&shared, "bad/unparseable-date-field.json")]).await;
    let f = fact(&db.db, "PAY-FIELDS", "PAY-101").await.unwrap();
    assert!(f.4.unwrap().contains("next tuesday"));

    // Empty changelog, no changelog, Automation and post-function bodies are accepted.
    apply(
        &db.db,
        &[
            event(&shared, "cloud-empty-changelog.json"),
            event(&shared, "cloud-no-changelog.json"),
            event(&shared, "automation-format.json"),
            event(&shared, "dc-post-function.json"),
        ],
    )
    .await;
    let f = fact(&db.db, "PAY-FLOW", "PAY-102").await.unwrap();
    assert_eq!(f.0, "in_progress");
}
