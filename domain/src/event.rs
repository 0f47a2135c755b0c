//! `IssueEvent`: the small, versioned message that travels from ingest to the processor.
//!
//! It carries only what lead time needs (DESIGN.md, "IssueEvent"): descriptions, comments and
//! attachments are dropped, long text values are dropped, so a message stays far below the SQS
//! limit however large the Jira payload was.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Longest string value of a custom field that an event keeps (dates and datetimes fit).
pub const MAX_FIELD_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueEvent {
    /// Schema version of this message; see [`SCHEMA_VERSION`].
    pub schema: u32,
    /// Jira's `X-Atlassian-Webhook-Identifier`, a hash of the body, or `import:...`.
    pub delivery_id: String,
    pub kind: EventKind,
    /// Jira's time of the event (`timestamp`), UTC.
    pub at: DateTime<Utc>,
    pub issue: IssueSnapshot,
    /// The changelog entries this event reports, usually one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Updated,
    Deleted,
}

/// The issue as the event saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueSnapshot {
    /// Scheme and host of the issue's `self` URL, e.g. `https://acme.atlassian.net`.
    pub site: String,
    /// Jira's issue id: stable across moves, unlike the key.
    pub id: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_date: Option<DateTime<Utc>>,
    /// The resolution's name (`fields.resolution.name`), e.g. "Done" or "Won't Do".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Custom fields whose value is null, a number or a string of at most
    /// [`MAX_FIELD_CHARS`] characters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

/// One changelog history: its id, its time and its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Jira's history id; for a Data Center post-function, `pf:{ms}:{from}:{to}`.
    pub id: String,
    pub at: DateTime<Utc>,
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeItem {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_string: Option<String>,
}

impl ChangeItem {
    /// A status change: `fieldId == "status"`, or, where Server/DC sends no `fieldId`,
    /// `field == "status"`.
    pub fn is_status(&self) -> bool {
        match &self.field_id {
            Some(id) => id == "status",
            None => self.field.eq_ignore_ascii_case("status"),
        }
    }
}

impl Change {
    /// The numeric value of the history id, used to order histories of equal time (0 if none).
    pub fn seq(&self) -> i64 {
        history_seq(&self.id)
    }
}

/// The numeric value of a history id (0 when it is not a number).
pub fn history_seq(id: &str) -> i64 {
    id.parse().unwrap_or(0)
}

/// A status transition as the store keeps it: unique by (issue, history id, item position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub history_id: String,
    pub item_pos: i32,
    pub at: crate::time::Millis,
    /// Status names, and Jira's status ids where the changelog gives them.
    pub from: Option<String>,
    pub to: Option<String>,
    pub from_id: Option<String>,
    pub to_id: Option<String>,
}

impl IssueEvent {
    /// The status transitions this event reports, in changelog order.
    pub fn transitions(&self) -> Vec<Transition> {
        self.changes
            .iter()
            .flat_map(|c| {
                c.items
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.is_status())
                    .map(move |(pos, i)| Transition {
                        history_id: c.id.clone(),
                        item_pos: pos as i32,
                        at: c.at.timestamp_millis(),
                        from: i.from_string.clone(),
                        to: i.to_string.clone(),
                        from_id: i.from.clone(),
                        to_id: i.to.clone(),
                    })
            })
            .collect()
    }

    /// Checks what the processor relies on; a message from another version or a hand-made one
    /// gets a reason instead of being applied.
    pub fn validate(&self) -> Result<(), String> {
        if self.schema != SCHEMA_VERSION {
            return Err(format!(
                "event schema {} is not supported (this build reads {SCHEMA_VERSION})",
                self.schema
            ));
        }
        for (what, v, max) in [
            ("delivery_id", &self.delivery_id, 255),
            ("issue.site", &self.issue.site, 255),
            ("issue.id", &self.issue.id, 64),
            ("issue.key", &self.issue.key, 255),
        ] {
            if v.is_empty() {
                return Err(format!("event has an empty {what}"));
            }
            if v.chars().count() > max {
                return Err(format!("event {what} is longer than {max} characters"));
            }
        }
        Ok(())
    }
}
