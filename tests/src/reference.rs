//! The independent reference computation: pipeline-efficiency figures computed from scratch, in
//! plain code over the raw Jira REST search responses (`expand=changelog`) and the TOML
//! configuration.
//!
//! This module deliberately shares no code with the workspace crates (`artflow-domain`,
//! `artflow-processor`, …): it exists so that the end-to-end tests can check that the
//! incremental implementation ends where a batch computation over the same issues ends
//! (DESIGN.md, "Incremental = batch"). It follows `../shared/DESIGN.md` ("Semantics") and
//! `docs/semantics.md`.
//!
//! Choices this module makes where neither document is explicit (all of them are edge cases that
//! real data and sane configurations do not reach):
//! - A status is *mapped* when it is one of the pipeline's `stages` (case-insensitively); a
//!   `done` status that is not also a stage is therefore dropped like any unmapped status.
//! - An issue whose `fields.created` cannot be read has a creation entry at an unknown time, as
//!   if its history were incomplete. A history whose `created` cannot be read is left out.
//! - A done issue that never reached the `start` stage (only possible when a done status sits
//!   before `start` in `stages`) is *not started*; an end before the start is *never active*.
//! - Lead and active times are reported (in [`outcomes`]) only for the outcomes `counted` and
//!   `below_threshold`; the field rule never has an active time.
//! - When one (site, id) appears more than once in the input, the first occurrence that has
//!   `fields` is used.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    art: Vec<ArtConfig>,
}

#[derive(Debug, Deserialize)]
struct ArtConfig {
    abbreviation: String,
    name: String,
    jira_program_key: String,
    #[serde(default)]
    jira_team_key: Option<String>,
    #[serde(default)]
    pipeline: Vec<PipelineConfig>,
}

#[derive(Debug, Deserialize)]
struct PipelineConfig {
    code: String,
    name: String,
    rule: String,
    #[serde(default)]
    issue_types: Option<Vec<String>>,
    #[serde(default)]
    min_lead_time_days: Option<f64>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    done: Vec<String>,
    #[serde(default)]
    active: Vec<String>,
    #[serde(default)]
    start_field: Option<String>,
    #[serde(default)]
    end_field: Option<String>,
}

fn parse_config(config_toml: &str) -> ConfigFile {
    let config: ConfigFile = toml::from_str(config_toml)
        .unwrap_or_else(|e| panic!("reference: the configuration is not valid: {e}"));
    for art in &config.art {
        for p in &art.pipeline {
            match p.rule.as_str() {
                "status" => assert!(
                    p.start.is_some(),
                    "reference: status pipeline {} has no `start`",
                    p.code
                ),
                "field" => assert!(
                    p.start_field.is_some() && p.end_field.is_some(),
                    "reference: field pipeline {} needs `start_field` and `end_field`",
                    p.code
                ),
                other => panic!("reference: pipeline {} has unknown rule {other:?}", p.code),
            }
        }
    }
    config
}

fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl ArtConfig {
    fn owns_project(&self, project_key: &str) -> bool {
        self.jira_program_key == project_key
            || self.jira_team_key.as_deref() == Some(project_key)
    }
}

impl PipelineConfig {
    fn covers_type(&self, issue_type: Option<&str>) -> bool {
        match &self.issue_types {
            None => true,
            Some(types) => issue_type.is_some_and(|t| types.iter().any(|x| same_name(x, t))),
        }
    }

    fn stage_index(&self, status: &str) -> Option<usize> {
        self.stages.iter().position(|s| same_name(s, status))
    }

    fn is_done(&self, status: &str) -> bool {
        self.done.iter().any(|d| same_name(d, status))
    }

    fn is_active_stage(&self, stage: usize) -> bool {
        self.active.iter().any(|a| same_name(a, &self.stages[stage]))
    }

    /// Whether a lead time of `lead_ms` falls at or below the threshold (not counted).
    fn below_threshold(&self, lead_ms: i64) -> bool {
        self.min_lead_time_days
            .is_some_and(|n| (lead_ms as f64) <= n * DAY_MS as f64)
    }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// Reads a Jira time as UTC milliseconds: `YYYY-MM-DD` (midnight UTC) or
/// `YYYY-MM-DDTHH:MM:SS[.fff…]` followed by `Z`, `±hhmm` or `±hh:mm`.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    let (local, offset_minutes) = split_offset(s)?;
    if !local.contains('T') {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.and_utc().timestamp_millis() - offset_minutes * 60_000)
}

/// Splits `…Z`, `…±hhmm` or `…±hh:mm` into the local part and the offset east of UTC in minutes.
fn split_offset(s: &str) -> Option<(&str, i64)> {
    if let Some(local) = s.strip_suffix('Z') {
        return Some((local, 0));
    }
    let bytes = s.as_bytes();
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let (sign_pos, hh, mm) = if bytes.len() >= 6
        && bytes[bytes.len() - 3] == b':'
        && digits(&bytes[bytes.len() - 5..bytes.len() - 3])
        && digits(&bytes[bytes.len() - 2..])
    {
        let p = bytes.len() - 6;
        (p, &s[p + 1..p + 3], &s[p + 4..])
    } else if bytes.len() >= 5 && digits(&bytes[bytes.len() - 4..]) {
        let p = bytes.len() - 5;
        (p, &s[p + 1..p + 3], &s[p + 3..])
    } else {
        return None;
    };
    let sign = match bytes[sign_pos] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hh: i64 = hh.parse().ok()?;
    let mm: i64 = mm.parse().ok()?;
    if hh > 23 || mm > 59 {
        return None;
    }
    Some((&s[..sign_pos], sign * (hh * 60 + mm)))
}

fn days(ms: i64) -> f64 {
    ms as f64 / DAY_MS as f64
}

// ---------------------------------------------------------------------------------------------
// Issues
// ---------------------------------------------------------------------------------------------

/// One issue of the input, with what the computation reads from it.
struct Issue<'a> {
    key: String,
    fields: &'a Map<String, Value>,
    raw: &'a Value,
}

impl Issue<'_> {
    fn project_key(&self) -> Option<&str> {
        self.fields.get("project")?.get("key")?.as_str()
    }

    fn issue_type(&self) -> Option<&str> {
        self.fields.get("issuetype")?.get("name")?.as_str()
    }

    fn current_status(&self) -> Option<&str> {
        self.fields.get("status")?.get("name")?.as_str()
    }
}

/// Scheme and host (with port, if any) of an issue's `self` URL.
fn site_of(self_url: &str) -> String {
    match self_url.find("://") {
        Some(p) => {
            let rest = &self_url[p + 3..];
            let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            format!("{}{}", &self_url[..p + 3], &rest[..host_end])
        }
        None => String::new(),
    }
}

fn id_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The distinct, not deleted issues with `fields`, in input order.
fn collect_issues<'a>(search_responses: &'a [Value], deleted: &[(String, String)]) -> Vec<Issue<'a>> {
    let deleted: HashSet<(&str, &str)> = deleted
        .iter()
        .map(|(site, id)| (site.as_str(), id.as_str()))
        .collect();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut issues = Vec::new();
    for response in search_responses {
        let Some(list) = response.get("issues").and_then(Value::as_array) else {
            continue;
        };
        for raw in list {
            let Some(fields) = raw.get("fields").and_then(Value::as_object) else {
                continue; // cannot be placed in a project
            };
            let site = site_of(raw.get("self").and_then(Value::as_str).unwrap_or(""));
            let Some(id) = id_string(raw.get("id")) else {
                continue;
            };
            if deleted.contains(&(site.as_str(), id.as_str())) {
                continue;
            }
            if !seen.insert((site, id)) {
                continue; // a duplicate of an issue already taken
            }
            let key = raw
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            issues.push(Issue { key, fields, raw });
        }
    }
    issues
}

// ---------------------------------------------------------------------------------------------
// Status timeline
// ---------------------------------------------------------------------------------------------

/// One timeline entry: a status entered at a time (`None`: unknown, before everything known).
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    time: Option<i64>,
    status: String,
}

/// Whether a changelog item is a status change.
fn is_status_item(item: &Value) -> bool {
    match item.get("fieldId").and_then(Value::as_str) {
        Some(field_id) => field_id == "status",
        None => item
            .get("field")
            .and_then(Value::as_str)
            .is_some_and(|f| f.eq_ignore_ascii_case("status")),
    }
}

fn numeric_id(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// The issue's timeline (unmapped statuses included) and whether its history is complete.
fn status_timeline(issue: &Issue<'_>) -> (Vec<Entry>, bool) {
    let changelog = issue.raw.get("changelog");
    let histories: &[Value] = changelog
        .and_then(|c| c.get("histories"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let total = changelog.and_then(|c| c.get("total")).and_then(Value::as_u64);
    let complete = total.is_none_or(|t| t <= histories.len() as u64);

    // (time, numeric id, from, to), histories in (time, id) order, items in their order.
    let mut ordered: Vec<(i64, i64, &Value)> = histories
        .iter()
        .filter_map(|h| {
            let time = parse_time(h.get("created")?.as_str()?)?;
            Some((time, numeric_id(h.get("id")), h))
        })
        .collect();
    ordered.sort_by_key(|&(time, id, _)| (time, id)); // stable: array order breaks ties
    let transitions: Vec<(i64, Option<&str>, Option<&str>)> = ordered
        .iter()
        .flat_map(|&(time, _, h)| {
            h.get("items")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter(|item| is_status_item(item))
                .map(move |item| {
                    (
                        time,
                        item.get("fromString").and_then(Value::as_str),
                        item.get("toString").and_then(Value::as_str),
                    )
                })
        })
        .collect();

    let first_status = match transitions.first() {
        Some(&(_, from, _)) => from.unwrap_or_default(),
        None => issue.current_status().unwrap_or_default(),
    };
    let first_time = if complete {
        issue
            .fields
            .get("created")
            .and_then(Value::as_str)
            .and_then(parse_time)
    } else {
        None
    };
    let mut entries = vec![Entry {
        time: first_time,
        status: first_status.to_owned(),
    }];
    entries.extend(transitions.iter().map(|&(time, _, to)| Entry {
        time: Some(time),
        status: to.unwrap_or_default().to_owned(),
    }));
    (entries, complete)
}

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Counted,
    NeverActive,
    UnknownStart,
    InProgress,
    NotStarted,
    Invalid,
    BelowThreshold,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Counted => "counted",
            Outcome::NeverActive => "never_active",
            Outcome::UnknownStart => "unknown_start",
            Outcome::InProgress => "in_progress",
            Outcome::NotStarted => "not_started",
            Outcome::Invalid => "invalid",
            Outcome::BelowThreshold => "below_threshold",
        }
    }
}

/// One issue's result under one pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fact {
    outcome: Outcome,
    lead_ms: Option<i64>,
    active_ms: Option<i64>,
}

impl Fact {
    fn bare(outcome: Outcome) -> Self {
        Fact {
            outcome,
            lead_ms: None,
            active_ms: None,
        }
    }

    fn timed(p: &PipelineConfig, lead_ms: i64, active_ms: Option<i64>) -> Self {
        let outcome = if p.below_threshold(lead_ms) {
            Outcome::BelowThreshold
        } else {
            Outcome::Counted
        };
        Fact {
            outcome,
            lead_ms: Some(lead_ms),
            active_ms,
        }
    }
}

/// A mapped timeline entry.
struct Mapped {
    time: Option<i64>,
    stage: usize,
    done: bool,
}

fn status_fact(p: &PipelineConfig, entries: &[Entry], complete: bool) -> Fact {
    let start_stage = p
        .start
        .as_deref()
        .and_then(|s| p.stage_index(s))
        .unwrap_or(usize::MAX);
    let mapped: Vec<Mapped> = entries
        .iter()
        .filter_map(|e| {
            Some(Mapped {
                time: e.time,
                stage: p.stage_index(&e.status)?,
                done: p.is_done(&e.status),
            })
        })
        .collect();
    let Some(current) = mapped.last() else {
        return Fact::bare(Outcome::NotStarted);
    };

    // None: never reached; Some(None): reached at an unknown time; Some(Some(t)): at t.
    let start: Option<Option<i64>> = mapped
        .iter()
        .position(|m| m.stage >= start_stage)
        .map(|pos| {
            if !complete && mapped[0].stage >= start_stage {
                None
            } else {
                mapped[pos].time
            }
        });

    if !current.done {
        return Fact::bare(if start.is_some() {
            Outcome::InProgress
        } else {
            Outcome::NotStarted
        });
    }

    let end_pos = (0..mapped.len())
        .rev()
        .find(|&i| mapped[i].done && (i == 0 || !mapped[i - 1].done))
        .expect("the current entry is done, so some entry enters done");
    let (start, end) = match (start, mapped[end_pos].time) {
        (None, _) => return Fact::bare(Outcome::NotStarted),
        (Some(None), _) | (_, None) => return Fact::bare(Outcome::UnknownStart),
        (Some(Some(start)), Some(end)) => (start, end),
    };
    if end <= start {
        return Fact::bare(Outcome::NeverActive);
    }

    // Time inside [start, end] spent in active stages; each mapped entry lasts until the next.
    let mut active = 0i64;
    for (i, m) in mapped.iter().enumerate() {
        if !p.is_active_stage(m.stage) {
            continue;
        }
        let from = m.time.unwrap_or(i64::MIN).max(start);
        let to = mapped
            .get(i + 1)
            .map_or(end, |next| next.time.unwrap_or(i64::MIN))
            .min(end);
        active += (to - from).max(0);
    }
    Fact::timed(p, end - start, Some(active))
}

/// The value of a date field: `created` and `resolutiondate` are the issue's own dates, any
/// other name a (custom) field of the snapshot. Anything but a readable string is unset.
fn field_time(issue: &Issue<'_>, name: &str) -> Option<i64> {
    issue.fields.get(name)?.as_str().and_then(parse_time)
}

fn field_fact(p: &PipelineConfig, issue: &Issue<'_>) -> Fact {
    let start = field_time(issue, p.start_field.as_deref().unwrap_or_default());
    let end = field_time(issue, p.end_field.as_deref().unwrap_or_default());
    match (start, end) {
        (Some(start), Some(end)) if end >= start => Fact::timed(p, end - start, None),
        (Some(_), Some(_)) => Fact::bare(Outcome::Invalid),
        (Some(_), None) => Fact::bare(Outcome::InProgress),
        (None, Some(_)) => Fact::bare(Outcome::UnknownStart),
        (None, None) => Fact::bare(Outcome::NotStarted),
    }
}

/// Every (ART index, pipeline index, issue key, fact) for the pipelines that cover each issue.
fn all_facts(
    config: &ConfigFile,
    issues: &[Issue<'_>],
) -> Vec<(usize, usize, String, Fact)> {
    let mut facts = Vec::new();
    for issue in issues {
        let Some(project) = issue.project_key() else {
            continue;
        };
        let mut timeline: Option<(Vec<Entry>, bool)> = None;
        for (a, art) in config.art.iter().enumerate() {
            if !art.owns_project(project) {
                continue;
            }
            for (pi, p) in art.pipeline.iter().enumerate() {
                if !p.covers_type(issue.issue_type()) {
                    continue;
                }
                let fact = if p.rule == "field" {
                    field_fact(p, issue)
                } else {
                    let (entries, complete) =
                        timeline.get_or_insert_with(|| status_timeline(issue));
                    status_fact(p, entries, *complete)
                };
                facts.push((a, pi, issue.key.clone(), fact));
            }
        }
    }
    facts
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Every (pipeline code, issue key) that a pipeline covers, with the issue's outcome
/// (`counted`, `never_active`, `unknown_start`, `in_progress`, `not_started`, `invalid`,
/// `below_threshold`), its lead time and its active time in milliseconds. Lead and active times
/// are given for `counted` and `below_threshold` only; the field rule has no active time.
///
/// `deleted` lists (site, issue id) pairs that no pipeline covers. Panics when `config_toml` is
/// not a valid configuration.
pub fn outcomes(
    config_toml: &str,
    search_responses: &[Value],
    deleted: &[(String, String)],
) -> BTreeMap<(String, String), (String, Option<i64>, Option<i64>)> {
    let config = parse_config(config_toml);
    let issues = collect_issues(search_responses, deleted);
    all_facts(&config, &issues)
        .into_iter()
        .map(|(a, p, key, fact)| {
            (
                (config.art[a].pipeline[p].code.clone(), key),
                (fact.outcome.as_str().to_owned(), fact.lead_ms, fact.active_ms),
            )
        })
        .collect()
}

/// Figures per ART and pipeline, computed from scratch from Jira REST search responses.
///
/// Returns `{"arts": [{"abbreviation", "name", "pipelines": [{"code", "name", "rule", "count",
/// "wip", "min_days", "min_issue", "max_days", "max_issue", "mean_days", "flow_efficiency",
/// "issues"}]}]}`, ARTs by abbreviation, pipelines by code, days unrounded, figures null when
/// nothing is counted, `issues` the counted keys in string order. `deleted` lists
/// (site, issue id) pairs that no pipeline covers. Panics when `config_toml` is not a valid
/// configuration.
pub fn compute(
    config_toml: &str,
    search_responses: &[Value],
    deleted: &[(String, String)],
) -> Value {
    let config = parse_config(config_toml);
    let issues = collect_issues(search_responses, deleted);
    let facts = all_facts(&config, &issues);

    let mut arts: Vec<&ArtConfig> = config.art.iter().collect();
    arts.sort_by(|x, y| x.abbreviation.cmp(&y.abbreviation));
    let arts_json: Vec<Value> = arts
        .iter()
        .map(|art| {
            let a = config
                .art
                .iter()
                .position(|x| std::ptr::eq(x, *art))
                .expect("the ART is in the configuration");
            let mut order: Vec<usize> = (0..art.pipeline.len()).collect();
            order.sort_by(|&x, &y| art.pipeline[x].code.cmp(&art.pipeline[y].code));
            let pipelines: Vec<Value> = order
                .into_iter()
                .map(|pi| {
                    let of_pipeline = facts
                        .iter()
                        .filter(|(fa, fp, _, _)| *fa == a && *fp == pi)
                        .map(|(_, _, key, fact)| (key.as_str(), *fact));
                    pipeline_figures(&art.pipeline[pi], of_pipeline)
                })
                .collect();
            json!({
                "abbreviation": art.abbreviation,
                "name": art.name,
                "pipelines": pipelines,
            })
        })
        .collect();
    json!({ "arts": arts_json })
}

fn pipeline_figures<'a>(
    p: &PipelineConfig,
    facts: impl Iterator<Item = (&'a str, Fact)>,
) -> Value {
    let mut counted: Vec<(&str, i64, Option<i64>)> = Vec::new();
    let mut wip = 0u64;
    for (key, fact) in facts {
        match fact.outcome {
            Outcome::Counted => counted.push((
                key,
                fact.lead_ms.expect("a counted fact has a lead time"),
                fact.active_ms,
            )),
            Outcome::InProgress => wip += 1,
            _ => {}
        }
    }
    let min = counted
        .iter()
        .min_by(|x, y| x.1.cmp(&y.1).then(x.0.cmp(y.0)));
    let max = counted
        .iter()
        .min_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let sum_lead: i64 = counted.iter().map(|c| c.1).sum();
    let mean = (!counted.is_empty())
        .then(|| sum_lead as f64 / counted.len() as f64 / DAY_MS as f64);
    let flow_efficiency = if p.rule == "status" && !p.active.is_empty() && !counted.is_empty() {
        let sum_active: i64 = counted.iter().map(|c| c.2.unwrap_or(0)).sum();
        Some(sum_active as f64 / sum_lead as f64)
    } else {
        None
    };
    let mut keys: Vec<&str> = counted.iter().map(|c| c.0).collect();
    keys.sort_unstable();
    json!({
        "code": p.code,
        "name": p.name,
        "rule": p.rule,
        "count": counted.len(),
        "wip": wip,
        "min_days": min.map(|m| days(m.1)),
        "min_issue": min.map(|m| m.0),
        "max_days": max.map(|m| days(m.1)),
        "max_issue": max.map(|m| m.0),
        "mean_days": mean,
        "flow_efficiency": flow_efficiency,
        "issues": keys,
    })
}
