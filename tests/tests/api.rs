//! The read API over real HTTP on port 0, on SQLite and on MariaDB, loaded with the generated
//! demo dataset: every endpoint, its figures against the reference computation, ETags and 304s,
//! the old job's field names, errors, an SQL injection attempt, auth, CORS and the admin route.

use api::ApiSettings;
use artflow::demo::generate;
use artflow::feed::{Summary, feed};
use artflow_tests::app::{Backend, TestApp, spawn_app};
use artflow_tests::demo::{events, expected};
use artflow_tests::support::{artflow_bin, assert_matches_reference, reference_mismatches};
use chrono::Utc;
use serde_json::{Value, json};

/// Loads the demo dataset but its last webhook (a deletion), which the test posts later.
async fn load(app: &TestApp) -> (Value, Vec<u8>) {
    let data = generate(2026);
    let config = domain::parse_config("demo", &data.config_toml).unwrap();
    processor::apply_config(&app.db.db, &config, false, Utc::now())
        .await
        .unwrap();
    let mut all = events(&data);
    all.pop();
    let summary = feed(&app.db.db, Summary::default(), all).await.unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    app.api.invalidate();
    let last = serde_json::to_vec(data.webhooks.last().unwrap()).unwrap();
    (expected(&data), last)
}

/// Every counted key of a configuration, through the paginated issues endpoint.
async fn counted_keys(app: &TestApp, abbr: &str, code: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/arts/{abbr}/issues?config={code}&outcome=counted&limit=7");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let page = r.json();
        for i in page["issues"].as_array().unwrap() {
            assert_eq!(i["outcome"], "counted");
            keys.push(i["key"].as_str().unwrap().to_owned());
        }
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(pages >= 1);
    keys.sort();
    keys
}

/// The API's figures of every ART in the report's shape, for the reference comparison.
async fn api_report(app: &TestApp) -> Value {
    let arts = app.get("/arts").await.json();
    let mut out = Vec::new();
    for a in arts["arts"].as_array().unwrap() {
        let abbr = a["abbreviation"].as_str().unwrap();
        let eff = app
            .get(&format!("/arts/{abbr}/pipeline-efficiency"))
            .await
            .json();
        let mut pipelines = Vec::new();
        for p in eff["pipelines"].as_array().unwrap() {
            let mut p = p.clone();
            let keys = counted_keys(app, abbr, p["code"].as_str().unwrap()).await;
            assert_eq!(keys.len() as i64, p["count"].as_i64().unwrap());
            p["issues"] = json!(keys);
            pipelines.push(p);
        }
        out.push(json!({"abbreviation": abbr, "name": a["name"], "pipelines": pipelines}));
    }
    json!({ "arts": out })
}

fn flow_count(eff: &Value) -> usize {
    eff["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "PAY-FLOW")
        .unwrap()["count"]
        .as_u64()
        .unwrap() as usize
}

async fn every_endpoint(test: &str, backend: Backend) {
    let Some(app) = spawn_app(test, backend, ApiSettings::default()).await else {
        return;
    };
    let (expected_all, last_webhook) = load(&app).await;

    assert_eq!(app.get("/healthz").await.json(), json!({"status": "ok"}));

    // /arts and /arts/{abbr}: every ART with its configuration codes, any letter case.
    let arts = app.get("/arts").await.json();
    let abbrs: Vec<&str> = arts["arts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["abbreviation"].as_str().unwrap())
        .collect();
    assert_eq!(abbrs, ["DATA", "MOB", "OPS", "PAY"]);
    let pay = app.get("/arts/pay").await.json();
    assert_eq!(pay["abbreviation"], "PAY");
    let pay_codes: Vec<&str> = pay["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(json!(pay_codes), arts["arts"][3]["configs"]);
    // The spec as its TOML table is written: `rule` beside the rule's own keys.
    assert!(pay["configs"][0]["spec"]["rule"].is_string());
    assert_eq!(pay["configs"][0]["spec"]["code"], pay["configs"][0]["code"]);
    let configs = app.get("/configs").await.json();
    assert_eq!(configs["configs"].as_array().unwrap().len(), 10);

    // The figures, with the counted issues read page by page, before the last deletion: they
    // differ from the whole dataset's; after it, they equal the reference computation.
    let before = api_report(&app).await;
    assert!(!reference_mismatches(&before, &expected_all).is_empty());
    let eff_before = app.get("/arts/PAY/pipeline-efficiency").await;
    let etag = eff_before.header("etag").unwrap().to_owned();
    assert_eq!(eff_before.header("cache-control"), Some("no-cache"));
    let not_modified = app
        .get_with("/arts/PAY/pipeline-efficiency", &[("if-none-match", &etag)])
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    // Another resource's ETag does not match.
    let other = app
        .get_with("/arts/MOB/pipeline-efficiency", &[("if-none-match", &etag)])
        .await;
    assert_eq!(other.status, 200);

    let posted = app.post_webhook(&last_webhook).await;
    assert_eq!(posted.status, 202, "{}", posted.body);
    let after = api_report(&app).await;
    assert_matches_reference(&after, &expected_all);
    // A webhook to the server shows at once, and the old ETag no longer matches.
    let changed: Vec<&str> = abbrs
        .iter()
        .copied()
        .filter(|a| {
            let i = abbrs.iter().position(|x| x == a).unwrap();
            before["arts"][i] != after["arts"][i]
        })
        .collect();
    assert_eq!(changed.len(), 1, "one deletion changes one ART");
    let fresh = app
        .get_with(
            &format!("/arts/{}/pipeline-efficiency", changed[0]),
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(fresh.status, 200);

    // Percentiles are nearest-rank over the counted lead times, within the sketch's 0.5%.
    let eff = app.get("/arts/PAY/pipeline-efficiency").await.json();
    for p in eff["pipelines"].as_array().unwrap() {
        let code = p["code"].as_str().unwrap();
        let page = app
            .get(&format!(
                "/arts/PAY/issues?config={code}&outcome=counted&limit=10000"
            ))
            .await
            .json();
        let mut leads: Vec<f64> = page["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["lead_days"].as_f64().unwrap())
            .collect();
        leads.sort_by(f64::total_cmp);
        if leads.is_empty() {
            assert!(p["p85_days"].is_null());
            continue;
        }
        let rank =
            |pct: f64| leads[((pct / 100.0 * leads.len() as f64).ceil() as usize).max(1) - 1];
        for (key, pct) in [
            ("p50_days", 50.0),
            ("p70_days", 70.0),
            ("p85_days", 85.0),
            ("p95_days", 95.0),
        ] {
            let got = p[key].as_f64().unwrap();
            assert!(
                (got - rank(pct)).abs() <= 0.005 * rank(pct) + 1e-9,
                "{code} {key}: {got} vs {}",
                rank(pct)
            );
        }
        // The population standard deviation, exactly.
        let mean = leads.iter().sum::<f64>() / leads.len() as f64;
        let var = leads.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / leads.len() as f64;
        let sd = p["stddev_days"].as_f64().unwrap();
        assert!(
            (sd - var.sqrt()).abs() <= 1e-6 * (1.0 + var.sqrt()),
            "{code} stddev {sd}"
        );
    }

    let flow = &eff["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "PAY-FLOW")
        .unwrap()
        .clone();

    // The issues list: windows by completion day, CSV, and the pages' cursor.
    let all = app
        .get("/arts/PAY/issues?config=PAY-FLOW&limit=10000")
        .await
        .json();
    let rows = all["issues"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["outcome"] == "in_progress"));
    let ends: Vec<&str> = rows.iter().filter_map(|r| r["end"].as_str()).collect();
    let mut days: Vec<&str> = ends.iter().map(|e| &e[..10]).collect();
    days.sort();
    let (from, to) = (days[days.len() / 4], days[days.len() * 3 / 4]);
    let window = app
        .get(&format!(
            "/arts/PAY/issues?config=PAY-FLOW&completed_from={from}&completed_to={to}&limit=10000"
        ))
        .await
        .json();
    let in_window = days.iter().filter(|d| **d >= from && **d <= to).count();
    assert_eq!(window["issues"].as_array().unwrap().len(), in_window);
    assert!(in_window > 0 && in_window < rows.len());
    // The figures of a window are those of the issues completed in it.
    let windowed = app
        .get(&format!(
            "/arts/PAY/pipeline-efficiency?completed_from={from}&completed_to={to}"
        ))
        .await
        .json();
    assert_eq!(windowed["window"], json!({"from": from, "to": to}));
    let wflow = windowed["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "PAY-FLOW")
        .unwrap();
    let mut counted: Vec<(f64, &str)> = window["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "counted")
        .map(|r| (r["lead_days"].as_f64().unwrap(), r["key"].as_str().unwrap()))
        .collect();
    counted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    assert_eq!(wflow["count"].as_u64().unwrap() as usize, counted.len());
    assert!(!counted.is_empty() && counted.len() < flow_count(&eff));
    assert_eq!(wflow["min_issue"], counted[0].1);
    assert_eq!(wflow["min_days"].as_f64().unwrap(), counted[0].0);
    let mean = counted.iter().map(|c| c.0).sum::<f64>() / counted.len() as f64;
    assert!((wflow["mean_days"].as_f64().unwrap() - mean).abs() < 1e-9);
    let p85 = counted[((0.85 * counted.len() as f64).ceil() as usize).max(1) - 1].0;
    let got = wflow["p85_days"].as_f64().unwrap();
    assert!(
        (got - p85).abs() <= 0.005 * p85 + 1e-9,
        "window p85 {got} vs {p85}"
    );
    // WIP is the current one, whatever the window.
    assert_eq!(wflow["wip"], flow["wip"]);
    let csv = app.get("/arts/PAY/issues?config=PAY-FLOW&format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some(
            "art,config,key,type,outcome,start,end,lead_days,active_days,reopens,backward_moves,\
             first_end,note"
        )
    );
    assert_eq!(lines.count(), rows.len());
    let csv_page = app
        .get("/arts/PAY/issues?config=PAY-FLOW&format=csv&limit=5")
        .await;
    assert_eq!(csv_page.body.lines().count(), 6);
    assert!(csv_page.header("x-next-cursor").is_some());

    // History: today's row of every configuration carries the current figures.
    let today = Utc::now().date_naive().to_string();
    let history = app
        .get(&format!(
            "/arts/PAY/pipeline-efficiency/history?from={today}&to={today}"
        ))
        .await
        .json();
    for p in eff["pipelines"].as_array().unwrap() {
        let day = history["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == p["code"])
            .unwrap_or_else(|| panic!("no history row for {}", p["code"]));
        assert_eq!(day["day"], today.as_str());
        for k in ["count", "wip", "min_days", "max_days", "mean_days"] {
            assert_eq!(day[k], p[k], "{k}");
        }
    }
    let one = app
        .get("/arts/PAY/pipeline-efficiency/history?config=PAY-FLOW")
        .await
        .json();
    assert!(
        one["days"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["code"] == "PAY-FLOW")
    );

    // An issue's timeline explains its figure.
    let max_issue = flow["max_issue"].as_str().unwrap();
    let t = app
        .get(&format!("/issues/{max_issue}/timeline"))
        .await
        .json();
    let issue = &t["issues"][0];
    assert_eq!(issue["key"], max_issue);
    assert!(!issue["transitions"].as_array().unwrap().is_empty());
    let outcome = issue["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["config"] == "PAY-FLOW")
        .unwrap();
    assert_eq!(outcome["outcome"], "counted");
    assert_eq!(outcome["lead_days"], flow["max_days"]);

    // The old job's routes, with its field names and whole days.
    let old_arts = app.get("/art").await.json();
    let keys: Vec<&String> = old_arts[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "Abbreviation",
            "ID",
            "JiraProgramLevelKey",
            "JiraTeamLevelKey",
            "Name"
        ]
    );
    let old_configs = app.get("/config").await.json();
    let keys: Vec<&String> = old_configs[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "ArtID",
            "Code",
            "ConfigID",
            "EndFieldKey",
            "JiraProgramLevelKey",
            "JiraTeamLevelKey",
            "Name",
            "StartFieldKey"
        ]
    );
    // A field rule has its field keys; a status rule has nulls.
    let field_rule = old_configs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Code"] == "PAY-FIELDS")
        .unwrap();
    assert!(field_rule["StartFieldKey"].is_string());
    assert!(
        old_configs
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Code"] == "PAY-FLOW")
            .unwrap()["StartFieldKey"]
            .is_null()
    );
    let old_eff = app.get("/art/PAY/pipeline/efficiency").await.json();
    let row = old_eff
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ConfigurationCode"] == "PAY-FLOW" && r["PipelineEfficiencyDate"] == today.as_str()
        })
        .unwrap();
    let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "ArtAbbreviation",
            "ArtID",
            "ArtName",
            "Average",
            "ConfigurationCode",
            "ConfigurationName",
            "EfficiencyID",
            "IssueKeys",
            "MaxIssueKey",
            "Maximum",
            "MinIssueKey",
            "Minimum",
            "PipelineEfficiencyDate"
        ]
    );
    assert_eq!(
        row["Minimum"].as_i64().unwrap(),
        flow["min_days"].as_f64().unwrap().trunc() as i64
    );
    assert_eq!(
        row["Maximum"].as_i64().unwrap(),
        flow["max_days"].as_f64().unwrap().trunc() as i64
    );
    assert_eq!(
        row["Average"].as_i64().unwrap(),
        flow["mean_days"].as_f64().unwrap().trunc() as i64
    );
    assert_eq!(
        row["IssueKeys"].as_str().unwrap(),
        counted_keys(&app, "PAY", "PAY-FLOW").await.join("|")
    );
    assert_eq!(row["MaxIssueKey"], flow["max_issue"]);

    // Errors: JSON bodies naming the problem.
    for (path, status, code) in [
        ("/arts/NOPE", 404, "unknown_art"),
        ("/arts/NOPE/pipeline-efficiency", 404, "unknown_art"),
        ("/art/NOPE/pipeline/efficiency", 404, "unknown_art"),
        ("/arts/PAY/issues", 400, "bad_query"),
        ("/arts/PAY/issues?config=NOPE", 400, "unknown_config"),
        (
            "/arts/PAY/issues?config=PAY-FLOW&completed_from=2026-02-30",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/issues?config=PAY-FLOW&completed_from=2026-03-02&completed_to=2026-03-01",
            400,
            "bad_query",
        ),
        ("/arts/PAY/issues?config=PAY-FLOW&limit=0", 400, "bad_query"),
        (
            "/arts/PAY/issues?config=PAY-FLOW&limit=many",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/issues?config=PAY-FLOW&cursor=zz",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/issues?config=PAY-FLOW&outcome=done",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/issues?config=PAY-FLOW&format=xml",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/pipeline-efficiency/history?from=yesterday",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/pipeline-efficiency/history?from=2026-03-02&to=2026-03-01",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/pipeline-efficiency/history?config=NOPE",
            400,
            "unknown_config",
        ),
        ("/arts/PAY/pipeline-efficiency?colour=red", 400, "bad_query"),
        (
            "/arts/PAY/pipeline-efficiency?completed_from=03/01/2026",
            400,
            "bad_query",
        ),
        (
            "/arts/PAY/pipeline-efficiency?completed_from=2026-03-02&completed_to=2026-03-01",
            400,
            "bad_query",
        ),
        ("/issues/NOPE-1/timeline", 404, "unknown_issue"),
        ("/nowhere", 404, "not_found"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
        let body = r.json();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = app.request("POST", "/arts", &[], b"").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");

    // The old job built SQL from the path; here every value is a bound parameter.
    let tables_before = app.get("/config").await.body;
    for path in [
        "/arts/x'%20OR%20'1'='1",
        "/arts/x'%20OR%20'1'='1/pipeline-efficiency",
        "/art/x'%20OR%20'1'='1/pipeline/efficiency",
        "/art/PAY';%20DROP%20TABLE%20art;--/pipeline/efficiency",
        "/issues/x'%20OR%20'1'='1/timeline",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
    }
    for path in [
        "/arts/PAY/issues?config=x'%20OR%20'1'='1",
        "/arts/PAY/issues?config=PAY-FLOW&outcome=counted'%20OR%20'1'='1",
        "/arts/PAY/issues?config=PAY-FLOW&cursor=1%20OR%201=1",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
    }
    assert_eq!(app.get("/config").await.body, tables_before);
    assert_eq!(
        app.get("/arts").await.json()["arts"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // The OpenAPI document names every route.
    let doc = app.get("/openapi.json").await.json();
    for route in [
        "/arts",
        "/arts/{abbr}",
        "/arts/{abbr}/pipeline-efficiency",
        "/arts/{abbr}/pipeline-efficiency/history",
        "/arts/{abbr}/issues",
        "/issues/{key}/timeline",
        "/configs",
        "/art",
        "/config",
        "/art/{abbr}/pipeline/efficiency",
        "/admin/config",
        "/arts/{abbr}/data-quality",
        "/healthz",
        "/openapi.json",
    ] {
        assert!(
            doc["paths"][route].is_object(),
            "{route} missing from openapi.json"
        );
    }

    // The dashboard and its files.
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("static/app.js"));
    let js = app.get("/static/uPlot.iife.min.js").await;
    assert_eq!(js.status, 200);
    let again = app
        .get_with(
            "/static/app.js",
            &[(
                "if-none-match",
                app.get("/static/app.js").await.header("etag").unwrap(),
            )],
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(app.get("/static/nope.js").await.status, 404);
}

#[tokio::test]
async fn every_endpoint_on_sqlite() {
    every_endpoint("every_endpoint_on_sqlite", Backend::Sqlite).await;
}

#[tokio::test]
async fn every_endpoint_on_mysql() {
    every_endpoint("every_endpoint_on_mysql", Backend::MySql).await;
}

/// A change made by another process (a processor on the same database) shows once the
/// freshness has passed, with a new ETag.
#[tokio::test]
async fn changes_by_another_writer_show_after_the_freshness() {
    let settings = ApiSettings {
        freshness: std::time::Duration::from_millis(100),
        ..ApiSettings::default()
    };
    let app = spawn_app("other_writer", Backend::Sqlite, settings)
        .await
        .unwrap();
    let data = generate(11);
    let config = domain::parse_config("demo", &data.config_toml).unwrap();
    processor::apply_config(&app.db.db, &config, false, Utc::now())
        .await
        .unwrap();
    let first = app.get("/arts/PAY/pipeline-efficiency").await;
    assert_eq!(first.json()["pipelines"][0]["count"], 0);
    let etag = first.header("etag").unwrap().to_owned();
    // Another process applies the events: this server is not told.
    let other = app.db.connect_again().await;
    feed(&other, Summary::default(), events(&data))
        .await
        .unwrap();
    let mut seen = None;
    for _ in 0..100 {
        let r = app
            .get_with("/arts/PAY/pipeline-efficiency", &[("if-none-match", &etag)])
            .await;
        if r.status == 200 {
            seen = Some(r);
            break;
        }
        assert_eq!(r.status, 304);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = seen.expect("the change shows within 5 s");
    assert!(seen.json()["pipelines"][0]["count"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn read_token_and_cors() {
    let settings = ApiSettings {
        read_token: Some("reader-secret".into()),
        cors_origins: vec!["https://dash.example.com".into()],
        ..ApiSettings::default()
    };
    let app = spawn_app("read_token", Backend::Sqlite, settings)
        .await
        .unwrap();
    for path in ["/arts", "/configs", "/art", "/issues/X-1/timeline"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = app
            .get_with(path, &[("authorization", "Bearer wrong")])
            .await;
        assert_eq!(r.status, 401, "{path}");
    }
    let ok = app
        .get_with("/arts", &[("authorization", "Bearer reader-secret")])
        .await;
    assert_eq!(ok.status, 200);
    // The page, its files, the health check and the API description need no token.
    for path in ["/", "/static/app.js", "/healthz", "/openapi.json"] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }

    // CORS: the configured origin only.
    let allowed = app
        .get_with(
            "/arts",
            &[
                ("origin", "https://dash.example.com"),
                ("authorization", "Bearer reader-secret"),
            ],
        )
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://dash.example.com")
    );
    assert!(
        allowed
            .header("access-control-expose-headers")
            .unwrap()
            .contains("ETag")
    );
    let other = app
        .get_with(
            "/arts",
            &[
                ("origin", "https://evil.example.com"),
                ("authorization", "Bearer reader-secret"),
            ],
        )
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = app
        .request(
            "OPTIONS",
            "/arts",
            &[
                ("origin", "https://dash.example.com"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
            b"",
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    let refused = app
        .request(
            "OPTIONS",
            "/arts",
            &[
                ("origin", "https://evil.example.com"),
                ("access-control-request-method", "GET"),
            ],
            b"",
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);

    // No origins by default: not `*`.
    let plain = spawn_app("cors_default", Backend::Sqlite, ApiSettings::default())
        .await
        .unwrap();
    let r = plain
        .get_with("/arts", &[("origin", "https://dash.example.com")])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

const CONFIG: &str = r#"
[[art]]
abbreviation = "PAY"
name = "Payments"
jira_program_key = "PAY"

[[art.pipeline]]
code = "PAY-FLOW"
name = "Analysis to Done"
rule = "status"
stages = ["Backlog", "Analysis", "In Progress", "Review", "Done"]
start = "Analysis"
done = ["Done"]
active = ["Analysis", "In Progress"]
"#;

async fn admin_route(test: &str, backend: Backend) {
    let disabled = spawn_app(test, Backend::Sqlite, ApiSettings::default())
        .await
        .unwrap();
    let r = disabled
        .request(
            "PUT",
            "/admin/config",
            &[("authorization", "Bearer anything")],
            CONFIG.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "admin_disabled");

    let settings = ApiSettings {
        admin_token: Some("admin-secret".into()),
        ..ApiSettings::default()
    };
    let Some(app) = spawn_app(test, backend, settings).await else {
        return;
    };
    let put = |headers: Vec<(&'static str, &'static str)>, body: &'static str| {
        let app = &app;
        async move {
            app.request("PUT", "/admin/config", &headers, body.as_bytes())
                .await
        }
    };
    let missing = put(vec![], CONFIG).await;
    assert_eq!(missing.status, 401);
    let wrong = put(vec![("authorization", "Bearer admin-secre")], CONFIG).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(app.get("/arts").await.json()["arts"], json!([]));

    let auth = ("authorization", "Bearer admin-secret");
    let first = put(vec![auth, ("content-type", "application/toml")], CONFIG).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(
        first["changes"][0],
        json!({"what": "ART PAY", "change": "added", "detail": null})
    );
    // Visible at once, and applying it again changes nothing.
    assert_eq!(
        app.get("/arts").await.json()["arts"][0]["configs"],
        json!(["PAY-FLOW"])
    );
    let second = put(vec![auth], CONFIG).await.json();
    assert!(
        second["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["change"] == "unchanged"),
        "{second}"
    );
    let bad = put(vec![auth], "[[art]]\nabbreviation = 3\n").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "bad_config");
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("abbreviation")
    );
    let unknown = app
        .request("PUT", "/admin/config?purge=1", &[auth], CONFIG.as_bytes())
        .await;
    assert_eq!(unknown.status, 400);

    // `artflow config apply FILE --api URL` goes through the route.
    let dir = std::env::temp_dir().join(format!("artflow-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{test}.toml"));
    std::fs::write(&file, CONFIG.replace("Payments", "Payments train")).unwrap();
    let base = app.server.base.clone();
    let run = move |token: &'static str| {
        let (file, base) = (file.clone(), base.clone());
        std::process::Command::new(artflow_bin())
            .args(["config", "apply"])
            .arg(&file)
            .args(["--api", &base, "--admin-token", token])
            .env_remove("DATABASE_URL")
            .env_remove("ARTFLOW_ADMIN_TOKEN")
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("admin-secret")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ART PAY: changed"), "{stdout}");
    assert_eq!(app.get("/arts/PAY").await.json()["name"], "Payments train");
    let refused = tokio::task::spawn_blocking(move || run("wrong"))
        .await
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("admin token"),
        "{stderr}"
    );
}

#[tokio::test]
async fn admin_route_on_sqlite() {
    admin_route("admin_route_on_sqlite", Backend::Sqlite).await;
}

#[tokio::test]
async fn admin_route_on_mysql() {
    admin_route("admin_route_on_mysql", Backend::MySql).await;
}

/// The api Lambda's router answers API Gateway events (HTTP API, and REST API with its stage in
/// the path), 304s included.
#[tokio::test]
async fn api_gateway_events_reach_the_read_routes_through_lambda_http() {
    use tower::ServiceExt;
    let db = artflow_tests::support::TestDb::sqlite().await;
    let data = generate(3);
    let config = domain::parse_config("demo", &data.config_toml).unwrap();
    processor::apply_config(&db.db, &config, false, Utc::now())
        .await
        .unwrap();
    let app = api::lambda_router(api::ApiState::new(db.db.clone(), ApiSettings::default()));
    let http_api = |path: &str, headers: Value| {
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": headers,
            "requestContext": {"accountId": "1", "apiId": "a", "domainName": "x.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": "x", "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "1.2.3.4", "userAgent": "dashboard"}, "requestId": "r", "routeKey": "$default",
                "stage": "$default", "time": "03/Dec/2026:10:00:00 +0000", "timeEpoch": 1796292000000_i64},
            "isBase64Encoded": false
        })
    };
    let rest_api = json!({
        "resource": "/{proxy+}", "path": "/arts/PAY", "httpMethod": "GET",
        "headers": {"Accept": "application/json"}, "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null, "pathParameters": {"proxy": "arts/PAY"},
        "stageVariables": null,
        "requestContext": {"accountId": "1", "resourceId": "r", "stage": "prod", "requestId": "q",
            "identity": {"sourceIp": "1.2.3.4"}, "resourcePath": "/{proxy+}", "httpMethod": "GET",
            "apiId": "a", "path": "/prod/arts/PAY"},
        "body": null, "isBase64Encoded": false
    });
    let call = |event: Value| {
        let app = app.clone();
        async move {
            let request = lambda_http::request::from_str(&event.to_string()).unwrap();
            app.oneshot(request).await.unwrap()
        }
    };
    let first = call(http_api("/arts", json!({"accept": "application/json"}))).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = call(http_api("/arts", json!({"if-none-match": etag}))).await;
    assert_eq!(again.status(), 304);
    let rest = call(rest_api).await;
    let status = rest.status();
    let body = axum::body::to_bytes(rest.into_body(), 1 << 20)
        .await
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let art: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(art["abbreviation"], "PAY");
    let missing = call(http_api("/arts/NOPE", json!({}))).await;
    assert_eq!(missing.status(), 404);
    // Behind a REST API's stage, every route with a parameter of its own works too.
    for path in [
        "/prod/arts/PAY/pipeline-efficiency",
        "/prod/art/PAY/pipeline/efficiency",
        "/prod/static/app.js",
        "/prod/",
    ] {
        let mut event = http_api(path, json!({}));
        event["rawPath"] = json!(path);
        let r = call(event).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    let r = call(http_api("/prod/issues/PAY-1/timeline", json!({}))).await;
    assert!(matches!(r.status().as_u16(), 200 | 404), "{}", r.status());
}

const TST_CONFIG: &str = r#"
[[art]]
abbreviation = "TST"
name = "Test train"
jira_program_key = "TST"

[[art.pipeline]]
code = "TST-FLOW"
name = "Analysis to Done"
rule = "status"
stages = ["Backlog", { name = "Analysis", id = 501 }, "In Progress", { name = "Done", ids = ["6", "10002"] }]
start = "Analysis"
done = ["Done"]
active = ["Analysis", "In Progress"]
"#;

/// A Jira Cloud webhook body: `issue_created` in `status` when `from` is None, else
/// `issue_updated` moving from `from` to `status` (names with their ids), at `at` (UTC).
fn tst_webhook(
    key: &str,
    at: &str,
    changelog_id: u32,
    from: Option<(&str, &str)>,
    status: (&str, &str),
) -> Vec<u8> {
    let ms = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .timestamp_millis();
    let (project, number) = key.split_once('-').unwrap();
    let jira_at = format!("{}.000+0000", &at[..19]);
    let mut body = json!({
        "timestamp": ms,
        "webhookEvent": if from.is_some() { "jira:issue_updated" } else { "jira:issue_created" },
        "issue": {
            "id": format!("{}{number:0>3}", project.bytes().map(u32::from).sum::<u32>()),
            "key": key,
            "self": format!("https://tst.example.net/rest/api/2/issue/{number}"),
            "fields": {
                "project": {"key": project},
                "issuetype": {"name": "Story"},
                "status": {"name": status.0, "id": status.1},
                "created": "2015-11-16T09:00:00.000+0000",
                "updated": jira_at,
            },
        },
    });
    if let Some((from_name, from_id)) = from {
        body["changelog"] = json!({"id": changelog_id.to_string(), "items": [{
            "field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": from_id, "fromString": from_name, "to": status.1, "toString": status.0,
        }]});
    }
    serde_json::to_vec(&body).unwrap()
}

/// The findings of a user review of the read API: data quality right after any webhook, weeks
/// without completions, outcomes in any case and all listed, /configs in the TOML's shape,
/// long input not echoed whole, issue keys in any case, /healthz in the OpenAPI document, and
/// the CSV carrying every JSON field.
async fn review_findings(test: &str, backend: Backend) {
    let Some(app) = spawn_app(test, backend, ApiSettings::default()).await else {
        return;
    };
    let config = domain::parse_config("tst", TST_CONFIG).unwrap();
    processor::apply_config(&app.db.db, &config, false, Utc::now())
        .await
        .unwrap();
    app.api.invalidate();
    const BACKLOG: (&str, &str) = ("Backlog", "1");
    const ANALYSIS: (&str, &str) = ("Analysis", "501");
    const RENAMED: (&str, &str) = ("Analysing (renamed)", "501");
    const IN_PROGRESS: (&str, &str) = ("In Progress", "3");
    const DONE: (&str, &str) = ("Done", "10002");
    const BLOCKED: (&str, &str) = ("Blocked", "10099");
    let post = |body: Vec<u8>| {
        let app = &app;
        async move {
            let r = app.post_webhook(&body).await;
            assert_eq!(r.status, 202, "{}", r.body);
        }
    };
    // TST-1 done in 2015-W47, reopened and done again the same week; TST-2 (its Analysis
    // status renamed, matched by id) done in 2015-W50.
    for (key, at, id, from, to) in [
        ("TST-1", "2015-11-16T09:00:00Z", 0, None, BACKLOG),
        ("TST-1", "2015-11-17T09:00:00Z", 11, Some(BACKLOG), ANALYSIS),
        ("TST-1", "2015-11-18T09:00:00Z", 12, Some(ANALYSIS), DONE),
        ("TST-1", "2015-11-19T09:00:00Z", 13, Some(DONE), IN_PROGRESS),
        ("TST-1", "2015-11-20T09:00:00Z", 14, Some(IN_PROGRESS), DONE),
        ("TST-2", "2015-11-16T09:00:00Z", 0, None, BACKLOG),
        ("TST-2", "2015-11-20T09:00:00Z", 21, Some(BACKLOG), RENAMED),
        ("TST-2", "2015-12-08T09:00:00Z", 22, Some(RENAMED), DONE),
        ("TST-3", "2015-11-16T09:00:00Z", 0, None, BACKLOG),
    ] {
        post(tst_webhook(key, at, id, from, to)).await;
    }

    // 2: every week from the first completion's to the last one's, zeros included.
    let eff = app.get("/arts/TST/pipeline-efficiency").await.json();
    let flow = &eff["pipelines"][0];
    assert_eq!(
        flow["count"],
        2,
        "{flow}\n{}",
        app.get("/arts/TST/issues?config=TST-FLOW").await.body
    );
    assert_eq!(
        flow["throughput"],
        json!({"total": 2, "weeks": [
            {"week": "2015-W47", "count": 1}, {"week": "2015-W48", "count": 0},
            {"week": "2015-W49", "count": 0}, {"week": "2015-W50", "count": 1},
        ]})
    );

    // 1: data quality changes with a webhook that changes no figure (an unmapped status), and
    // with one of a project no ART owns; its ETag still gives 304s.
    let quality = app.get("/arts/TST/data-quality").await;
    assert_eq!(quality.status, 200, "{}", quality.body);
    let etag = quality.header("etag").unwrap().to_owned();
    assert_eq!(quality.json()["configs"][0]["unmapped_statuses"], json!([]));
    assert_eq!(quality.json()["unowned_projects"], json!([]));
    let same = app
        .get_with("/arts/tst/data-quality", &[("if-none-match", &etag)])
        .await;
    assert_eq!(same.status, 304);
    post(tst_webhook(
        "TST-3",
        "2015-11-23T09:00:00Z",
        31,
        Some(BACKLOG),
        BLOCKED,
    ))
    .await;
    let blocked = app
        .get_with("/arts/TST/data-quality", &[("if-none-match", &etag)])
        .await;
    assert_eq!(blocked.status, 200, "an unmapped status shows at once");
    assert_eq!(
        blocked.json()["configs"][0]["unmapped_statuses"],
        json!([{"status": "Blocked", "id": "10099", "issues": 1}])
    );
    post(tst_webhook(
        "ZZZ-1",
        "2015-11-23T10:00:00Z",
        0,
        None,
        BACKLOG,
    ))
    .await;
    let unowned = app.get("/arts/TST/data-quality").await.json();
    assert_eq!(
        unowned["unowned_projects"],
        json!([{"project": "ZZZ", "issues": 1}])
    );
    assert_eq!(app.get("/arts/NOPE/data-quality").await.status, 404);

    // 3: outcomes in any letter case; an unknown one is answered with the complete list.
    let counted = app
        .get("/arts/TST/issues?config=TST-FLOW&outcome=COUNTED")
        .await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(
        counted.json()["issues"].as_array().unwrap().len(),
        2,
        "{}",
        counted.body
    );
    let bogus = app
        .get("/arts/TST/issues?config=TST-FLOW&outcome=bogus")
        .await;
    assert_eq!(bogus.status, 400);
    let message = bogus.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    for o in domain::Outcome::ALL {
        assert!(message.contains(o.as_str()), "{o:?} missing: {message}");
    }

    // 4: /configs as the TOML is written: stages by id as { name, id } or { name, ids }.
    let configs = app.get("/configs").await.json();
    assert_eq!(
        configs["configs"][0]["spec"],
        json!({
            "code": "TST-FLOW", "name": "Analysis to Done", "rule": "status",
            "stages": ["Backlog", {"name": "Analysis", "id": "501"}, "In Progress",
                       {"name": "Done", "ids": ["10002", "6"]}],
            "start": "Analysis", "done": ["Done"], "active": ["Analysis", "In Progress"],
        })
    );
    assert_eq!(
        app.get("/arts/tst").await.json()["configs"][0]["spec"],
        configs["configs"][0]["spec"]
    );

    // 5: long input is not echoed whole.
    let long = "A".repeat(20_000);
    for path in [
        format!("/arts/{long}"),
        format!("/arts/{long}/data-quality"),
        format!("/issues/{long}/timeline"),
        format!("/arts/TST/issues?config={long}"),
        format!("/arts/TST/issues?config=TST-FLOW&outcome={long}"),
        format!("/arts/TST/issues?config=TST-FLOW&limit={long}"),
        format!("/arts/TST/issues?config=TST-FLOW&format={long}"),
        format!("/arts/TST/issues?config=TST-FLOW&cursor={long}"),
        format!("/arts/TST/issues?config=TST-FLOW&completed_from={long}"),
        format!("/arts/TST/pipeline-efficiency?{long}=1"),
        format!("/{long}"),
    ] {
        let r = app.get(&path).await;
        assert!(
            matches!(r.status, 400 | 404),
            "{}: {}",
            r.status,
            &r.body[..200.min(r.body.len())]
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.len() < 700, "{} bytes: {message}", message.len());
        assert!(message.contains("AAAA…"), "{message}");
    }
    let short = app.get("/arts/NOPE").await.json();
    assert_eq!(
        short["error"]["message"],
        "no ART has the abbreviation \"NOPE\""
    );
    // hyper answers a path over 64 KB, or too many headers, itself, before any router or layer
    // (an empty 414 or 431).
    let huge = app.get(&format!("/arts/{}", "A".repeat(70_000))).await;
    assert_eq!(huge.status, 414);
    let names: Vec<String> = (0..120).map(|i| format!("x-header-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    assert_eq!(app.get_with("/arts", &many).await.status, 431);

    // 6: issue keys in any letter case.
    let t = app.get("/issues/tst-3/timeline").await;
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.json()["issues"][0]["key"], "TST-3");
    assert_eq!(app.get("/issues/Tst-1/timeline").await.status, 200);
    assert_eq!(app.get("/issues/tst-99/timeline").await.status, 404);

    // 7: the health check is described.
    let doc = app.get("/openapi.json").await.json();
    assert!(doc["paths"]["/healthz"]["get"].is_object());

    // 8: the CSV carries every JSON field, under the same names, in the same order.
    let page = app.get("/arts/TST/issues?config=TST-FLOW").await;
    let rows = page.json()["issues"].as_array().unwrap().clone();
    let mut fields: Vec<String> = rows[0].as_object().unwrap().keys().cloned().collect();
    let first_row = &page.body[page.body.find("{\"key\"").unwrap()..];
    fields.sort_by_key(|k| first_row.find(&format!("\"{k}\":")).unwrap());
    let csv = app.get("/arts/TST/issues?config=TST-FLOW&format=csv").await;
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("art,config,{}", fields.join(","))
    );
    let reworked = rows.iter().find(|r| r["key"] == "TST-1").unwrap();
    assert_eq!(reworked["backward_moves"], 1);
    assert_eq!(reworked["first_end"], "2015-11-18T09:00:00.000Z");
    let line = lines.find(|l| l.contains(",TST-1,")).unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    let cell = |name: &str| cells[2 + fields.iter().position(|f| f == name).unwrap()];
    assert_eq!(cell("backward_moves"), "1");
    assert_eq!(cell("first_end"), "2015-11-18T09:00:00.000Z");
    assert_eq!(cell("reopens"), "1");
}

#[tokio::test]
async fn review_findings_on_sqlite() {
    review_findings("review_findings_on_sqlite", Backend::Sqlite).await;
}

#[tokio::test]
async fn review_findings_on_mysql() {
    review_findings("review_findings_on_mysql", Backend::MySql).await;
}
