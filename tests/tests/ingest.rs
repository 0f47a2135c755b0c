//! Ingest over real HTTP: every webhook fixture gets the answer its README states, with the SQS
//! queue on a real moto server and with the local queue of `artflow serve`; signatures, tokens,
//! size limits, an unavailable queue, and API Gateway events through the Lambda adapter.

use std::path::Path;
use std::sync::Arc;

use artflow_tests::moto::Moto;
use artflow_tests::support::{TestDb, TestServer, http_post, shared_dir};
use chrono::Utc;
use domain::{IssueEvent, Webhook, parse_webhook};
use ingest::auth::sign;
use ingest::{Auth, IngestState, SqsQueue, router};

const SECRET: &str = "fixture-secret-2026";

/// (fixture, expected status, content type).
const EXPECTED: [(&str, u16, &str); 23] = [
    ("cloud-01-created.json", 202, "application/json"),
    ("cloud-02-status-analyzing.json", 202, "application/json"),
    ("cloud-03-date-field-set.json", 202, "application/json"),
    (
        "cloud-04-status-skips-backlog.json",
        202,
        "application/json",
    ),
    (
        "cloud-05-done-resolution-first.json",
        202,
        "application/json",
    ),
    ("cloud-06-datetime-field-set.json", 202, "application/json"),
    ("cloud-07-reopened.json", 202, "application/json"),
    ("cloud-08-done-again.json", 202, "application/json"),
    ("cloud-comment-created.json", 200, "application/json"),
    ("cloud-empty-changelog.json", 202, "application/json"),
    ("cloud-field-cleared.json", 202, "application/json"),
    ("cloud-issue-deleted.json", 202, "application/json"),
    ("cloud-issue-moved.json", 202, "application/json"),
    ("cloud-no-changelog.json", 202, "application/json"),
    (
        "automation-format.json",
        202,
        "application/json; charset=utf-8",
    ),
    ("dc-post-function.json", 202, "application/json"),
    (
        "server-status-done-no-field-id.json",
        202,
        "application/json",
    ),
    ("bad/truncated.json", 400, "application/json"),
    ("bad/issue-is-a-string.json", 400, "application/json"),
    ("bad/issue-without-id-or-key.json", 400, "application/json"),
    ("bad/array-body.json", 400, "application/json"),
    ("bad/not-json.txt", 415, "text/plain"),
    ("bad/unparseable-date-field.json", 202, "application/json"),
];

fn read(shared: &Path, name: &str) -> Vec<u8> {
    std::fs::read(shared.join("fixtures/jira").join(name)).unwrap()
}

/// Posts every fixture, signed, each with its own delivery id; checks the answers and returns
/// the events that should have been queued.
async fn post_fixtures(base: &str, shared: &Path) -> Vec<IssueEvent> {
    let mut queued = Vec::new();
    for (name, want, content_type) in EXPECTED {
        let body = read(shared, name);
        let delivery = format!("delivery-{name}");
        let sig = sign(SECRET.as_bytes(), &body);
        let (status, answer) = http_post(
            base,
            "/webhooks/jira",
            &[
                ("Content-Type", content_type),
                ("X-Hub-Signature", &sig),
                ("X-Atlassian-Webhook-Identifier", &delivery),
            ],
            &body,
        )
        .await
        .unwrap();
        assert_eq!(status, want, "{name}: {answer}");
        let json: serde_json::Value = serde_json::from_str(&answer).unwrap();
        match status {
            202 => {
                assert_eq!(json["delivery_id"], delivery.as_str(), "{name}");
                match parse_webhook(&body, Some(&delivery)).unwrap() {
                    Webhook::Event(e) => queued.push(*e),
                    other => panic!("{name}: {other:?}"),
                }
            }
            200 => assert_eq!(json["status"], "ignored"),
            _ => {
                let message = json["error"]["message"].as_str().unwrap();
                assert!(!message.is_empty(), "{name}");
                assert!(json["error"]["code"].is_string());
            }
        }
    }
    queued
}

#[tokio::test]
async fn fixtures_get_their_answers_with_sqs_on_moto() {
    let Some(shared) = shared_dir("fixtures_get_their_answers_with_sqs_on_moto") else {
        return;
    };
    let Some(moto) = Moto::start("fixtures_get_their_answers_with_sqs_on_moto") else {
        return;
    };
    let queue_url = moto.queue("ingest-fixtures").await;
    let queue = SqsQueue::new(moto.client(), &queue_url);
    let auth = Auth::new(Some(SECRET.into()), None).unwrap();
    let server = TestServer::start(router(IngestState::new(Arc::new(queue), auth))).await;
    let expected = post_fixtures(&server.base, &shared).await;

    let mut landed: Vec<IssueEvent> = moto
        .drain(&queue_url)
        .await
        .iter()
        .map(|m| serde_json::from_str(m).expect("a queued message decodes to an IssueEvent"))
        .collect();
    landed.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    let mut expected = expected;
    expected.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    assert_eq!(
        landed, expected,
        "exactly the accepted events, nothing for refused bodies"
    );
}

#[tokio::test]
async fn fixtures_get_their_answers_with_the_local_queue() {
    let Some(shared) = shared_dir("fixtures_get_their_answers_with_the_local_queue") else {
        return;
    };
    let db = TestDb::sqlite().await;
    let config = domain::parse_config(
        "artflow.toml",
        &std::fs::read_to_string(shared.join("fixtures/jira/artflow.toml")).unwrap(),
    )
    .unwrap();
    processor::apply_config(&db.db, &config, false, Utc::now())
        .await
        .unwrap();
    let queue = artflow::local::LocalQueue::new(db.db.clone());
    let auth = Auth::new(Some(SECRET.into()), None).unwrap();
    let server = TestServer::start(router(IngestState::new(Arc::new(queue), auth))).await;
    let expected = post_fixtures(&server.base, &shared).await;

    // Each accepted delivery is in the database, and nothing else.
    let stored = deliveries_stored(&db.db).await;
    assert_eq!(stored, expected.len() as u64);
    let r = serde_json::to_value(
        artflow::report::build(&db.db, None, Utc::now(), Default::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let pay_flow = &r["arts"][1]["pipelines"][1];
    assert_eq!(pay_flow["code"], "PAY-FLOW");
    assert_eq!(pay_flow["max_days"], 45.0);
}

async fn deliveries_stored(db: &sea_orm::DatabaseConnection) -> u64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM delivery",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() as u64
}

/// A queue that keeps what it is given, for tests of the HTTP layer alone.
#[derive(Default)]
struct Kept(std::sync::Mutex<Vec<IssueEvent>>);

impl ingest::Queue for Kept {
    fn enqueue<'a>(&'a self, event: &'a IssueEvent) -> ingest::queue::QueueFuture<'a> {
        self.0.lock().unwrap().push(event.clone());
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn signatures_and_tokens() {
    let Some(shared) = shared_dir("signatures_and_tokens") else {
        return;
    };
    let kept = Arc::new(Kept::default());
    let auth = Auth::new(Some(SECRET.into()), Some("automation-token".into())).unwrap();
    let server = TestServer::start(router(IngestState::new(kept.clone(), auth))).await;
    let body = read(&shared, "cloud-02-status-analyzing.json");
    let readme = "sha256=00ae95094321ee19229cc02022d7e58b1d2e1eea6e486b508c8a46940fdcc57b";
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>, path: &'static str| {
        let base = server.base.clone();
        async move {
            let mut h: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
            h.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
            http_post(&base, path, &h, &body).await.unwrap()
        }
    };
    let (status, _) = post(
        vec![("X-Hub-Signature", readme.into())],
        body.clone(),
        "/webhooks/jira",
    )
    .await;
    assert_eq!(status, 202, "the README's signature is accepted");

    let mut changed = body.clone();
    let at = changed.len() / 2;
    changed[at] ^= 1;
    let (status, answer) = post(
        vec![("X-Hub-Signature", readme.into())],
        changed,
        "/webhooks/jira",
    )
    .await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("does not match"));

    let wrong = sign(b"wrong-secret", &body);
    assert_eq!(
        post(
            vec![("X-Hub-Signature", wrong)],
            body.clone(),
            "/webhooks/jira"
        )
        .await
        .0,
        401
    );
    let (status, answer) = post(vec![], body.clone(), "/webhooks/jira").await;
    assert_eq!(status, 401);
    assert!(answer.contains("missing X-Hub-Signature"), "{answer}");
    let (status, answer) = post(
        vec![("X-Hub-Signature", readme.replace("sha256", "sha1"))],
        body.clone(),
        "/webhooks/jira",
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        answer.contains("sha1") && answer.contains("is not supported"),
        "{answer}"
    );

    // Jira Automation: a shared token in a header or the query.
    assert_eq!(
        post(
            vec![("X-Artflow-Token", "automation-token".into())],
            body.clone(),
            "/webhooks/jira"
        )
        .await
        .0,
        202
    );
    assert_eq!(
        post(
            vec![],
            body.clone(),
            "/webhooks/jira?token=automation-token"
        )
        .await
        .0,
        202
    );
    assert_eq!(
        post(
            vec![("X-Artflow-Token", "guess".into())],
            body.clone(),
            "/webhooks/jira"
        )
        .await
        .0,
        401
    );
    assert_eq!(
        kept.0.lock().unwrap().len(),
        3,
        "only authenticated bodies are queued"
    );
}

/// A Jira body of about 5 MB: a 32,767-character description, a hundred long comments and many
/// custom fields.
fn five_megabytes(shared: &Path) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&read(shared, "cloud-04-status-skips-backlog.json")).unwrap();
    let fields = v["issue"]["fields"].as_object_mut().unwrap();
    fields.insert("description".into(), "d".repeat(32_767).into());
    let comments: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"id": i.to_string(), "body": format!("{i} {}", "c".repeat(32_767)), "author": {"displayName": "x"}}))
        .collect();
    fields.insert(
        "comment".into(),
        serde_json::json!({"comments": comments, "total": 100}),
    );
    for i in 0..2_400 {
        fields.insert(
            format!("customfield_{}", 20_000 + i),
            format!("{i} {}", "v".repeat(800)).into(),
        );
    }
    let body = serde_json::to_vec(&v).unwrap();
    assert!(body.len() > 5_000_000, "{}", body.len());
    body
}

#[tokio::test]
async fn a_five_megabyte_body_makes_a_small_event_and_limits_hold() {
    let Some(shared) = shared_dir("a_five_megabyte_body_makes_a_small_event_and_limits_hold")
    else {
        return;
    };
    let kept = Arc::new(Kept::default());
    let server = TestServer::start(router(IngestState::new(kept.clone(), Auth::insecure()))).await;
    let body = five_megabytes(&shared);
    let (status, answer) = http_post(
        &server.base,
        "/webhooks/jira",
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
    .unwrap();
    assert_eq!(status, 202, "{answer}");
    let event = kept.0.lock().unwrap()[0].clone();
    let size = serde_json::to_vec(&event).unwrap().len();
    println!("a {} byte body queued a {size} byte event", body.len());
    assert!(size < 8 * 1024, "{size}");

    let mut state = IngestState::new(kept.clone(), Auth::insecure());
    state.body_limit = 1024 * 1024;
    let small = TestServer::start(router(state)).await;
    let (status, answer) = http_post(
        &small.base,
        "/webhooks/jira",
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
    .unwrap();
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("larger than 1048576 bytes"));
}

#[tokio::test]
async fn an_unavailable_queue_is_a_503_and_nothing_is_reported_accepted() {
    let Some(shared) = shared_dir("an_unavailable_queue_is_a_503") else {
        return;
    };
    let Some(mut moto) = Moto::start("an_unavailable_queue_is_a_503") else {
        return;
    };
    let queue_url = moto.queue("ingest-down").await;
    let queue = SqsQueue::new(moto.client(), &queue_url);
    let server =
        TestServer::start(router(IngestState::new(Arc::new(queue), Auth::insecure()))).await;
    let body = read(&shared, "cloud-02-status-analyzing.json");
    let headers = [("Content-Type", "application/json")];
    assert_eq!(
        http_post(&server.base, "/webhooks/jira", &headers, &body)
            .await
            .unwrap()
            .0,
        202
    );
    moto.stop();
    let (status, answer) = http_post(&server.base, "/webhooks/jira", &headers, &body)
        .await
        .unwrap();
    assert_eq!(status, 503, "{answer}");
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(json["error"]["code"], "queue_unavailable");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.len() < 400 && !message.contains("SdkBody"),
        "{message}"
    );

    // Unknown routes and methods get the same JSON error shape.
    let (status, answer) = http_post(&server.base, "/nowhere", &headers, b"{}")
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert!(answer.contains("\"not_found\""), "{answer}");
    let (status, answer) = http_post(&server.base, "/healthz", &headers, b"{}")
        .await
        .unwrap();
    assert_eq!(status, 405);
    assert!(answer.contains("\"method_not_allowed\""), "{answer}");
}

#[tokio::test]
async fn api_gateway_events_reach_the_router_through_lambda_http() {
    use tower::ServiceExt;
    let kept = Arc::new(Kept::default());
    let auth = Auth::new(Some("s3cret".into()), None).unwrap();
    let app = ingest::lambda_router(IngestState::new(kept.clone(), auth));
    let body = r#"{"timestamp":1767690000000,"webhookEvent":"jira:issue_updated","issue":{"id":"7","key":"OPS-7","self":"https://ops.example.net/rest/api/2/issue/7","fields":{"project":{"key":"OPS"},"status":{"name":"Done"}}},"changelog":{"id":"5","items":[{"field":"status","fieldId":"status","fromString":"In Progress","toString":"Done"}]}}"#;
    let sig = sign(b"s3cret", body.as_bytes());
    let http_api = serde_json::json!({
        "version": "2.0", "routeKey": "POST /webhooks/jira", "rawPath": "/webhooks/jira",
        "rawQueryString": "", "headers": {"content-type": "application/json", "x-hub-signature": sig},
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "x.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "x", "http": {"method": "POST", "path": "/webhooks/jira", "protocol": "HTTP/1.1",
            "sourceIp": "1.2.3.4", "userAgent": "Atlassian"}, "requestId": "r", "routeKey": "POST /webhooks/jira",
            "stage": "$default", "time": "03/Dec/2026:10:00:00 +0000", "timeEpoch": 1796292000000_i64},
        "body": body, "isBase64Encoded": false
    });
    let rest_api = serde_json::json!({
        "resource": "/webhooks/jira", "path": "/webhooks/jira", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "X-Hub-Signature": sig},
        "multiValueHeaders": {"Content-Type": ["application/json"], "X-Hub-Signature": [sig]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null, "pathParameters": null,
        "stageVariables": null,
        "requestContext": {"accountId": "1", "resourceId": "r", "stage": "prod", "requestId": "q",
            "identity": {"sourceIp": "1.2.3.4"}, "resourcePath": "/webhooks/jira", "httpMethod": "POST",
            "apiId": "a", "path": "/prod/webhooks/jira"},
        "body": body, "isBase64Encoded": false
    });
    for (what, event) in [("HTTP API", http_api), ("REST API", rest_api)] {
        let request = lambda_http::request::from_str(&event.to_string())
            .unwrap_or_else(|e| panic!("{what} event: {e}"));
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 202, "{what}");
    }
    assert_eq!(kept.0.lock().unwrap().len(), 2);
}
