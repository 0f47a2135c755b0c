//! The processor on SQS: a large shuffled stream with duplicates consumed by four concurrent
//! processors on MariaDB ends with the from-scratch result; poison messages are reported and
//! dead-lettered; a database outage mid-run loses nothing; the Lambda's batch response names
//! exactly the messages it could not apply.

use std::time::{Duration, Instant};

use artflow::worker::{Totals, Worker};
use artflow_tests::moto::Moto;
use artflow_tests::proxy::Proxy;
use artflow_tests::reference;
use artflow_tests::stream::{shuffled_with_duplicates, stream};
use artflow_tests::support::{TestDb, assert_matches_reference};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use chrono::Utc;
use domain::IssueEvent;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

async fn send_bodies(moto: &Moto, queue_url: &str, bodies: Vec<String>) {
    let client = moto.client();
    let chunks: Vec<Vec<String>> = bodies.chunks(10).map(|c| c.to_vec()).collect();
    let mut tasks = Vec::new();
    for part in chunks.chunks(chunks.len().div_ceil(4).max(1)) {
        let (client, url, part) = (client.clone(), queue_url.to_owned(), part.to_vec());
        tasks.push(tokio::spawn(async move {
            for chunk in part {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(b)
                            .build()
                            .unwrap()
                    })
                    .collect();
                let out = client
                    .send_message_batch()
                    .queue_url(&url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .expect("send to moto");
                assert!(out.failed().is_empty());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn bodies(events: &[IssueEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect()
}

async fn pool(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(3)
        .acquire_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    Database::connect(opts).await.expect("connect")
}

fn worker(moto: &Moto, queue_url: &str, db: DatabaseConnection, batch: usize) -> Worker {
    Worker {
        client: moto.client(),
        queue_url: queue_url.to_owned(),
        db,
        batch_size: batch,
        // moto answers a long poll by polling its queue busily: short polls spare its CPU.
        wait: Duration::ZERO,
    }
}

async fn report(db: &DatabaseConnection) -> serde_json::Value {
    serde_json::to_value(
        artflow::report::build(db, None, Utc::now(), Default::default())
            .await
            .unwrap(),
    )
    .unwrap()
}

async fn configure(db: &DatabaseConnection, toml: &str) {
    let config = domain::parse_config("stream", toml).unwrap();
    processor::apply_config(db, &config, false, Utc::now())
        .await
        .unwrap();
}

async fn queue_depth(moto: &Moto, queue_url: &str) -> (i64, i64) {
    let attrs = moto
        .client()
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let get = |k: QueueAttributeName| {
        attrs
            .attributes()
            .and_then(|a| a.get(&k))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// Sends the bodies while keeping at most about `depth` messages waiting: moto's receive reads
/// the whole queue each time, so a deep queue would make the test slow, not the processors.
async fn feed_gradually(moto: &Moto, queue_url: &str, bodies: &[String], depth: i64) {
    for chunk in bodies.chunks(50) {
        while queue_depth(moto, queue_url).await.0 > depth {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        send_bodies(moto, queue_url, chunk.to_vec()).await;
    }
}

/// Waits until nothing is waiting or in flight.
async fn drained(moto: &Moto, queue_url: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while queue_depth(moto, queue_url).await != (0, 0) {
        assert!(Instant::now() < deadline, "the queue did not drain");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

type Runs = (
    tokio::sync::watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<Totals>>,
);

/// Starts processors that run until told to stop.
fn start_processors(workers: Vec<Worker>) -> Runs {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runs = workers
        .into_iter()
        .map(|w| {
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                w.run(false, async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
                .unwrap()
            })
        })
        .collect();
    (stop_tx, runs)
}

async fn stop_processors((stop, runs): Runs) -> Totals {
    stop.send(true).unwrap();
    let mut total = Totals::default();
    for r in runs {
        let t = r.await.unwrap();
        total.received += t.received;
        total.applied += t.applied;
        total.duplicates += t.duplicates;
        total.failed += t.failed;
        total.store_errors += t.store_errors;
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_processors_on_a_shuffled_stream_with_duplicates_end_exact() {
    let test = "four_processors_on_a_shuffled_stream_with_duplicates_end_exact";
    let Some(db) = TestDb::mysql(test).await else {
        return;
    };
    let Some(moto) = Moto::start(test) else {
        return;
    };
    let s = stream(4);
    assert!(s.events.len() >= 10_000, "{} events", s.events.len());
    configure(&db.db, &s.config_toml).await;
    let queue_url = moto.queue("stream").await;
    let sent = shuffled_with_duplicates(&s.events, 20, 42);
    println!(
        "{} events, {} messages with duplicates",
        s.events.len(),
        sent.len()
    );

    let retries_before = processor::retry::retries();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..4 {
        workers.push(worker(&moto, &queue_url, db.connect_again().await, 100));
    }
    let runs = start_processors(workers);
    feed_gradually(&moto, &queue_url, &bodies(&sent), 60).await;
    drained(&moto, &queue_url, Duration::from_secs(600)).await;
    let total = stop_processors(runs).await;
    println!(
        "4 processors: {total:?} in {:.1}s; {} deadlock or lock-timeout retries",
        started.elapsed().as_secs_f64(),
        processor::retry::retries() - retries_before
    );
    assert_eq!(total.failed, 0);
    assert!(total.applied + total.duplicates >= sent.len(), "{total:?}");
    let expected = reference::compute(&s.config_toml, &s.docs, &s.deleted);
    assert_matches_reference(&report(&db.db).await, &expected);
}

#[tokio::test]
async fn poison_messages_are_reported_and_dead_lettered_and_the_rest_applied() {
    let test = "poison_messages_are_reported_and_dead_lettered";
    let Some(moto) = Moto::start(test) else {
        return;
    };
    let db = match TestDb::mysql(test).await {
        Some(db) => db,
        None => TestDb::sqlite().await,
    };
    let s = stream(1);
    configure(&db.db, &s.config_toml).await;
    let client = moto.client();
    let dlq_url = moto.queue("stream-dlq").await;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let queue_url = client
        .create_queue()
        .queue_name("stream-main")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"2"}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();

    let good: Vec<IssueEvent> = s.events.iter().take(300).cloned().collect();
    let mut wrong_schema = good[0].clone();
    wrong_schema.schema = 99;
    wrong_schema.delivery_id = "poison-schema".into();
    let mut no_key = good[1].clone();
    no_key.issue.key = String::new();
    no_key.delivery_id = "poison-key".into();
    let poison = vec![
        "not json at all".to_owned(),
        r#"{"hello": "world"}"#.to_owned(),
        serde_json::to_string(&wrong_schema).unwrap(),
        serde_json::to_string(&no_key).unwrap(),
    ];
    let mut all = bodies(&good);
    for (i, p) in poison.iter().enumerate() {
        all.insert(i * 70 + 5, p.clone());
    }
    send_bodies(&moto, &queue_url, all).await;

    let w = worker(&moto, &queue_url, db.connect_again().await, 100);
    let mut total = Totals::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let t = w.run(true, std::future::pending()).await.unwrap();
        total.applied += t.applied;
        total.failed += t.failed;
        let dead = queue_depth(&moto, &dlq_url).await;
        let main = queue_depth(&moto, &queue_url).await;
        if dead.0 as usize >= poison.len() && main == (0, 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "poison did not reach the dead-letter queue: {total:?}; dead-letter queue (visible, \
             in flight) {dead:?}, main queue {main:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(total.applied, good.len(), "{total:?}");
    assert!(total.failed >= poison.len(), "{total:?}");
    // Every poison message is dead-lettered. Under load a good message can also pass the
    // receive count (it became visible again before its batch was deleted): it was applied,
    // so it is harmless there, and it is one of the good bodies.
    let dead = moto.drain(&dlq_url).await;
    for p in &poison {
        assert!(dead.contains(p), "{p} is not in the dead-letter queue");
    }
    let good_bodies = bodies(&good);
    for d in dead.iter().filter(|d| !poison.contains(d)) {
        assert!(good_bodies.contains(d), "unexpected dead letter {d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_mid_run_loses_nothing() {
    let test = "a_database_outage_mid_run_loses_nothing";
    let Some(db) = TestDb::mysql(test).await else {
        return;
    };
    let Some(moto) = Moto::start(test) else {
        return;
    };
    let s = stream(1);
    configure(&db.db, &s.config_toml).await;
    let queue_url = moto
        .client()
        .create_queue()
        .queue_name("outage")
        .attributes(QueueAttributeName::VisibilityTimeout, "2")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let sent = bodies(&shuffled_with_duplicates(&s.events, 20, 7));

    // The processors reach MariaDB only through a proxy this test controls.
    let upstream = db
        .url
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let proxy = Proxy::start(upstream.clone()).await;
    let via_proxy = db
        .url
        .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
    let workers = vec![
        worker(&moto, &queue_url, pool(&via_proxy).await, 50),
        worker(&moto, &queue_url, pool(&via_proxy).await, 50),
    ];
    let runs = start_processors(workers);
    let half = sent.len() / 2;
    feed_gradually(&moto, &queue_url, &sent[..half], 60).await;
    // The database goes away while messages keep arriving, then comes back.
    proxy.cut();
    feed_gradually(&moto, &queue_url, &sent[half..half + 400], 1_000).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    feed_gradually(&moto, &queue_url, &sent[half + 400..], 60).await;
    drained(&moto, &queue_url, Duration::from_secs(300)).await;
    let total = stop_processors(runs).await;
    println!("through the outage: {total:?}");
    assert!(total.store_errors > 0, "the outage was felt: {total:?}");
    assert_eq!(total.failed, 0, "{total:?}");
    let expected = reference::compute(&s.config_toml, &s.docs, &s.deleted);
    assert_matches_reference(&report(&db.db).await, &expected);
}

#[tokio::test]
async fn the_lambda_names_exactly_the_messages_it_could_not_apply() {
    let db = TestDb::sqlite().await;
    let s = stream(1);
    configure(&db.db, &s.config_toml).await;
    let record = |id: &str, body: &str| {
        serde_json::json!({
            "messageId": id, "receiptHandle": "r", "body": body, "md5OfBody": "x",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:1:q",
            "awsRegion": "eu-west-1", "attributes": {}, "messageAttributes": {}
        })
    };
    let good = serde_json::to_string(&s.events[0]).unwrap();
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(serde_json::json!({
            "Records": [record("m1", &good), record("m2", "{broken"), record("m3", &good),
            record("m4", r#"{"schema": 99, "delivery_id": "x"}"#)]
        }))
        .unwrap();
    let response = processor::sqs::handle_sqs_event(&db.db, event).await;
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, ["m2", "m4"]);
}
