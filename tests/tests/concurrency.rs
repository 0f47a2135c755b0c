//! Rebuilds running while processors apply events to the same ARTs (MariaDB): the end result is
//! still the from-scratch one.

use artflow_tests::reference;
use artflow_tests::stream::{shuffled_with_duplicates, stream};
use artflow_tests::support::{TestDb, assert_matches_reference};
use chrono::Utc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuilds_during_processing_end_exact() {
    let Some(db) = TestDb::mysql("rebuilds_during_processing_end_exact").await else {
        return;
    };
    let s = stream(1);
    let config = domain::parse_config("stream", &s.config_toml).unwrap();
    processor::apply_config(&db.db, &config, false, Utc::now())
        .await
        .unwrap();
    let events = shuffled_with_duplicates(&s.events, 20, 99);
    let (first, rest) = events.split_at(events.len() / 3);
    for chunk in first.chunks(100) {
        processor::apply_batch(&db.db, chunk, Utc::now())
            .await
            .unwrap();
    }

    let mut processors = Vec::new();
    for part in rest.chunks(rest.len().div_ceil(2)) {
        let (pool, part) = (db.connect_again().await, part.to_vec());
        processors.push(tokio::spawn(async move {
            for chunk in part.chunks(10) {
                processor::with_retry("apply", 10, || {
                    processor::apply_batch(&pool, chunk, Utc::now())
                })
                .await
                .unwrap();
            }
        }));
    }
    let rebuilder = {
        let pool = db.connect_again().await;
        tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..12 {
                processor::with_retry("rebuild", 10, || {
                    processor::rebuild(&pool, None, Utc::now())
                })
                .await
                .unwrap();
                n += 1;
            }
            n
        })
    };
    for p in processors {
        p.await.unwrap();
    }
    assert_eq!(rebuilder.await.unwrap(), 12);

    let got = serde_json::to_value(
        artflow::report::build(&db.db, None, Utc::now(), Default::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let expected = reference::compute(&s.config_toml, &s.docs, &s.deleted);
    assert_matches_reference(&got, &expected);
}
