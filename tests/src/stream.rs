//! A large event stream for the concurrency and fault tests: copies of the generated demo
//! dataset, each on a Jira site of its own (so the copies are distinct issues), over five ARTs.

use domain::IssueEvent;
use serde_json::Value;

pub struct Stream {
    pub config_toml: String,
    pub docs: Vec<Value>,
    /// (site, issue id) of the deleted issues.
    pub deleted: Vec<(String, String)>,
    pub events: Vec<IssueEvent>,
}

fn resite(v: &mut Value, copy: usize) {
    match v {
        Value::String(s) if s.contains("demo-train.atlassian.net") => {
            *s = s.replace(
                "demo-train.atlassian.net",
                &format!("train-{copy}.atlassian.net"),
            );
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resite(x, copy)),
        Value::Object(o) => o.values_mut().for_each(|x| resite(x, copy)),
        _ => {}
    }
}

/// `copies` copies of the demo dataset (seed `copy`), with the DATAT team project as a fifth ART.
pub fn stream(copies: usize) -> Stream {
    let mut config_toml = String::new();
    let mut docs = Vec::new();
    let mut deleted = Vec::new();
    let mut events = Vec::new();
    for copy in 0..copies {
        let mut data = artflow::demo::generate(copy as u64 + 1);
        if copy == 0 {
            config_toml = data.config_toml.replace("jira_team_key = \"DATAT\"\n", "")
                + r#"
[[art]]
abbreviation = "DT"
name = "Data Platform teams"
jira_program_key = "DATAT"

[[art.pipeline]]
code = "DT-FLOW"
name = "Analyzing to Done"
rule = "status"
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]

[[art.pipeline]]
code = "DT-FIELDS"
name = "Date fields"
rule = "field"
start_field = "customfield_10050"
end_field = "customfield_10051"
"#;
        }
        for (_, doc) in data.search_responses.iter_mut() {
            resite(doc, copy);
            for issue in domain::search_issues(doc).expect("a search response") {
                events.extend(
                    domain::import_issue(issue)
                        .expect("demo issues import")
                        .events,
                );
            }
            docs.push(doc.clone());
        }
        for w in data.webhooks.iter_mut() {
            resite(w, copy);
            let body = serde_json::to_vec(w).unwrap();
            match domain::parse_webhook(&body, None).expect("demo webhooks parse") {
                domain::Webhook::Event(e) => {
                    deleted.push((e.issue.site.clone(), e.issue.id.clone()));
                    events.push(*e);
                }
                domain::Webhook::Ignored(why) => panic!("{why}"),
            }
        }
    }
    Stream {
        config_toml,
        docs,
        deleted,
        events,
    }
}

/// A deterministic shuffle with `dup_percent` of the events repeated.
pub fn shuffled_with_duplicates(
    events: &[IssueEvent],
    dup_percent: usize,
    seed: u64,
) -> Vec<IssueEvent> {
    let mut out: Vec<IssueEvent> = events.to_vec();
    let step = (100 / dup_percent.max(1)).max(1);
    out.extend(events.iter().step_by(step).cloned());
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in (1..out.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        out.swap(i, j);
    }
    out
}
