//! Throughput of `parse_webhook` (parse + normalize into an `IssueEvent`), against a plain
//! `serde_json::Value` parse of the same bodies for comparison.
//!
//! Bodies: every webhook fixture of `../shared/fixtures/jira/*.json` (or, without that folder, a
//! webhook written here), and a 1 MB webhook built from one of them: a description of 32,767
//! characters and a hundred long comments. Run with `cargo bench -p artflow-domain --bench parse`.
//!
//! Every body is measured twice: `parse_webhook(body, None)` includes the SHA-256 of the body
//! (the delivery id when Jira sends no `X-Atlassian-Webhook-Identifier`), and
//! `parse_webhook(body, Some(header))` does not hash.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use artflow_domain::jira::{Webhook, parse_webhook};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// A Cloud `jira:issue_updated` webhook, used when the fixtures are not there.
const FALLBACK: &str = r#"{
  "timestamp": 1767686400000,
  "webhookEvent": "jira:issue_updated",
  "issue_event_type_name": "issue_generic",
  "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Ana Ruiz", "active": true},
  "issue": {
    "id": "20101", "key": "PAY-101",
    "self": "https://acme.atlassian.net/rest/api/2/issue/20101",
    "fields": {
      "project": {"id": "10001", "key": "PAY", "name": "Payments"},
      "issuetype": {"id": "10000", "name": "Feature", "subtask": false},
      "status": {"id": "10101", "name": "Analyzing",
                 "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
      "summary": "Instant payouts", "priority": {"id": "3", "name": "Medium"},
      "labels": ["payments", "q1"], "created": "2026-01-05T09:12:44.120+0100",
      "updated": "2026-01-06T10:00:00.000+0100", "resolutiondate": null,
      "customfield_10050": null, "customfield_10051": null, "customfield_10016": 8.0,
      "description": "Payouts within minutes instead of days."
    }
  },
  "changelog": {"id": "30001", "items": [
    {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "10100",
     "fromString": "Funnel", "to": "10101", "toString": "Analyzing"}]}
}"#;

const HEADER: &str = "b3d0c9a4-6f1e-4e36-9d5a-2f7c1a8e0b11";

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/jira")
}

/// The fixture bodies by name, or the body above when the folder is absent.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixtures_dir())
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .map(|p| {
                    let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read(&p).expect("fixture is readable"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    if out.is_empty() {
        eprintln!(
            "no fixtures at {}: using a built-in body",
            fixtures_dir().display()
        );
        out.push(("built-in-updated".into(), FALLBACK.as_bytes().to_vec()));
    }
    out
}

/// Deterministic prose: words, punctuation, a few non-ASCII letters and line breaks (escaped
/// as `\n` in JSON), `chars` characters long.
fn prose(seed: u64, chars: usize) -> String {
    const WORDS: &[&str] = &[
        "payout",
        "settlement",
        "merchant",
        "ledger",
        "reconcile",
        "the",
        "a",
        "of",
        "to",
        "and",
        "is",
        "when",
        "before",
        "after",
        "failed",
        "retry",
        "batch",
        "card",
        "SEPA",
        "acquirer",
        "fee",
        "réglement",
        "Zahlung",
        "naïve",
        "façade",
        "timeout",
        "queue",
        "refund",
    ];
    let mut s = String::with_capacity(chars + 16);
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut n = 0;
    while n < chars {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = WORDS[(x >> 33) as usize % WORDS.len()];
        let sep = match (x >> 20) % 40 {
            0 => ".\n",
            1 | 2 => ", ",
            3 => ". ",
            _ => " ",
        };
        s.push_str(word);
        s.push_str(sep);
        n += word.chars().count() + sep.chars().count();
    }
    s.chars().take(chars).collect()
}

/// A webhook of about 1 MB: the base body's issue with a 32,767-character description and a
/// hundred long comments, as Jira Cloud sends them in `fields.comment`.
fn big_body(base: &[u8]) -> Vec<u8> {
    const TARGET: usize = 1 << 20;
    let mut v: Value = serde_json::from_slice(base).expect("the base body is JSON");
    let site = "https://acme.atlassian.net";
    let author = |n: u64| {
        json!({
            "self": format!("{site}/rest/api/2/user?accountId=5b10a2844c20165700ede2{n:02}"),
            "accountId": format!("5b10a2844c20165700ede2{n:02}"),
            "avatarUrls": {"48x48": format!("{site}/avatar/{n}/48"), "16x16": format!("{site}/avatar/{n}/16")},
            "displayName": format!("Engineer {n}"), "active": true, "timeZone": "Europe/Berlin",
            "accountType": "atlassian"
        })
    };
    let comments = |len: usize| -> Vec<Value> {
        (0..100u64)
            .map(|i| {
                json!({
                    "self": format!("{site}/rest/api/2/issue/20101/comment/{}", 40_000 + i),
                    "id": (40_000 + i).to_string(),
                    "author": author(i % 7), "updateAuthor": author(i % 7),
                    "body": prose(i + 1, len),
                    "created": "2026-01-07T10:00:00.000+0100",
                    "updated": "2026-01-07T10:00:00.000+0100",
                    "jsdPublic": true
                })
            })
            .collect()
    };
    let build = |v: &mut Value, len: usize| {
        let issue = if v.get("issue").is_some() {
            &mut v["issue"]
        } else {
            &mut *v
        };
        let fields = issue
            .as_object_mut()
            .expect("an issue object")
            .entry("fields")
            .or_insert_with(|| json!({}));
        fields["description"] = Value::String(prose(0, 32_767));
        fields["comment"] = json!({
            "comments": comments(len), "self": format!("{site}/rest/api/2/issue/20101/comment"),
            "maxResults": 100, "total": 100, "startAt": 0
        });
        serde_json::to_vec(v).unwrap()
    };
    // Size the comments so that the body is close to 1 MiB.
    let without = build(&mut v.clone(), 0).len();
    let len = (TARGET - without) * 100 / 101 / 100;
    let body = build(&mut v, len);
    assert!(body.len() > 1_000_000, "{}", body.len());
    body
}

fn bench(c: &mut Criterion) {
    let fixtures = fixtures();
    for (name, body) in &fixtures {
        // Only bodies that parse into an event or an acknowledgement are measured.
        parse_webhook(body, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    let mut g = c.benchmark_group("parse_webhook");
    for (name, body) in &fixtures {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| parse_webhook(black_box(body), None))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parse_webhook_header");
    for (name, body) in &fixtures {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| parse_webhook(black_box(body), Some(HEADER)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("value_parse");
    for (name, body) in &fixtures {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
        });
    }
    g.finish();

    let base = fixtures
        .iter()
        .find(|(n, _)| n == "cloud-02-status-analyzing")
        .unwrap_or(&fixtures[0]);
    let big = big_body(&base.1);
    match parse_webhook(&big, None) {
        Ok(Webhook::Event(e)) => assert!(serde_json::to_vec(&e).unwrap().len() < 4096),
        other => panic!("the 1 MB body: {other:?}"),
    }
    eprintln!("1 MB body: {} bytes, built from {}", big.len(), base.0);
    let mut g = c.benchmark_group("1mb");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("parse_webhook/header", |b| {
        b.iter(|| parse_webhook(black_box(&big), Some(HEADER)))
    });
    g.bench_function("parse_webhook/body_hash", |b| {
        b.iter(|| parse_webhook(black_box(&big), None))
    });
    g.bench_function("value_parse", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&big)).unwrap())
    });
    g.bench_function("body_hash_only", |b| {
        b.iter(|| artflow_domain::jira::delivery_id(None, black_box(&big)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
