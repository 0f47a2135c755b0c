//! The generated demo dataset (moves, deletes, reopens, both rules, Jira's offsets) through the
//! event path equals the independent reference computation, in order and in any order with
//! duplicates; on SQLite and on MySQL/MariaDB. Needs nothing from `../shared`.

use artflow::demo::{DemoData, generate};
use artflow::feed::{Summary, feed};
use artflow_tests::demo::{events, expected};
use artflow_tests::support::{TestDb, assert_matches_reference, comparable};
use chrono::Utc;
use domain::IssueEvent;
use proptest::prelude::*;
use sea_orm::DatabaseConnection;

async fn configure(db: &DatabaseConnection, data: &DemoData) {
    let config = domain::parse_config("demo", &data.config_toml).unwrap();
    processor::apply_config(db, &config, false, Utc::now())
        .await
        .unwrap();
}

async fn report(db: &DatabaseConnection) -> serde_json::Value {
    serde_json::to_value(
        artflow::report::build(db, None, Utc::now(), Default::default())
            .await
            .unwrap(),
    )
    .unwrap()
}

async fn in_order(db: &DatabaseConnection, data: &DemoData) -> serde_json::Value {
    configure(db, data).await;
    let summary = feed(db, Summary::default(), events(data)).await.unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let got = report(db).await;
    assert_matches_reference(&got, &expected(data));
    // A rebuild from scratch ends where the incremental path ended.
    processor::rebuild(db, None, Utc::now()).await.unwrap();
    assert_eq!(comparable(report(db).await), comparable(got.clone()));
    comparable(got)
}

#[tokio::test]
async fn demo_dataset_on_sqlite_equals_the_reference() {
    let data = generate(2026);
    let db = TestDb::sqlite().await;
    in_order(&db.db, &data).await;
}

#[tokio::test]
async fn demo_dataset_on_mysql_equals_sqlite_and_the_reference() {
    let Some(mysql) = TestDb::mysql("demo_dataset_on_mysql_equals_sqlite_and_the_reference").await
    else {
        return;
    };
    let data = generate(7);
    let sqlite = TestDb::sqlite().await;
    let a = in_order(&sqlite.db, &data).await;
    let b = in_order(&mysql.db, &data).await;
    assert_eq!(a, b);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    /// Any permutation of the stream, with a fifth of it delivered twice, cut into batches of
    /// any size, gives the figures of the in-order stream.
    #[test]
    fn any_order_with_duplicates_gives_the_same_figures(
        keys in proptest::collection::vec(any::<u64>(), 4000),
        dup_every in 3usize..7,
        batch in 1usize..400,
    ) {
        let data = generate(11);
        let mut stream = events(&data);
        let extra: Vec<_> = stream.iter().step_by(dup_every.max(5)).cloned().collect();
        stream.extend(extra);
        let mut keyed: Vec<(u64, (String, IssueEvent))> = stream
            .into_iter()
            .enumerate()
            .map(|(i, e)| (keys[i % keys.len()] ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15), e))
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<IssueEvent> = keyed.into_iter().map(|(_, (_, e))| e).collect();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let db = TestDb::sqlite().await;
            configure(&db.db, &data).await;
            for chunk in shuffled.chunks(batch) {
                let r = processor::apply_batch(&db.db, chunk, Utc::now()).await.unwrap();
                assert_eq!(r.failed().count(), 0);
            }
            assert_matches_reference(&report(&db.db).await, &expected(&data));
        });
    }
}
