//! The Jira model: webhook bodies and REST search responses, read tolerantly into `IssueEvent`s.
//!
//! Jira sends many shapes: Cloud webhooks, Server/Data Center webhooks (no `fieldId`, no
//! `issue_event_type_name`), Automation's "Send web request" (the issue at the top level), Data
//! Center workflow post-functions (a `transition` object), and REST search responses with
//! `expand=changelog` (histories oldest-first or newest-first). Everything this module does not
//! need is ignored; what it needs and cannot find is a [`BadInput`] naming the problem.
//!
//! ## How a body is read
//!
//! The rules (`interpret`, `build_snapshot`, `histories`) work on a small borrowed model of what
//! they read (`Body`, `Issue`, `Fields`, ...). That model is filled in one of two ways:
//!
//! - **typed** (the fast path of [`parse_webhook`]): serde visitors read the body straight into
//!   the model, borrowing strings from the body and skipping everything else (descriptions,
//!   comments, attachments) without building it;
//! - **from a [`Value`]**: used by import ([`import_issue`], [`snapshot`]) and by
//!   [`parse_webhook`] whenever the typed reading gives up.
//!
//! The typed reading gives up (and the `Value` reading takes over) on any body whose shape it
//! does not expect: not an object, a member of an unexpected JSON kind (an `issue` that is a
//! string, say), a `timestamp` that is an array... So every message about a malformed body comes
//! from the `Value` reading, and where the typed reading succeeds it yields the same model as the
//! `Value` reading would (a test compares them on arbitrary bodies). Skipped members are still
//! checked as the `Value` parse checks them (UTF-8, escapes, number range, nesting depth), so
//! the typed reading never accepts a body that the `Value` parse rejects: serde's `IgnoredAny`
//! would not check these, so it is not used.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::event::{
    Change, ChangeItem, EventKind, IssueEvent, IssueSnapshot, MAX_FIELD_CHARS, SCHEMA_VERSION,
    Status,
};
use crate::time::{TimeError, parse_datetime};

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
/// 128-bit XXH3 of the body (so a byte-identical retry is recognised). Only Server/Data Center
/// and Automation bodies lack the header; the senders are authenticated, so the id needs no
/// resistance to crafted collisions, and XXH3 costs a tenth of what SHA-256 would per body.
pub fn delivery_id(header: Option<&str>, body: &[u8]) -> String {
    match header.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => h.to_owned(),
        None => format!("xxh3:{:032x}", xxhash_rust::xxh3::xxh3_128(body)),
    }
}

/// Reads a webhook body (any of Jira's shapes) into an event, or says why it carries none.
pub fn parse_webhook(body: &[u8], delivery_header: Option<&str>) -> Result<Webhook, BadInput> {
    match read_typed(body) {
        Some(read) => interpret(read, body, delivery_header),
        // Not the shape the typed reading expects (or not JSON at all): the `Value` reading
        // accepts every JSON document and names what is wrong.
        None => parse_webhook_via_value(body, delivery_header),
    }
}

/// The typed reading of a body, or `None` where the `Value` reading must take over.
fn read_typed(body: &[u8]) -> Option<Body<'_>> {
    // UTF-8 is checked once for the whole body (SIMD, faster than string by string); a body
    // that is not UTF-8 is not JSON, and the `Value` reading says so.
    let text = simdutf8::basic::from_utf8(body).ok()?;
    serde_json::from_str(text).ok()
}

/// [`parse_webhook`] through a [`Value`]: the reading that names every malformed shape.
fn parse_webhook_via_value(
    body: &[u8],
    delivery_header: Option<&str>,
) -> Result<Webhook, BadInput> {
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
    interpret(Body::from_map(obj), body, delivery_header)
}

/// The rules of [`parse_webhook`] over what was read of the body.
fn interpret(
    mut read: Body<'_>,
    body: &[u8],
    delivery_header: Option<&str>,
) -> Result<Webhook, BadInput> {
    let event = |kind, at, issue, changes, delivery| {
        Ok(Webhook::Event(Box::new(IssueEvent {
            schema: SCHEMA_VERSION,
            delivery_id: delivery,
            kind,
            at,
            issue,
            changes,
        })))
    };

    if read.webhook_event.is_present() {
        let kind = read
            .webhook_event
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
        let issue = issue_object(&mut read.issue)?;
        let snapshot = build_snapshot(issue)?;
        let at = event_time(&read.timestamp, issue)?;
        let delivery = delivery_id(delivery_header, body);
        let mut changes = Vec::new();
        match &read.top.changelog {
            Node::Absent | Node::Null => {}
            Node::Other(_) => return Err(bad("`changelog` is not an object")),
            Node::Is(cl) => changes.push(Change {
                id: cl
                    .id
                    .string()
                    .unwrap_or_else(|| format!("delivery:{delivery}")),
                at,
                items: items(&cl.items)?,
            }),
        }
        return event(kind, at, snapshot, changes, delivery);
    }

    if read.transition.is_present() {
        // Data Center workflow post-function: a status change at the body's timestamp.
        let Node::Is(t) = &read.transition else {
            return Err(bad("`transition` is not an object"));
        };
        let issue = issue_object(&mut read.issue)?;
        let snapshot = build_snapshot(issue)?;
        let at = event_time(&read.timestamp, issue)?;
        let (from, to) = (t.from_status.string(), t.to_status.string());
        let Some(to_name) = to.clone() else {
            return Err(bad("`transition` has no `to_status`"));
        };
        let id = format!(
            "pf:{}:{}:{}",
            at.timestamp_millis(),
            from.as_deref().unwrap_or(""),
            to_name
        );
        let change = Change {
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
        };
        let delivery = delivery_id(delivery_header, body);
        return event(EventKind::Updated, at, snapshot, vec![change], delivery);
    }

    let top = &mut read.top;
    if top.fields.is_present() && (top.key.is_present() || top.id.is_present()) {
        // Automation's "Send web request" in Automation format: the issue is the top level.
        let snapshot = build_snapshot(top)?;
        let changes = histories(top)?.changes;
        let at = match &read.timestamp {
            Stamp::Absent => match changes.iter().map(|c| c.at).max() {
                Some(t) => t,
                None => event_time(&read.timestamp, top)?,
            },
            _ => event_time(&read.timestamp, top)?,
        };
        let delivery = delivery_id(delivery_header, body);
        return event(EventKind::Updated, at, snapshot, changes, delivery);
    }

    if read.issue.is_present() {
        let issue = issue_object(&mut read.issue)?;
        let snapshot = build_snapshot(issue)?;
        let at = event_time(&read.timestamp, issue)?;
        let changes = histories(issue)?.changes;
        let delivery = delivery_id(delivery_header, body);
        return event(EventKind::Updated, at, snapshot, changes, delivery);
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

fn issue_object<'r, 'a>(issue: &'r mut Node<Issue<'a>>) -> Result<&'r mut Issue<'a>, BadInput> {
    match issue {
        Node::Absent | Node::Null => Err(bad("body has no `issue`")),
        Node::Is(issue) => Ok(issue),
        Node::Other(kind) => Err(bad(format!("`issue` is a {kind}, not an object"))),
    }
}

/// Scheme and host (with port) of a URL, lower-cased: the issue's Jira site.
pub fn site_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if scheme.is_empty() || host.is_empty() {
        return None;
    }
    let mut site = String::with_capacity(scheme.len() + 3 + host.len());
    site.push_str(scheme);
    site.push_str("://");
    site.push_str(host);
    site.make_ascii_lowercase();
    Some(site)
}

/// The issue as an event snapshot. Needs `id`, `key` and `self`; `fields` may be absent.
pub fn snapshot(issue: &Map<String, Value>) -> Result<IssueSnapshot, BadInput> {
    build_snapshot(&mut Issue::from_map(issue))
}

/// The one place an issue becomes an [`IssueSnapshot`], whichever way it was read. The custom
/// fields are moved out of `issue` into the snapshot (the rest of `issue` is left as it was).
fn build_snapshot(issue: &mut Issue<'_>) -> Result<IssueSnapshot, BadInput> {
    let (id, key) = match (issue.id.string(), issue.key.string()) {
        (Some(id), Some(key)) => (id, key),
        (None, None) => return Err(bad("the issue has neither an `id` nor a `key`")),
        (None, Some(key)) => return Err(bad(format!("issue {key} has no `id`"))),
        (Some(id), None) => return Err(bad(format!("issue {id} has no `key`"))),
    };
    let site = issue.self_url.as_str().and_then(site_of).ok_or_else(|| {
        bad(format!(
            "issue {key} has no `self` URL naming its Jira site"
        ))
    })?;
    let Node::Is(fields) = &mut issue.fields else {
        return Ok(IssueSnapshot {
            site,
            id,
            key,
            project_key: None,
            issue_type: None,
            status: None,
            status_category: None,
            created: None,
            resolution_date: None,
            resolution: None,
            fields: BTreeMap::new(),
        });
    };
    let date = |v: &Scalar<'_>| v.as_str().and_then(|s| jira_datetime(s).ok());
    Ok(IssueSnapshot {
        site,
        id,
        key,
        project_key: fields.project_key.string(),
        issue_type: fields.issue_type.string(),
        status: fields.status_name.string().map(|name| Status {
            id: fields.status_id.string(),
            name,
        }),
        status_category: fields.status_category.string(),
        created: date(&fields.created),
        resolution_date: date(&fields.resolution_date),
        resolution: fields.resolution.string(),
        fields: std::mem::take(&mut fields.custom),
    })
}

/// The event time: `timestamp` (epoch ms), else the issue's `updated`.
fn event_time(timestamp: &Stamp<'_>, issue: &Issue<'_>) -> Result<DateTime<Utc>, BadInput> {
    let ms = match timestamp {
        Stamp::Absent => {
            let updated = issue.fields.get().and_then(|f| f.updated.as_str());
            return match updated {
                Some(s) => jira_datetime(s).map_err(|e| bad(format!("`fields.updated`: {e}"))),
                None => Err(bad(
                    "the body has no `timestamp` and the issue no `fields.updated`: the event \
                     has no time",
                )),
            };
        }
        Stamp::Num(n) => n.as_i64(),
        Stamp::Str(s) => s.trim().parse().ok(),
        Stamp::Other(_) => None,
    };
    ms.and_then(DateTime::from_timestamp_millis).ok_or_else(|| {
        let shown = match timestamp {
            Stamp::Num(n) => n.to_string(),
            Stamp::Str(s) => Value::String(s.to_string()).to_string(),
            Stamp::Other(shown) => shown.clone(),
            Stamp::Absent => unreachable!("an absent timestamp returned above"),
        };
        bad(format!("`timestamp` {shown} is not epoch milliseconds"))
    })
}

/// [`parse_datetime`], with a fast path for the form Jira writes
/// (`2026-01-05T09:12:44.120+0100`): chrono's format parser costs more than the rest of an
/// issue's snapshot. Any other form goes to `parse_datetime` as it is.
fn jira_datetime(s: &str) -> Result<DateTime<Utc>, TimeError> {
    match jira_datetime_fast(s.as_bytes()) {
        Some(t) => Ok(t),
        None => parse_datetime(s),
    }
}

/// `YYYY-MM-DDThh:mm:ss.fff±hhmm` exactly, every part in range; `None` for anything else
/// (which `parse_datetime` may still read).
fn jira_datetime_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    // 0         1         2
    // 0123456789012345678901234567
    // 2026-01-05T09:12:44.120+0100
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ];
    if b.len() != 28 || separators.iter().any(|&(at, c)| b[at] != c) {
        return None;
    }
    let num = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let sign = match b[23] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (second, offset_hours, offset_minutes) = (num(17, 19)?, num(24, 26)?, num(26, 28)?);
    if second > 59 || offset_hours > 23 || offset_minutes > 59 {
        return None;
    }
    let local = NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 7)?, num(8, 10)?)?
        .and_hms_milli_opt(num(11, 13)?, num(14, 16)?, second, num(20, 23)?)?;
    let offset_seconds = i32::try_from(offset_hours * 3600 + offset_minutes * 60).ok()?;
    FixedOffset::east_opt(sign * offset_seconds)?
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn short(v: &Scalar<'_>) -> Option<String> {
    let fits = |s: &str| s.chars().nth(MAX_ITEM_CHARS).is_none();
    match v {
        // Checked before copying: a description's old and new text are long.
        Scalar::Str(s) => fits(s).then(|| s.to_string()),
        _ => v.string().filter(|s| fits(s)),
    }
}

fn items(v: &Node<Vec<Node<Item<'_>>>>) -> Result<Vec<ChangeItem>, BadInput> {
    let list = match v {
        Node::Absent | Node::Null => return Ok(Vec::new()),
        Node::Other(_) => return Err(bad("changelog `items` is not an array")),
        Node::Is(list) => list,
    };
    list.iter()
        .map(|item| {
            let Node::Is(o) = item else {
                return Err(bad("a changelog item is not an object"));
            };
            Ok(ChangeItem {
                field: o
                    .field
                    .string()
                    .ok_or_else(|| bad("a changelog item has no `field`"))?,
                field_id: o.field_id.string(),
                from: short(&o.from),
                from_string: short(&o.from_string),
                to: short(&o.to),
                to_string: short(&o.to_string),
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

fn histories(issue: &Issue<'_>) -> Result<Histories, BadInput> {
    let Node::Is(cl) = &issue.changelog else {
        return Ok(Histories {
            changes: Vec::new(),
            truncated: false,
        });
    };
    let list: &[Node<History<'_>>] = match &cl.histories {
        Node::Absent | Node::Null => &[],
        Node::Is(list) => list,
        Node::Other(_) => return Err(bad("`changelog.histories` is not an array")),
    };
    let mut changes = Vec::with_capacity(list.len());
    for h in list {
        let Node::Is(h) = h else {
            return Err(bad("a changelog history is not an object"));
        };
        let id =
            h.id.string()
                .ok_or_else(|| bad("a changelog history has no `id`"))?;
        let created = h
            .created
            .as_str()
            .ok_or_else(|| bad(format!("changelog history {id} has no `created` time")))?;
        let at = jira_datetime(created).map_err(|e| bad(format!("changelog history {id}: {e}")))?;
        changes.push(Change {
            id,
            at,
            items: items(&h.items)?,
        });
    }
    changes.sort_by_key(|c| (c.at, c.seq()));
    let total = cl.total.unwrap_or(0);
    Ok(Histories {
        truncated: total > changes.len() as u64,
        changes,
    })
}

// ---------------------------------------------------------------------------------------------
// The model the rules read: only what they need, borrowed from the body or its `Value`.
// ---------------------------------------------------------------------------------------------

/// A member the rules read as an object (or an array): absent, null, the thing, or another JSON
/// kind.
#[derive(Debug, Default, PartialEq)]
enum Node<T> {
    #[default]
    Absent,
    Null,
    Is(T),
    /// Present but of another JSON kind (named). Only the `Value` reading makes this: the typed
    /// reading gives up instead.
    Other(&'static str),
}

impl<T> Node<T> {
    fn is_present(&self) -> bool {
        !matches!(self, Node::Absent)
    }

    fn get(&self) -> Option<&T> {
        match self {
            Node::Is(t) => Some(t),
            _ => None,
        }
    }
}

/// A member the rules read as a string, or a number written as one (Jira writes ids both ways).
#[derive(Debug, Default, PartialEq)]
enum Scalar<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Num(Number),
    /// `null`, a boolean, an array or an object.
    Other,
}

impl Scalar<'_> {
    fn is_present(&self) -> bool {
        !matches!(self, Scalar::Absent)
    }

    /// The string, or the number as written by `serde_json`.
    fn string(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.to_string()),
            Scalar::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The string; `None` for a number or anything else.
    fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The body's `timestamp`: epoch milliseconds as a number or a numeric string.
#[derive(Debug, Default, PartialEq)]
enum Stamp<'a> {
    #[default]
    Absent,
    Num(Number),
    Str(Cow<'a, str>),
    /// Any other JSON value, as `serde_json` writes it (for the error message).
    Other(String),
}

/// What the rules read of a webhook body.
#[derive(Debug, Default, PartialEq)]
struct Body<'a> {
    webhook_event: Scalar<'a>,
    issue: Node<Issue<'a>>,
    timestamp: Stamp<'a>,
    transition: Node<Transition<'a>>,
    /// The body read as an issue: Automation format puts the issue at the top level. Its
    /// `changelog` is also a webhook's changelog (`id` and `items`).
    top: Issue<'a>,
}

/// What the rules read of an issue.
#[derive(Debug, Default, PartialEq)]
struct Issue<'a> {
    id: Scalar<'a>,
    key: Scalar<'a>,
    self_url: Scalar<'a>,
    fields: Node<Fields<'a>>,
    changelog: Node<Changelog<'a>>,
}

/// What the rules read of an issue's `fields`.
#[derive(Debug, Default, PartialEq)]
struct Fields<'a> {
    /// `project.key`
    project_key: Scalar<'a>,
    /// `issuetype.name`
    issue_type: Scalar<'a>,
    /// `status.id`
    status_id: Scalar<'a>,
    /// `status.name`
    status_name: Scalar<'a>,
    /// `status.statusCategory.key`
    status_category: Scalar<'a>,
    created: Scalar<'a>,
    /// `resolutiondate`
    resolution_date: Scalar<'a>,
    /// `resolution.name`
    resolution: Scalar<'a>,
    updated: Scalar<'a>,
    /// The `customfield_*` whose value is null, a number or a string of at most
    /// [`MAX_FIELD_CHARS`] characters.
    custom: BTreeMap<String, Value>,
}

/// A `changelog`: a webhook's (`id`, `items`) or an issue's (`histories`, `total`).
#[derive(Debug, Default, PartialEq)]
struct Changelog<'a> {
    id: Scalar<'a>,
    items: Node<Vec<Node<Item<'a>>>>,
    histories: Node<Vec<Node<History<'a>>>>,
    /// `total`, when it is a non-negative integer.
    total: Option<u64>,
}

#[derive(Debug, Default, PartialEq)]
struct History<'a> {
    id: Scalar<'a>,
    created: Scalar<'a>,
    items: Node<Vec<Node<Item<'a>>>>,
}

#[derive(Debug, Default, PartialEq)]
struct Item<'a> {
    field: Scalar<'a>,
    field_id: Scalar<'a>,
    from: Scalar<'a>,
    from_string: Scalar<'a>,
    to: Scalar<'a>,
    to_string: Scalar<'a>,
}

/// A Data Center post-function's `transition`.
#[derive(Debug, Default, PartialEq)]
struct Transition<'a> {
    from_status: Scalar<'a>,
    to_status: Scalar<'a>,
}

/// Whether a custom field's string value is short enough to keep.
fn short_field(s: &str) -> bool {
    s.chars().nth(MAX_FIELD_CHARS).is_none()
}

// ---------------------------------------------------------------------------------------------
// The model from a `Value` (total: every JSON value gives a model).
// ---------------------------------------------------------------------------------------------

impl<'a> Scalar<'a> {
    fn of(v: Option<&'a Value>) -> Self {
        match v {
            None => Scalar::Absent,
            Some(Value::String(s)) => Scalar::Str(Cow::Borrowed(s)),
            Some(Value::Number(n)) => Scalar::Num(n.clone()),
            Some(_) => Scalar::Other,
        }
    }
}

impl<'a, T> Node<T> {
    fn object(v: Option<&'a Value>, read: impl FnOnce(&'a Map<String, Value>) -> T) -> Self {
        match v {
            None => Node::Absent,
            Some(Value::Null) => Node::Null,
            Some(Value::Object(o)) => Node::Is(read(o)),
            Some(other) => Node::Other(json_kind(other)),
        }
    }
}

impl<'a, T> Node<Vec<Node<T>>> {
    fn array(v: Option<&'a Value>, read: impl Fn(&'a Map<String, Value>) -> T) -> Self {
        match v {
            None => Node::Absent,
            Some(Value::Null) => Node::Null,
            Some(Value::Array(a)) => {
                Node::Is(a.iter().map(|e| Node::object(Some(e), &read)).collect())
            }
            Some(other) => Node::Other(json_kind(other)),
        }
    }
}

fn path<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    let mut cur = obj.get(keys[0])?;
    for k in &keys[1..] {
        cur = cur.as_object()?.get(*k)?;
    }
    Some(cur)
}

impl<'a> Body<'a> {
    fn from_map(obj: &'a Map<String, Value>) -> Self {
        Body {
            webhook_event: Scalar::of(obj.get("webhookEvent")),
            issue: Node::object(obj.get("issue"), Issue::from_map),
            timestamp: match obj.get("timestamp") {
                None => Stamp::Absent,
                Some(Value::Number(n)) => Stamp::Num(n.clone()),
                Some(Value::String(s)) => Stamp::Str(Cow::Borrowed(s)),
                Some(other) => Stamp::Other(other.to_string()),
            },
            transition: Node::object(obj.get("transition"), |t| Transition {
                from_status: Scalar::of(t.get("from_status")),
                to_status: Scalar::of(t.get("to_status")),
            }),
            top: Issue::from_map(obj),
        }
    }
}

impl<'a> Issue<'a> {
    fn from_map(obj: &'a Map<String, Value>) -> Self {
        Issue {
            id: Scalar::of(obj.get("id")),
            key: Scalar::of(obj.get("key")),
            self_url: Scalar::of(obj.get("self")),
            fields: Node::object(obj.get("fields"), Fields::from_map),
            changelog: Node::object(obj.get("changelog"), |cl| Changelog {
                id: Scalar::of(cl.get("id")),
                items: Node::array(cl.get("items"), Item::from_map),
                histories: Node::array(cl.get("histories"), |h| History {
                    id: Scalar::of(h.get("id")),
                    created: Scalar::of(h.get("created")),
                    items: Node::array(h.get("items"), Item::from_map),
                }),
                total: cl.get("total").and_then(Value::as_u64),
            }),
        }
    }
}

impl<'a> Fields<'a> {
    fn from_map(fields: &'a Map<String, Value>) -> Self {
        let at = |keys: &[&str]| Scalar::of(path(fields, keys));
        Fields {
            project_key: at(&["project", "key"]),
            issue_type: at(&["issuetype", "name"]),
            status_id: at(&["status", "id"]),
            status_name: at(&["status", "name"]),
            status_category: at(&["status", "statusCategory", "key"]),
            created: at(&["created"]),
            resolution_date: at(&["resolutiondate"]),
            resolution: at(&["resolution", "name"]),
            updated: at(&["updated"]),
            custom: fields
                .iter()
                .filter(|(k, _)| k.starts_with("customfield_"))
                .filter(|(_, v)| match v {
                    Value::Null | Value::Number(_) => true,
                    Value::String(s) => short_field(s),
                    _ => false,
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

impl<'a> Item<'a> {
    fn from_map(o: &'a Map<String, Value>) -> Self {
        Item {
            field: Scalar::of(o.get("field")),
            field_id: Scalar::of(o.get("fieldId")),
            from: Scalar::of(o.get("from")),
            from_string: Scalar::of(o.get("fromString")),
            to: Scalar::of(o.get("to")),
            to_string: Scalar::of(o.get("toString")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model straight from the body (typed): serde visitors that keep only what the rules read.
//
// Every object is read with `deserialize_map` (so an array is never taken for an object), a
// member read twice keeps its last value (as a `Value` map does), and a member that is not read
// is skipped with `Skip`, which checks it as `Value` parsing does. A member of a kind the model
// cannot hold is a deserialization error: `parse_webhook` then reads the body as a `Value`.
// ---------------------------------------------------------------------------------------------

/// An object read member by member.
trait Members<'de>: Default {
    /// Reads the value of the member `key` into `self`, or skips it.
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Members<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(Key(key)) = map.next_key()? {
            out.member(&key, &mut map)?;
        }
        Ok(out)
    }
}

macro_rules! read_as_object {
    ($($t:ident),* $(,)?) => {$(
        impl<'de: 'a, 'a> Deserialize<'de> for $t<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(ObjectVisitor(PhantomData))
            }
        }
    )*};
}

read_as_object!(
    Body, Issue, Fields, Changelog, History, Item, Transition, KeyOf, NameOf, StatusOf
);

/// Skips a member's value, checking it as `Value` parsing would (`IgnoredAny` does not check
/// UTF-8, `\u` escapes, number range or nesting depth).
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// A member name, borrowed from the body unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowStrVisitor).map(Key)
    }
}

struct CowStrVisitor;

impl<'de> Visitor<'de> for CowStrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Node<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for NodeVisitor<T> {
            type Value = Node<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("null, an object or an array")
            }
            fn visit_none<E>(self) -> Result<Node<T>, E> {
                Ok(Node::Null)
            }
            fn visit_unit<E>(self) -> Result<Node<T>, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node<T>, D::Error> {
                T::deserialize(d).map(Node::Is)
            }
        }
        d.deserialize_option(NodeVisitor(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(s)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Num(n.into()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Num(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(n).map_or(Scalar::Other, Scalar::Num))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                SkipVisitor.visit_seq(seq).map(|_| Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                SkipVisitor.visit_map(map).map(|_| Scalar::Other)
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Stamp<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StampVisitor;
        impl<'de> Visitor<'de> for StampVisitor {
            type Value = Stamp<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("epoch milliseconds")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Stamp::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Stamp::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Stamp::Str(Cow::Owned(s)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(Stamp::Num(n.into()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Stamp::Num(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(n).map_or_else(|| Stamp::Other("null".into()), Stamp::Num))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Stamp::Other(b.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Stamp::Other("null".into()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Stamp::Other("null".into()))
            }
            // An array or an object: the typed reading gives up, and the `Value` reading
            // writes it into the message.
        }
        d.deserialize_any(StampVisitor)
    }
}

/// `total`: `Some` when it is a non-negative integer (as `Value::as_u64` reads it).
struct Total(Option<u64>);

impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TotalVisitor;
        impl<'de> Visitor<'de> for TotalVisitor {
            type Value = Total;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E>(self, n: u64) -> Result<Total, E> {
                Ok(Total(Some(n)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Total, E> {
                Ok(Total(u64::try_from(n).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Total, E> {
                Ok(Total(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Total, E> {
                Ok(Total(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Total, E> {
                Ok(Total(None))
            }
            fn visit_unit<E>(self) -> Result<Total, E> {
                Ok(Total(None))
            }
            fn visit_none<E>(self) -> Result<Total, E> {
                Ok(Total(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Total, A::Error> {
                SkipVisitor.visit_seq(seq).map(|_| Total(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Total, A::Error> {
                SkipVisitor.visit_map(map).map(|_| Total(None))
            }
        }
        d.deserialize_any(TotalVisitor)
    }
}

/// A custom field's value when it is kept (null, a number, a short string), else `None`.
struct Custom(Option<Value>);

impl<'de> Deserialize<'de> for Custom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CustomVisitor;
        impl<'de> Visitor<'de> for CustomVisitor {
            type Value = Custom;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Custom, E> {
                Ok(Custom(Some(Value::Null)))
            }
            fn visit_none<E>(self) -> Result<Custom, E> {
                Ok(Custom(Some(Value::Null)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Custom, E> {
                Ok(Custom(Some(Value::Number(n.into()))))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Custom, E> {
                Ok(Custom(Some(Value::Number(n.into()))))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Custom, E> {
                // As `Value` holds it: a float it cannot hold is null (kept as such).
                Ok(Custom(Some(
                    Number::from_f64(n).map_or(Value::Null, Value::Number),
                )))
            }
            fn visit_str<E>(self, s: &str) -> Result<Custom, E> {
                Ok(Custom(short_field(s).then(|| Value::String(s.to_owned()))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Custom, E> {
                Ok(Custom(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Custom, A::Error> {
                SkipVisitor.visit_seq(seq).map(|_| Custom(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Custom, A::Error> {
                SkipVisitor.visit_map(map).map(|_| Custom(None))
            }
        }
        d.deserialize_any(CustomVisitor)
    }
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<Skip>().map(drop)
}

impl<'de: 'a, 'a> Members<'de> for Body<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "webhookEvent" => self.webhook_event = map.next_value()?,
            "issue" => self.issue = map.next_value()?,
            "timestamp" => self.timestamp = map.next_value()?,
            "transition" => self.transition = map.next_value()?,
            _ => return self.top.member(key, map),
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for Issue<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => self.id = map.next_value()?,
            "key" => self.key = map.next_value()?,
            "self" => self.self_url = map.next_value()?,
            "fields" => self.fields = map.next_value()?,
            "changelog" => self.changelog = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// `project` (its `key`) or `statusCategory` (its `key`).
#[derive(Default)]
struct KeyOf<'a>(Scalar<'a>);

/// `issuetype` (its `name`).
#[derive(Default)]
struct NameOf<'a>(Scalar<'a>);

/// `status`.
#[derive(Default)]
struct StatusOf<'a> {
    id: Scalar<'a>,
    name: Scalar<'a>,
    category: Node<KeyOf<'a>>,
}

impl<'de: 'a, 'a> Members<'de> for KeyOf<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "key" => self.0 = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for NameOf<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "name" => self.0 = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for StatusOf<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => self.id = map.next_value()?,
            "name" => self.name = map.next_value()?,
            "statusCategory" => self.category = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for Fields<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "project" => {
                let project: Node<KeyOf<'a>> = map.next_value()?;
                self.project_key = match project {
                    Node::Is(KeyOf(key)) => key,
                    _ => Scalar::Absent,
                };
            }
            "issuetype" => {
                let issue_type: Node<NameOf<'a>> = map.next_value()?;
                self.issue_type = match issue_type {
                    Node::Is(NameOf(name)) => name,
                    _ => Scalar::Absent,
                };
            }
            "status" => {
                let status: Node<StatusOf<'a>> = map.next_value()?;
                let status = match status {
                    Node::Is(status) => status,
                    _ => StatusOf::default(),
                };
                self.status_id = status.id;
                self.status_name = status.name;
                self.status_category = match status.category {
                    Node::Is(KeyOf(key)) => key,
                    _ => Scalar::Absent,
                };
            }
            "created" => self.created = map.next_value()?,
            "resolutiondate" => self.resolution_date = map.next_value()?,
            "resolution" => {
                let resolution: Node<NameOf<'a>> = map.next_value()?;
                self.resolution = match resolution {
                    Node::Is(NameOf(name)) => name,
                    _ => Scalar::Absent,
                };
            }
            "updated" => self.updated = map.next_value()?,
            name if name.starts_with("customfield_") => match map.next_value()? {
                Custom(Some(v)) => {
                    self.custom.insert(name.to_owned(), v);
                }
                Custom(None) => {
                    self.custom.remove(name);
                }
            },
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for Changelog<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => self.id = map.next_value()?,
            "items" => self.items = map.next_value()?,
            "histories" => self.histories = map.next_value()?,
            "total" => self.total = map.next_value::<Total>()?.0,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for History<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => self.id = map.next_value()?,
            "created" => self.created = map.next_value()?,
            "items" => self.items = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for Item<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "field" => self.field = map.next_value()?,
            "fieldId" => self.field_id = map.next_value()?,
            "from" => self.from = map.next_value()?,
            "fromString" => self.from_string = map.next_value()?,
            "to" => self.to = map.next_value()?,
            "toString" => self.to_string = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Members<'de> for Transition<'a> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "from_status" => self.from_status = map.next_value()?,
            "to_status" => self.to_status = map.next_value()?,
            _ => skip(map)?,
        }
        Ok(())
    }
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
    let mut read = Issue::from_map(obj);
    let snap = build_snapshot(&mut read)?;
    if read.fields.get().is_none() {
        return Err(bad(format!(
            "issue {} has no `fields`: nothing says which project it belongs to",
            snap.key
        )));
    }
    let hist = histories(&read)?;
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
                at_creation.resolution = None;
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
    use proptest::prelude::*;
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
            e.delivery_id.starts_with("xxh3:"),
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

    /// Reads `body` both ways and checks that they agree: the result of `parse_webhook` (typed
    /// where it can) is the `Value` reading's, and where the typed reading succeeds its model is
    /// the `Value` reading's. Returns whether the typed reading succeeded.
    fn agrees(body: &[u8]) -> bool {
        for header in [None, Some("delivery-1")] {
            assert_eq!(
                parse_webhook(body, header),
                parse_webhook_via_value(body, header),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let typed = read_typed(body);
        let value = serde_json::from_slice::<Value>(body).ok();
        match (&typed, &value) {
            (Some(typed), Some(Value::Object(obj))) => assert_eq!(
                typed,
                &Body::from_map(obj),
                "{}",
                String::from_utf8_lossy(body)
            ),
            (Some(_), _) => panic!(
                "the typed reading accepted what the Value reading does not: {}",
                String::from_utf8_lossy(body)
            ),
            (None, _) => {}
        }
        typed.is_some()
    }

    fn fixtures() -> Vec<(String, Vec<u8>)> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/jira");
        let mut out = Vec::new();
        for sub in [dir.clone(), dir.join("bad")] {
            let Ok(entries) = std::fs::read_dir(&sub) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "json" || x == "txt") {
                    out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_fixtures_are_read_typed_and_as_by_value() {
        let fixtures = fixtures();
        if fixtures.is_empty() {
            eprintln!("skipped: ../shared/fixtures/jira not found");
        }
        for (name, body) in fixtures {
            let typed = agrees(&body);
            // Every well-formed fixture takes the fast path; only the malformed ones fall back.
            let malformed = ["truncated", "issue-is-a-string", "array-body", "not-json"]
                .iter()
                .any(|m| name.contains(m));
            assert_eq!(typed, !malformed, "{name}");
        }
        let big = serde_json::to_vec(&json!({
            "timestamp": 1_775_030_400_000_i64, "webhookEvent": "jira:issue_created",
            "issue": issue_json(),
        }))
        .unwrap();
        assert!(agrees(&big));
        let automation = issue_json().to_string();
        assert!(agrees(automation.as_bytes()));
    }

    #[test]
    fn skipped_members_are_checked_as_a_value_parse_checks_them() {
        let with = |description: &str| {
            format!(
                r#"{{"timestamp": 1775030400000, "webhookEvent": "jira:issue_updated",
                    "issue": {{"id": "1", "key": "A-1", "self": "https://a.example/rest/api/2/issue/1",
                    "fields": {{"description": {description}}}}}}}"#
            )
            .into_bytes()
        };
        assert!(agrees(&with(r#""fine \u00e9 \ud83d\ude00""#)));
        for description in [
            r#""lone \ud800 surrogate""#.to_owned(),
            "1e400".to_owned(),
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
            "\"control \u{1} character\"".to_owned(),
        ] {
            let body = with(&description);
            assert!(!agrees(&body), "{description}");
            let err = parse_webhook(&body, None).unwrap_err();
            assert!(err.0.contains("not valid JSON"), "{err}");
        }
        let mut invalid_utf8 = with(r#""abc""#);
        let at = invalid_utf8.windows(3).position(|w| w == b"abc").unwrap();
        invalid_utf8[at + 1] = 0xff;
        assert!(!agrees(&invalid_utf8));
        assert!(
            parse_webhook(&invalid_utf8, None)
                .unwrap_err()
                .0
                .contains("not valid JSON")
        );
    }

    #[test]
    fn odd_shapes_read_as_by_value() {
        let issue = r#"{"id": 7, "key": "A-7", "self": "https://a.example/rest/api/2/issue/7""#;
        for body in [
            // Duplicate members: the last one counts.
            format!(r#"{{"webhookEvent": "x", "webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}, "fields": {{"status": {{"name": "A"}}, "status": {{"id": 3}}, "customfield_1": 1, "customfield_1": {{}}}}}}}}"#),
            // An array or a scalar where an object is expected.
            r#"{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": []}"#.to_owned(),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}, "fields": []}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}, "fields": "x"}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}, "fields": {{"status": "Done"}}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}}}, "changelog": "x"}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}}}, "changelog": {{"items": {{}}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {issue}}}, "changelog": {{"items": [null]}}}}"#),
            // Timestamps.
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": " 12 ", "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": "1e3", "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 1.5, "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": null, "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": [1], "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": 99999999999999999999, "issue": {issue}}}}}"#),
            format!(r#"{{"webhookEvent": "jira:issue_updated", "timestamp": "-9223372036854775808", "issue": {issue}}}}}"#),
            // Post-functions and the top-level issue.
            format!(r#"{{"transition": null, "timestamp": 1, "issue": {issue}}}}}"#),
            format!(r#"{{"transition": {{"from_status": 1, "to_status": 2.5}}, "timestamp": 1, "issue": {issue}}}}}"#),
            r#"{"id": 1, "fields": null, "self": "http://h/x"}"#.to_owned(),
            r#"{"key": "A-1", "id": "1", "fields": {}, "self": "http://h/x", "changelog": {"histories": [{"id": 2, "created": "2026-01-01T00:00:00Z", "items": [{"field": "status", "to": 3, "toString": null}]}]}}"#.to_owned(),
            r#"{"issue": null}"#.to_owned(),
            r#"{"webhookEvent": null}"#.to_owned(),
            // Escaped member names are the names they spell.
            format!(r#"{{"webhook\u0045vent": "jira:issue_deleted", "timestamp": 1, "issue": {issue}}}}}"#),
        ] {
            agrees(body.as_bytes());
        }
    }

    /// A JSON document as written: objects may repeat a member, numbers are written as given.
    #[derive(Debug, Clone)]
    enum J {
        Null,
        Bool(bool),
        Num(String),
        Str(String),
        Arr(Vec<J>),
        Obj(Vec<(String, J)>),
    }

    impl J {
        fn write(&self, out: &mut String) {
            match self {
                J::Null => out.push_str("null"),
                J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                J::Num(n) => out.push_str(n),
                J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
                J::Arr(a) => {
                    out.push('[');
                    for (i, e) in a.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        e.write(out);
                    }
                    out.push(']');
                }
                J::Obj(o) => {
                    out.push('{');
                    for (i, (k, v)) in o.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&serde_json::to_string(k).unwrap());
                        out.push(':');
                        v.write(out);
                    }
                    out.push('}');
                }
            }
        }

        fn text(&self) -> String {
            let mut out = String::new();
            self.write(&mut out);
            out
        }
    }

    const NAMES: &[&str] = &[
        "webhookEvent",
        "issue",
        "timestamp",
        "transition",
        "id",
        "key",
        "self",
        "fields",
        "changelog",
        "items",
        "histories",
        "total",
        "created",
        "updated",
        "resolutiondate",
        "project",
        "issuetype",
        "status",
        "statusCategory",
        "name",
        "field",
        "fieldId",
        "from",
        "fromString",
        "to",
        "toString",
        "from_status",
        "to_status",
        "customfield_1",
        "customfield_2",
        "description",
        "comment",
    ];

    fn leaf() -> impl Strategy<Value = J> {
        prop_oneof![
            10 => Just(J::Null),
            5 => any::<bool>().prop_map(J::Bool),
            5 => any::<i64>().prop_map(|n| J::Num(n.to_string())),
            5 => any::<u64>().prop_map(|n| J::Num(n.to_string())),
            5 => (-1e20f64..1e20).prop_map(|f| J::Num(serde_json::to_string(&f).unwrap())),
            10 => prop::sample::select(vec![
                "0",
                "-0",
                "1.0",
                "1e3",
                "-1.5E-3",
                "1775030400000",
                "12345678901234567890123",
                "18446744073709551616",
            ])
            .prop_map(|n| J::Num(n.to_owned())),
            30 => prop::sample::select(vec![
                "jira:issue_created",
                "jira:issue_updated",
                "jira:issue_deleted",
                "comment_created",
                "status",
                "Status",
                "Done",
                "A-1",
                "101",
                " 1775030400000 ",
                "",
                "https://Jira.Example.net:8443/rest/api/2/issue/101",
                "http://h",
                "no-scheme",
                "2026-01-05T08:12:44.120+0100",
                "2026-01-05",
                "2026-01-05T08:12:44Z",
                "yesterday",
                "é\u{1F600}\"\\\n\t\u{7f}",
            ])
            .prop_map(|s| J::Str(s.to_owned())),
            10 => "[a-z0-9 ]{0,70}".prop_map(J::Str),
            5 => (60usize..300).prop_map(|n| J::Str("w".repeat(n))),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(NAMES).prop_map(str::to_owned),
            1 => "[a-zA-Z_]{0,6}",
        ]
    }

    fn json() -> impl Strategy<Value = J> {
        leaf().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
                prop::collection::vec((name(), inner), 0..6).prop_map(J::Obj),
            ]
        })
    }

    /// An object with each of `members` most of the time, now and then one of them again (a
    /// repeated member); sometimes arbitrary JSON in its place.
    fn shaped(members: Vec<(&'static str, BoxedStrategy<J>)>) -> BoxedStrategy<J> {
        let named = |(n, v): (&'static str, BoxedStrategy<J>)| {
            v.prop_map(move |v| (n.to_owned(), v)).boxed()
        };
        let again = prop::strategy::Union::new(members.iter().cloned().map(named));
        let each: Vec<_> = members
            .into_iter()
            .map(|m| prop::option::weighted(0.92, named(m)))
            .collect();
        let object = (each, prop::collection::vec(again, 0..2))
            .prop_map(|(each, again)| J::Obj(each.into_iter().flatten().chain(again).collect()));
        prop_oneof![12 => object, 1 => json()].boxed()
    }

    /// A value where the rules read a scalar: mostly one, sometimes anything.
    fn val() -> BoxedStrategy<J> {
        prop_oneof![4 => leaf(), 1 => json()].boxed()
    }

    /// `likely` most of the time, else [`val`].
    fn mostly(likely: &[&'static str]) -> BoxedStrategy<J> {
        let likely: Vec<J> = likely
            .iter()
            .map(|v| {
                serde_json::from_str::<Value>(v)
                    .map_or_else(|_| J::Str((*v).to_owned()), |_| J::Num((*v).to_owned()))
            })
            .collect();
        prop_oneof![3 => prop::sample::select(likely), 1 => val()].boxed()
    }

    fn list(element: BoxedStrategy<J>) -> BoxedStrategy<J> {
        prop_oneof![4 => prop::collection::vec(element, 0..4).prop_map(J::Arr), 1 => json()].boxed()
    }

    fn when() -> BoxedStrategy<J> {
        mostly(&[
            "2026-01-05T08:12:44.120+0100",
            "2026-02-17T00:00:00.000-0800",
            "2026-01-06",
        ])
    }

    fn fields_json() -> BoxedStrategy<J> {
        let key_of = || shaped(vec![("key", val()), ("self", val())]);
        shaped(vec![
            ("project", key_of()),
            ("issuetype", shaped(vec![("name", val()), ("id", val())])),
            (
                "status",
                shaped(vec![
                    ("id", val()),
                    ("name", val()),
                    ("statusCategory", key_of()),
                    ("self", val()),
                ]),
            ),
            ("created", when()),
            ("resolutiondate", when()),
            ("updated", when()),
            ("customfield_1", val()),
            ("customfield_2", val()),
            ("description", json().boxed()),
            ("comment", json().boxed()),
        ])
    }

    fn changelog_json() -> BoxedStrategy<J> {
        let items = || {
            list(shaped(vec![
                ("field", mostly(&["status", "Status", "resolution"])),
                ("fieldId", mostly(&["status", "customfield_1"])),
                ("from", val()),
                ("fromString", val()),
                ("to", val()),
                ("toString", val()),
                ("fieldtype", val()),
            ]))
        };
        shaped(vec![
            ("id", mostly(&["30001", "30002"])),
            ("items", items()),
            (
                "histories",
                list(shaped(vec![
                    ("id", mostly(&["30001", "30002", "7"])),
                    ("created", when()),
                    ("items", items()),
                    ("author", json().boxed()),
                ])),
            ),
            ("total", mostly(&["0", "2", "40", "-1", "2.0"])),
        ])
    }

    fn issue_json_strategy() -> BoxedStrategy<J> {
        shaped(vec![
            ("id", mostly(&["101", "\"101\""])),
            ("key", mostly(&["A-101"])),
            (
                "self",
                mostly(&["https://Jira.Example.net:8443/rest/api/2/issue/101"]),
            ),
            ("fields", fields_json()),
            ("changelog", changelog_json()),
            ("expand", val()),
        ])
    }

    /// Bodies in (and around) Jira's shapes, with arbitrary JSON in any place.
    fn body() -> BoxedStrategy<J> {
        let kind = || {
            mostly(&[
                "jira:issue_created",
                "jira:issue_updated",
                "jira:issue_deleted",
                "comment_created",
            ])
        };
        prop_oneof![
            1 => json(),
            4 => shaped(vec![
                ("webhookEvent", kind()),
                ("issue", issue_json_strategy()),
                ("timestamp", mostly(&["1775030400000", "\"1775030400000\""])),
                ("changelog", changelog_json()),
                ("user", json().boxed()),
            ]),
            2 => shaped(vec![
                ("transition", shaped(vec![("from_status", val()), ("to_status", val())])),
                ("issue", issue_json_strategy()),
                ("timestamp", mostly(&["1775030400000"])),
                ("comment", val()),
            ]),
            2 => shaped(vec![
                ("id", mostly(&["101"])),
                ("key", mostly(&["A-101"])),
                ("self", mostly(&["https://jira.example.net/rest/api/2/issue/101"])),
                ("fields", fields_json()),
                ("changelog", changelog_json()),
                ("timestamp", mostly(&["1775030400000"])),
            ]),
        ]
        .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn jira_datetimes_read_fast_as_chrono_reads_them_any(
            s in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9][.,][0-9]{3}[-+Z ][0-2][0-9][0-6][0-9]",
            noise in "[-+.:T0-9Z ]{0,30}",
        ) {
            for s in [s.as_str(), noise.as_str()] {
                if let Some(fast) = jira_datetime_fast(s.as_bytes()) {
                    prop_assert_eq!(Ok(fast), parse_datetime(s), "{}", s);
                }
                prop_assert_eq!(jira_datetime(s), parse_datetime(s), "{}", s);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            agrees(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics_and_reads_as_by_value(body in json()) {
            agrees(body.text().as_bytes());
        }

        #[test]
        fn jira_like_bodies_read_as_by_value(body in body()) {
            agrees(body.text().as_bytes());
        }

        #[test]
        fn mutated_fixtures_read_as_by_value(
            pick in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"{}[]\",:0 -nul\\".to_vec()),
        ) {
            let fixtures = fixtures();
            if !fixtures.is_empty() {
                let mut body = fixtures[pick.index(fixtures.len())].1.clone();
                if !body.is_empty() {
                    let i = at.index(body.len());
                    body[i] = byte;
                }
                agrees(&body);
            }
        }
    }
}
