//! The Jira model: webhook bodies and REST search responses, read tolerantly into `IssueEvent`s.
//!
//! Jira sends many shapes: Cloud webhooks, Server/Data Center webhooks (no `fieldId`, no
//! `issue_event_type_name`), Automation's "Send web request" (the issue at the top level), Data
//! Center workflow post-functions (a `transition` object), and REST search responses with
//! `expand=changelog` (histories oldest-first or newest-first). Everything this module does not
//! need is ignored; what it needs and cannot find is a [`BadInput`] naming the problem.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::event::{
    Change, ChangeItem, EventKind, IssueEvent, IssueSnapshot, MAX_FIELD_CHARS, SCHEMA_VERSION,
    Status,
};
use crate::time::parse_datetime;

/// Longest changelog item value an event keeps; longer ones (descriptions) are dropped.
const MAX_ITEM_CHARS: usize = 255;

/// Input that can never become an event; the message says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

fn bad(msg: impl Into<String>) -> BadInput {
    BadInput(msg.into())
}

/// What a webhook body amounts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Webhook {
    /// An issue change to queue.
    Event(Box<IssueEvent>),
    /// A well-formed body that carries no issue change (a comment event, say), with the reason.
    Ignored(String),
}

/// The delivery id of a webhook: Jira's `X-Atlassian-Webhook-Identifier` when present, else a
/// SHA-256 of the body (so a byte-identical retry is recognised).
pub fn delivery_id(header: Option<&str>, body: &[u8]) -> String {
    match header.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => h.to_owned(),
        None => {
            let digest = Sha256::digest(body);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        }
    }
}

/// Reads a webhook body (any of Jira's shapes) into an event, or says why it carries none.
pub fn parse_webhook(body: &[u8], delivery_header: Option<&str>) -> Result<Webhook, BadInput> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not valid JSON: {e}")))?;
    let obj = match &value {
        Value::Object(o) => o,
        other => {
            return Err(bad(format!(
                "body is a JSON {}, not an object",
                json_kind(other)
            )));
        }
    };
    let delivery = delivery_id(delivery_header, body);

    if let Some(kind) = obj.get("webhookEvent") {
        let kind = kind
            .as_str()
            .ok_or_else(|| bad("`webhookEvent` is not a string"))?;
        let kind = match kind {
            "jira:issue_created" => EventKind::Created,
            "jira:issue_updated" => EventKind::Updated,
            "jira:issue_deleted" => EventKind::Deleted,
            other => {
                return Ok(Webhook::Ignored(format!(
                    "webhookEvent {other:?} carries no issue change"
                )));
            }
        };
        let issue = issue_object(obj.get("issue"))?;
        let snapshot = snapshot(issue)?;
        let at = event_time(obj, issue)?;
        let mut changes = Vec::new();
        if let Some(cl) = obj.get("changelog").filter(|c| !c.is_null()) {
            let cl = cl
                .as_object()
                .ok_or_else(|| bad("`changelog` is not an object"))?;
            let id = cl
                .get("id")
                .and_then(scalar_string)
                .unwrap_or_else(|| format!("delivery:{delivery}"));
            changes.push(Change {
                id,
                at,
                items: items(cl.get("items"))?,
            });
        }
        return Ok(Webhook::Event(Box::new(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: delivery,
            kind,
            at,
            issue: snapshot,
            changes,
        })));
    }

    if let Some(transition) = obj.get("transition") {
        // Data Center workflow post-function: a status change at the body's timestamp.
        let t = transition
            .as_object()
            .ok_or_else(|| bad("`transition` is not an object"))?;
        let issue = issue_object(obj.get("issue"))?;
        let snapshot = snapshot(issue)?;
        let at = event_time(obj, issue)?;
        let name = |k: &str| t.get(k).and_then(scalar_string);
        let (from, to) = (name("from_status"), name("to_status"));
        let Some(to_name) = to.clone() else {
            return Err(bad("`transition` has no `to_status`"));
        };
        let id = format!(
            "pf:{}:{}:{}",
            at.timestamp_millis(),
            from.as_deref().unwrap_or(""),
            to_name
        );
        return Ok(Webhook::Event(Box::new(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: delivery,
            kind: EventKind::Updated,
            at,
            issue: snapshot,
            changes: vec![Change {
                id,
                at,
                items: vec![ChangeItem {
                    field: "status".into(),
                    field_id: Some("status".into()),
                    from: None,
                    from_string: from,
                    to: None,
                    to_string: to,
                }],
            }],
        })));
    }

    if obj.contains_key("fields") && (obj.contains_key("key") || obj.contains_key("id")) {
        // Automation's "Send web request" in Automation format: the issue is the top level.
        let snapshot = snapshot(obj)?;
        let changes = histories(obj)?.changes;
        let at = match obj.get("timestamp") {
            Some(_) => event_time(obj, obj)?,
            None => match changes.iter().map(|c| c.at).max() {
                Some(t) => t,
                None => event_time(obj, obj)?,
            },
        };
        return Ok(Webhook::Event(Box::new(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: delivery,
            kind: EventKind::Updated,
            at,
            issue: snapshot,
            changes,
        })));
    }

    if obj.contains_key("issue") {
        let issue = issue_object(obj.get("issue"))?;
        let snapshot = snapshot(issue)?;
        let at = event_time(obj, issue)?;
        return Ok(Webhook::Event(Box::new(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: delivery,
            kind: EventKind::Updated,
            at,
            issue: snapshot,
            changes: histories(issue)?.changes,
        })));
    }

    Err(bad(
        "body carries no issue: expected `webhookEvent` with an `issue`, a post-function \
         `transition`, or an issue (`key`, `fields`) at the top level",
    ))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn issue_object(v: Option<&Value>) -> Result<&Map<String, Value>, BadInput> {
    match v {
        None | Some(Value::Null) => Err(bad("body has no `issue`")),
        Some(Value::Object(o)) => Ok(o),
        Some(other) => Err(bad(format!(
            "`issue` is a {}, not an object",
            json_kind(other)
        ))),
    }
}

/// A string, or a number written as one (Jira writes ids both ways).
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn path<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = obj.get(keys[0])?;
    for k in &keys[1..] {
        cur = cur.as_object()?.get(*k)?;
    }
    Some(cur)
}

fn path_str(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    path(obj, keys).and_then(scalar_string)
}

/// Scheme and host (with port) of a URL, lower-cased: the issue's Jira site.
pub fn site_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if scheme.is_empty() || host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// The issue as an event snapshot. Needs `id`, `key` and `self`; `fields` may be absent.
pub fn snapshot(issue: &Map<String, Value>) -> Result<IssueSnapshot, BadInput> {
    let id = issue.get("id").and_then(scalar_string);
    let key = issue.get("key").and_then(scalar_string);
    let (id, key) = match (id, key) {
        (Some(id), Some(key)) => (id, key),
        (None, None) => return Err(bad("the issue has neither an `id` nor a `key`")),
        (None, Some(key)) => return Err(bad(format!("issue {key} has no `id`"))),
        (Some(id), None) => return Err(bad(format!("issue {id} has no `key`"))),
    };
    let site = issue
        .get("self")
        .and_then(Value::as_str)
        .and_then(site_of)
        .ok_or_else(|| {
            bad(format!(
                "issue {key} has no `self` URL naming its Jira site"
            ))
        })?;
    let empty = Map::new();
    let fields = issue
        .get("fields")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let status = path_str(fields, &["status", "name"]).map(|name| Status {
        id: path_str(fields, &["status", "id"]),
        name,
    });
    let date = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .and_then(|s| parse_datetime(s).ok())
    };
    let custom = fields
        .iter()
        .filter(|(k, _)| k.starts_with("customfield_"))
        .filter(|(_, v)| match v {
            Value::Null | Value::Number(_) => true,
            Value::String(s) => s.chars().count() <= MAX_FIELD_CHARS,
            _ => false,
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(IssueSnapshot {
        site,
        id,
        key,
        project_key: path_str(fields, &["project", "key"]),
        issue_type: path_str(fields, &["issuetype", "name"]),
        status,
        status_category: path_str(fields, &["status", "statusCategory", "key"]),
        created: date("created"),
        resolution_date: date("resolutiondate"),
        fields: custom,
    })
}

/// The event time: `timestamp` (epoch ms), else the issue's `updated`.
fn event_time(
    body: &Map<String, Value>,
    issue: &Map<String, Value>,
) -> Result<DateTime<Utc>, BadInput> {
    if let Some(ts) = body.get("timestamp") {
        let ms = match ts {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        return ms
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| bad(format!("`timestamp` {ts} is not epoch milliseconds")));
    }
    match path(issue, &["fields", "updated"]).and_then(Value::as_str) {
        Some(s) => parse_datetime(s).map_err(|e| bad(format!("`fields.updated`: {e}"))),
        None => Err(bad(
            "the body has no `timestamp` and the issue no `fields.updated`: the event has no time",
        )),
    }
}

fn short(v: Option<&Value>) -> Option<String> {
    v.and_then(scalar_string)
        .filter(|s| s.chars().count() <= MAX_ITEM_CHARS)
}

fn items(v: Option<&Value>) -> Result<Vec<ChangeItem>, BadInput> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| bad("changelog `items` is not an array"))?;
    arr.iter()
        .map(|item| {
            let o = item
                .as_object()
                .ok_or_else(|| bad("a changelog item is not an object"))?;
            Ok(ChangeItem {
                field: o
                    .get("field")
                    .and_then(scalar_string)
                    .ok_or_else(|| bad("a changelog item has no `field`"))?,
                field_id: o.get("fieldId").and_then(scalar_string),
                from: short(o.get("from")),
                from_string: short(o.get("fromString")),
                to: short(o.get("to")),
                to_string: short(o.get("toString")),
            })
        })
        .collect()
}

/// An issue's `changelog.histories`, ordered by (time, numeric id).
struct Histories {
    changes: Vec<Change>,
    /// `changelog.total` exceeds the histories present.
    truncated: bool,
}

fn histories(issue: &Map<String, Value>) -> Result<Histories, BadInput> {
    let Some(cl) = issue.get("changelog").and_then(Value::as_object) else {
        return Ok(Histories {
            changes: Vec::new(),
            truncated: false,
        });
    };
    let list = match cl.get("histories") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad("`changelog.histories` is not an array")),
    };
    let mut changes = Vec::with_capacity(list.len());
    for h in list {
        let h = h
            .as_object()
            .ok_or_else(|| bad("a changelog history is not an object"))?;
        let id = h
            .get("id")
            .and_then(scalar_string)
            .ok_or_else(|| bad("a changelog history has no `id`"))?;
        let created = h
            .get("created")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("changelog history {id} has no `created` time")))?;
        let at =
            parse_datetime(created).map_err(|e| bad(format!("changelog history {id}: {e}")))?;
        changes.push(Change {
            id,
            at,
            items: items(h.get("items"))?,
        });
    }
    changes.sort_by_key(|c| (c.at, c.seq()));
    let total = cl.get("total").and_then(Value::as_u64).unwrap_or(0);
    Ok(Histories {
        truncated: total > changes.len() as u64,
        changes,
    })
}

/// One issue of a REST search response, as the events that import applies.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedIssue {
    pub key: String,
    pub events: Vec<IssueEvent>,
    /// `changelog.total` exceeds the histories present: no creation event was made, so the
    /// history counts as incomplete.
    pub truncated: bool,
}

/// The events of one issue from a REST search response with `expand=changelog`
/// (DESIGN.md, "IssueEvent"): its creation in its first status, then one event per history.
pub fn import_issue(issue: &Value) -> Result<ImportedIssue, BadInput> {
    let obj = issue.as_object().ok_or_else(|| {
        bad(format!(
            "the issue is a {}, not an object",
            json_kind(issue)
        ))
    })?;
    let snap = snapshot(obj)?;
    if !obj.get("fields").is_some_and(Value::is_object) {
        return Err(bad(format!(
            "issue {} has no `fields`: nothing says which project it belongs to",
            snap.key
        )));
    }
    let hist = histories(obj)?;
    let prefix = format!("import:{}:{}", snap.site, snap.id);
    let mut events = Vec::with_capacity(hist.changes.len() + 1);
    if !hist.truncated {
        let created = snap.created.ok_or_else(|| {
            bad(format!(
                "issue {} has no readable `fields.created`",
                snap.key
            ))
        })?;
        let first_status = hist
            .changes
            .iter()
            .flat_map(|c| c.items.iter())
            .find(|i| i.is_status());
        let mut at_creation = snap.clone();
        if let Some(item) = first_status {
            at_creation.status = item.from_string.clone().map(|name| Status {
                id: item.from.clone(),
                name,
            });
            if at_creation.status != snap.status {
                at_creation.status_category = None;
            }
        }
        events.push(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: format!("{prefix}:created"),
            kind: EventKind::Created,
            at: created,
            issue: at_creation,
            changes: Vec::new(),
        });
    }
    for change in hist.changes {
        events.push(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: format!("{prefix}:{}", change.id),
            kind: EventKind::Updated,
            at: change.at,
            issue: snap.clone(),
            changes: vec![change],
        });
    }
    Ok(ImportedIssue {
        key: snap.key,
        events,
        truncated: hist.truncated,
    })
}

/// The issues of a REST search response (`{"issues": [...]}`), a bare array of issues, or one
/// issue; each read on its own, so one bad issue does not stop the rest.
pub fn search_issues(doc: &Value) -> Result<Vec<&Value>, BadInput> {
    match doc {
        Value::Object(o) => match o.get("issues") {
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(other) => Err(bad(format!(
                "`issues` is a {}, not an array",
                json_kind(other)
            ))),
            None if o.contains_key("key") && o.contains_key("fields") => Ok(vec![doc]),
            None => Err(bad(
                "not a Jira search response: no `issues` array (search with expand=changelog)",
            )),
        },
        Value::Array(a) => Ok(a.iter().collect()),
        other => Err(bad(format!(
            "not a Jira search response: a JSON {}",
            json_kind(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issue_json() -> Value {
        json!({
            "id": "501", "key": "CARGO-7",
            "self": "https://Cargo.example.net:8443/rest/api/2/issue/501",
            "fields": {
                "project": {"key": "CARGO"}, "issuetype": {"name": "Feature"},
                "status": {"id": "3", "name": "Implementing", "statusCategory": {"key": "indeterminate"}},
                "created": "2026-04-01T09:00:00.000+0200",
                "resolutiondate": null,
                "description": "x".repeat(40_000),
                "comment": {"comments": (0..100).map(|i| json!({"body": format!("{i}{}", "y".repeat(30_000))})).collect::<Vec<_>>()},
                "customfield_1": "2026-04-02", "customfield_2": 3.5, "customfield_3": null,
                "customfield_4": "z".repeat(65), "customfield_5": {"value": "object"}
            },
            "changelog": {"startAt": 0, "maxResults": 2, "total": 2, "histories": [
                {"id": "9002", "created": "2026-04-03T10:00:00.000Z", "items": [
                    {"field": "status", "fieldId": "status", "from": "2", "fromString": "Analyzing", "to": "3", "toString": "Implementing"}]},
                {"id": "9001", "created": "2026-04-02T10:00:00.000-05:00", "items": [
                    {"field": "assignee", "from": null, "to": "u1"},
                    {"field": "status", "from": "1", "fromString": "Funnel", "to": "2", "toString": "Analyzing"}]}
            ]}
        })
    }

    #[test]
    fn a_large_webhook_becomes_a_small_event() {
        let body = serde_json::to_vec(&json!({
            "timestamp": 1_775_030_400_000_i64, "webhookEvent": "jira:issue_created",
            "issue": issue_json(),
        }))
        .unwrap();
        assert!(body.len() > 3_000_000);
        let Webhook::Event(e) = parse_webhook(&body, None).unwrap() else {
            panic!("an event")
        };
        assert_eq!(e.kind, EventKind::Created);
        assert_eq!(e.issue.site, "https://cargo.example.net:8443");
        assert_eq!(e.issue.project_key.as_deref(), Some("CARGO"));
        assert_eq!(
            e.issue.fields.keys().collect::<Vec<_>>(),
            ["customfield_1", "customfield_2", "customfield_3"]
        );
        assert!(serde_json::to_vec(&e).unwrap().len() < 2_000);
        let back: IssueEvent = serde_json::from_slice(&serde_json::to_vec(&e).unwrap()).unwrap();
        assert_eq!(&back, e.as_ref());
    }

    #[test]
    fn server_items_without_field_id_are_status_changes() {
        let body = json!({
            "timestamp": 1_775_030_400_000_i64, "webhookEvent": "jira:issue_updated",
            "issue": issue_json(),
            "changelog": {"id": "77", "items": [
                {"field": "resolution", "to": "1"},
                {"field": "status", "fromString": "Implementing", "toString": "Done"}]}
        });
        let Webhook::Event(e) = parse_webhook(body.to_string().as_bytes(), Some(" ")).unwrap()
        else {
            panic!()
        };
        let t = e.transitions();
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].history_id.as_str(), t[0].item_pos), ("77", 1));
        assert!(
            e.delivery_id.starts_with("sha256:"),
            "a blank header is no id"
        );
    }

    #[test]
    fn import_orders_histories_and_starts_in_the_first_from_status() {
        let imported = import_issue(&issue_json()).unwrap();
        assert!(!imported.truncated);
        let ids: Vec<&str> = imported
            .events
            .iter()
            .map(|e| e.delivery_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "import:https://cargo.example.net:8443:501:created",
                "import:https://cargo.example.net:8443:501:9001",
                "import:https://cargo.example.net:8443:501:9002",
            ]
        );
        let created = &imported.events[0];
        assert_eq!(created.kind, EventKind::Created);
        assert_eq!(created.issue.status.as_ref().unwrap().name, "Funnel");
        assert_eq!(created.at.to_rfc3339(), "2026-04-01T07:00:00+00:00");
        assert_eq!(
            imported.events[2].issue.status.as_ref().unwrap().name,
            "Implementing"
        );
    }

    #[test]
    fn import_of_truncated_or_fieldless_issues() {
        let mut v = issue_json();
        v["changelog"]["total"] = json!(40);
        let imported = import_issue(&v).unwrap();
        assert!(imported.truncated);
        assert!(imported.events.iter().all(|e| e.kind == EventKind::Updated));

        let mut v = issue_json();
        v.as_object_mut().unwrap().remove("fields");
        let err = import_issue(&v).unwrap_err();
        assert!(err.0.contains("CARGO-7 has no `fields`"), "{err}");

        let mut v = issue_json();
        v["changelog"]["histories"] = json!([]);
        v["changelog"]["total"] = json!(0);
        let imported = import_issue(&v).unwrap();
        assert_eq!(imported.events.len(), 1);
        assert_eq!(
            imported.events[0].issue.status.as_ref().unwrap().name,
            "Implementing"
        );

        let mut v = issue_json();
        v["changelog"]["histories"][0]["created"] = json!("yesterday");
        let err = import_issue(&v).unwrap_err();
        assert!(
            err.0.contains("history 9002") && err.0.contains("yesterday"),
            "{err}"
        );
    }

    #[test]
    fn search_documents() {
        let doc = json!({"issues": [issue_json()]});
        assert_eq!(search_issues(&doc).unwrap().len(), 1);
        assert!(
            search_issues(&json!({"total": 0}))
                .unwrap_err()
                .0
                .contains("no `issues`")
        );
        assert!(search_issues(&json!("x")).is_err());
        assert_eq!(
            search_issues(&json!([issue_json(), issue_json()]))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn bodies_that_carry_nothing_are_named() {
        for (body, says) in [
            (&b"{\"webhookEvent\": 5}"[..], "`webhookEvent` is not a string"),
            (b"{\"webhookEvent\": \"jira:issue_updated\"}", "no `issue`"),
            (b"{\"webhookEvent\": \"jira:issue_updated\", \"issue\": {\"id\": \"1\", \"key\": \"A-1\"}}", "no `self`"),
            (b"{\"hello\": 1}", "carries no issue"),
            (b"null", "JSON null"),
        ] {
            let err = parse_webhook(body, None).unwrap_err();
            assert!(err.0.contains(says), "{err}");
        }
        let sprint = br#"{"webhookEvent": "sprint_started", "sprint": {}}"#;
        assert!(matches!(
            parse_webhook(sprint, None),
            Ok(Webhook::Ignored(_))
        ));
    }
}
