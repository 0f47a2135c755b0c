//! The generated demo dataset as events, and its figures by the reference computation: data
//! every test can use without `../shared`.

use artflow::demo::DemoData;
use artflow::feed::{Summary, search_events, webhook_event};
use domain::IssueEvent;

use crate::reference;

/// Every event of the dataset: the imports, then the webhooks (deletions), with their names.
pub fn events(data: &DemoData) -> Vec<(String, IssueEvent)> {
    let mut summary = Summary::default();
    let mut out = Vec::new();
    for (name, doc) in &data.search_responses {
        out.extend(search_events(name, doc, &mut summary).unwrap());
    }
    for (i, body) in data.webhooks.iter().enumerate() {
        let bytes = serde_json::to_vec(body).unwrap();
        out.extend(webhook_event(format!("webhook {i}"), &bytes, &mut summary));
    }
    assert!(
        summary.unreadable.is_empty() && summary.skipped.is_empty(),
        "{summary:?}"
    );
    out
}

/// The figures of the whole dataset (every deletion applied), by the reference computation
/// (compare with `support::assert_matches_reference`).
pub fn expected(data: &DemoData) -> serde_json::Value {
    let docs: Vec<serde_json::Value> = data
        .search_responses
        .iter()
        .map(|(_, d)| d.clone())
        .collect();
    let deleted: Vec<(String, String)> = data
        .webhooks
        .iter()
        .map(|w| {
            let site = domain::jira::site_of(w["issue"]["self"].as_str().unwrap()).unwrap();
            (site, w["issue"]["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(!deleted.is_empty());
    reference::compute(&data.config_toml, &docs, &deleted)
}
