//! The processor's speed on MariaDB (`TEST_MYSQL_URL`), as ratios and rates measured in one run:
//! `cargo bench -p artflow-tests --bench processor`. Figures go to BENCHMARKS.md.
//!
//! 1. events/s of one processor at batch sizes 10 and 100;
//! 2. the cost per event with 1,000 and with 100,000 issues in one configuration, beside the cost
//!    of recomputing that configuration from scratch;
//! 3. latency from webhook POST to the event being applied, at 100 events/s, through the local
//!    queue and through SQS (moto).

use std::sync::Arc;
use std::time::{Duration, Instant};

use artflow_tests::moto::Moto;
use artflow_tests::stream::stream;
use artflow_tests::support::{TestDb, TestServer, http_post};
use chrono::{DateTime, Utc};
use domain::event::Status;
use domain::{Change, ChangeItem, EventKind, IssueEvent, IssueSnapshot};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

const ONE_CONFIG: &str = r#"
[[art]]
abbreviation = "BIG"
name = "Big train"
jira_program_key = "BIG"

[[art.pipeline]]
code = "BIG-FLOW"
name = "Analyzing to Done"
rule = "status"
stages = ["Funnel", "Analyzing", "Implementing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing"]
"#;

fn event(id: u64, seq: u64, kind: EventKind, from: &str, to: &str, at_ms: i64) -> IssueEvent {
    let at = DateTime::from_timestamp_millis(at_ms).unwrap();
    IssueEvent {
        schema: domain::event::SCHEMA_VERSION,
        delivery_id: format!("bench:{id}:{seq}"),
        kind,
        at,
        issue: IssueSnapshot {
            site: "https://bench.example.net".into(),
            id: id.to_string(),
            key: format!("BIG-{id}"),
            project_key: Some("BIG".into()),
            issue_type: Some("Feature".into()),
            status: Some(Status {
                id: None,
                name: to.into(),
            }),
            status_category: None,
            created: Some(DateTime::from_timestamp_millis(1_767_225_600_000).unwrap()),
            resolution_date: None,
            resolution: None,
            fields: Default::default(),
        },
        changes: if kind == EventKind::Created {
            Vec::new()
        } else {
            vec![Change {
                id: (id * 100 + seq).to_string(),
                at,
                items: vec![ChangeItem {
                    field: "status".into(),
                    field_id: Some("status".into()),
                    from: None,
                    from_string: Some(from.into()),
                    to: None,
                    to_string: Some(to.into()),
                }],
            }]
        },
    }
}

async fn configure(db: &DatabaseConnection, toml: &str) {
    let config = domain::parse_config("bench", toml).unwrap();
    processor::apply_config(db, &config, false, Utc::now())
        .await
        .unwrap();
}

async fn apply_all(db: &DatabaseConnection, events: &[IssueEvent], batch: usize) -> Duration {
    let started = Instant::now();
    for chunk in events.chunks(batch) {
        processor::apply_batch(db, chunk, Utc::now()).await.unwrap();
    }
    started.elapsed()
}

/// Issues 0..n created in Funnel and moved to Analyzing (work in progress).
fn population(n: u64) -> Vec<IssueEvent> {
    let base = 1_767_225_600_000;
    (0..n)
        .flat_map(|i| {
            [
                event(i, 0, EventKind::Created, "Funnel", "Funnel", base),
                event(
                    i,
                    1,
                    EventKind::Updated,
                    "Funnel",
                    "Analyzing",
                    base + 3_600_000 + i as i64,
                ),
            ]
        })
        .collect()
}

/// 1,000 changes, each to a different issue of 0..n (7,919 is prime to both sizes): half
/// finish, half move on. The same work per event whatever n is.
fn changes(n: u64) -> Vec<IssueEvent> {
    let base = 1_768_000_000_000;
    (0..1_000u64)
        .map(|k| {
            let id = (k * 7_919) % n;
            if k % 2 == 0 {
                event(
                    id,
                    2,
                    EventKind::Updated,
                    "Analyzing",
                    "Done",
                    base + k as i64 * 1000,
                )
            } else {
                event(
                    id,
                    3,
                    EventKind::Updated,
                    "Analyzing",
                    "Implementing",
                    base + k as i64 * 1000,
                )
            }
        })
        .collect()
}

/// Waits (at most 60 s) until InnoDB has written back the pages the load dirtied, so that the
/// measurement is of the steady state, not of the load's write-back.
async fn settle(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'",
            ))
            .await
            .unwrap()
            .unwrap();
        let dirty: String = row.try_get_by_index(1).unwrap();
        if dirty.parse::<u64>().unwrap_or(0) < 100 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn applied_at(db: &DatabaseConnection, delivery: &str) -> Option<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT received_at_ms FROM delivery WHERE delivery_id = ?",
            [delivery.into()],
        ))
        .await
        .ok()??;
    row.try_get("", "received_at_ms").ok()
}

/// Posts `n` webhooks at 100/s and waits until each is applied; latencies in ms.
async fn latency(db: &DatabaseConnection, base: &str, n: usize) -> Vec<f64> {
    let mut sent = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let due = start + Duration::from_millis(10 * i as u64);
        tokio::time::sleep_until(due.into()).await;
        let body = serde_json::json!({
            "timestamp": 1_769_000_000_000_i64 + i as i64,
            "webhookEvent": "jira:issue_updated",
            "issue": {"id": format!("{}", 900_000 + i), "key": format!("BIG-L{i}"),
                "self": "https://bench.example.net/rest/api/2/issue/1",
                "fields": {"project": {"key": "BIG"}, "issuetype": {"name": "Feature"},
                    "status": {"name": "Analyzing"}}},
            "changelog": {"id": format!("{}", 5_000_000 + i), "items": [{"field": "status",
                "fieldId": "status", "fromString": "Funnel", "toString": "Analyzing"}]}
        })
        .to_string();
        let delivery = format!("latency-{i}-{}", std::process::id());
        let posted = Utc::now().timestamp_millis();
        let (status, answer) = http_post(
            base,
            "/webhooks/jira",
            &[
                ("Content-Type", "application/json"),
                ("X-Atlassian-Webhook-Identifier", &delivery),
            ],
            body.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(status, 202, "{answer}");
        sent.push((delivery, posted));
    }
    let mut out = Vec::with_capacity(n);
    for (delivery, posted) in sent {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(at) = applied_at(db, &delivery).await {
                // Applied at `at`; committed right after, within the same batch.
                out.push((at - posted).max(0) as f64);
                break;
            }
            assert!(Instant::now() < deadline, "{delivery} never applied");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).unwrap());
    out
}

/// Peak RSS (kB) of `artflow process --batch-size 100` draining the stream from moto.
async fn processor_rss(moto: &Moto) -> Option<(u64, usize)> {
    let bin = std::env::current_exe()
        .ok()?
        .parent()?
        .parent()?
        .join("artflow");
    if !bin.exists() || !std::path::Path::new("/usr/bin/time").exists() {
        eprintln!("RSS skipped: build target/release/artflow (cargo build --release -p artflow)");
        return None;
    }
    let db = TestDb::mysql("bench").await.unwrap();
    let s = stream(1);
    configure(&db.db, &s.config_toml).await;
    let url = moto.queue("rss").await;
    let client = moto.client();
    // 1,000 events: ten batches of 100 (moto's receive slows with the depth of its queue).
    let events = &s.events[..1_000];
    for chunk in events.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(serde_json::to_string(e).unwrap())
                    .build()
                    .unwrap()
            })
            .collect();
        client
            .send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
    }
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&bin)
        .args([
            "--database-url",
            &db.url,
            "process",
            "--queue-url",
            &url,
            "--batch-size",
            "100",
            "--until-empty",
        ])
        .env("AWS_ENDPOINT_URL_SQS", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())?;
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    Some((rss, events.len()))
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(_) = std::env::var("TEST_MYSQL_URL").ok() else {
        eprintln!("processor bench skipped: set TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306)");
        return;
    };

    // 1. Throughput at batch 10 and 100 on the generated stream.
    let s = stream(1);
    for batch in [10, 100] {
        let db = TestDb::mysql("bench").await.unwrap();
        configure(&db.db, &s.config_toml).await;
        let took = apply_all(&db.db, &s.events, batch).await;
        println!(
            "throughput, batch {batch:>3}: {} events in {:.2} s = {:.0} events/s",
            s.events.len(),
            took.as_secs_f64(),
            s.events.len() as f64 / took.as_secs_f64()
        );
    }

    // 2. Cost per event with 1,000 and 100,000 issues in one configuration; full recomputation.
    //    The buffer pool is sized for the larger store (a dynamic setting).
    for n in [1_000u64, 100_000] {
        let db = TestDb::mysql("bench").await.unwrap();
        db.db
            .execute_unprepared("SET GLOBAL innodb_buffer_pool_size = 1073741824")
            .await
            .unwrap();
        configure(&db.db, ONE_CONFIG).await;
        let load = apply_all(&db.db, &population(n), 500).await;
        settle(&db.db).await;
        let work = changes(n);
        // The first tenth warms the caches and is not counted.
        let (warm, work) = work.split_at(work.len() / 10);
        apply_all(&db.db, warm, 100).await;
        let took = apply_all(&db.db, work, 100).await;
        let per_event = took.as_secs_f64() * 1e6 / work.len() as f64;
        let started = Instant::now();
        processor::rebuild(&db.db, Some("BIG-FLOW"), Utc::now())
            .await
            .unwrap();
        let rebuild = started.elapsed().as_secs_f64();
        println!(
            "{n:>7} issues (loaded in {:.1} s): {per_event:.0} µs per event at batch 100; \
             full recomputation {rebuild:.2} s (= {:.0} events' worth)",
            load.as_secs_f64(),
            rebuild * 1e6 / per_event
        );
    }

    // 3. Latency, webhook POST → applied, at 100 events/s.
    {
        let db = TestDb::mysql("bench").await.unwrap();
        configure(&db.db, ONE_CONFIG).await;
        let queue = artflow::local::LocalQueue::new(db.connect_again().await);
        let server = TestServer::start(ingest::router(ingest::IngestState::new(
            Arc::new(queue),
            ingest::Auth::insecure(),
        )))
        .await;
        let l = latency(&db.db, &server.base, 500).await;
        println!(
            "latency via the local queue, 500 webhooks at 100/s: p50 {:.0} ms, p99 {:.0} ms",
            percentile(&l, 50.0),
            percentile(&l, 99.0)
        );
    }
    if let Some(moto) = Moto::start("bench") {
        let db = TestDb::mysql("bench").await.unwrap();
        configure(&db.db, ONE_CONFIG).await;
        let url = moto.queue("latency").await;
        let worker = artflow::worker::Worker {
            client: moto.client(),
            queue_url: url.clone(),
            db: db.connect_again().await,
            batch_size: 10,
            wait: Duration::from_secs(1),
        };
        let run = tokio::spawn(async move { worker.run(false, std::future::pending()).await });
        let server = TestServer::start(ingest::router(ingest::IngestState::new(
            Arc::new(ingest::SqsQueue::new(moto.client(), url)),
            ingest::Auth::insecure(),
        )))
        .await;
        let l = latency(&db.db, &server.base, 500).await;
        run.abort();
        if let Some((rss, n)) = processor_rss(&moto).await {
            println!(
                "peak RSS of `artflow process --batch-size 100` over {n} events: {} MB",
                rss / 1024
            );
        }
        println!(
            "latency via SQS (moto), 500 webhooks at 100/s: p50 {:.0} ms, p99 {:.0} ms",
            percentile(&l, 50.0),
            percentile(&l, 99.0)
        );
    }
}
