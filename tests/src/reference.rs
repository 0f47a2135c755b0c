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
//! - *Reworked* needs a known time of the first entry into done: a completion whose first entry
//!   into done is the unknown-time first entry of an incomplete history is not reworked (its
//!   rework time cannot be measured). Its reopens and backward moves still count.
//! - A *backward move* is a move between consecutive mapped entries to an earlier stage, or a
//!   reopen (done to non-done) whatever the stages' order.
//! - The issue type in the flow distribution is `fields.issuetype.name` as Jira spells it.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
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
    exclude_resolutions: Vec<String>,
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
        self.jira_program_key == project_key || self.jira_team_key.as_deref() == Some(project_key)
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
        self.active
            .iter()
            .any(|a| same_name(a, &self.stages[stage]))
    }

    /// Whether a resolution is one of `exclude_resolutions` (an issue done with it is cancelled).
    fn excludes_resolution(&self, resolution: Option<&str>) -> bool {
        resolution.is_some_and(|r| self.exclude_resolutions.iter().any(|x| same_name(x, r)))
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

    fn resolution(&self) -> Option<&str> {
        self.fields.get("resolution")?.get("name")?.as_str()
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
fn collect_issues<'a>(
    search_responses: &'a [Value],
    deleted: &[(String, String)],
) -> Vec<Issue<'a>> {
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
    let total = changelog
        .and_then(|c| c.get("total"))
        .and_then(Value::as_u64);
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
    Cancelled,
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
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// One issue's result under one pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fact {
    outcome: Outcome,
    lead_ms: Option<i64>,
    active_ms: Option<i64>,
    /// The end, when the issue is done and its end is known.
    end_ms: Option<i64>,
    /// The time of the first entry into done, when known (the field rule: the end).
    first_end_ms: Option<i64>,
    /// Moves from a done status to a mapped non-done one (status rule).
    reopens: u64,
    /// Moves to an earlier mapped stage, reopens included (status rule).
    backward_moves: u64,
    /// The start of an issue in progress, when known (for the aging list).
    start_ms: Option<i64>,
}

impl Fact {
    fn bare(outcome: Outcome) -> Self {
        Fact {
            outcome,
            lead_ms: None,
            active_ms: None,
            end_ms: None,
            first_end_ms: None,
            reopens: 0,
            backward_moves: 0,
            start_ms: None,
        }
    }

    fn ended(self, end_ms: Option<i64>) -> Self {
        Fact { end_ms, ..self }
    }

    /// Whether the fact is a completion: counted, never active, unknown start or below the
    /// threshold, with a known end.
    fn is_completion(&self) -> bool {
        self.end_ms.is_some()
            && matches!(
                self.outcome,
                Outcome::Counted
                    | Outcome::NeverActive
                    | Outcome::UnknownStart
                    | Outcome::BelowThreshold
            )
    }

    /// A done issue (a completion, or end before start) with an excluded resolution is
    /// cancelled: no lead time, no completion. Its rework counters stay.
    fn cancelled_if(self, excluded: bool) -> Self {
        if excluded && (self.is_completion() || self.outcome == Outcome::Invalid) {
            Fact {
                outcome: Outcome::Cancelled,
                lead_ms: None,
                active_ms: None,
                ..self
            }
        } else {
            self
        }
    }

    fn timed(p: &PipelineConfig, lead_ms: i64, active_ms: Option<i64>) -> Self {
        let outcome = if p.below_threshold(lead_ms) {
            Outcome::BelowThreshold
        } else {
            Outcome::Counted
        };
        Fact {
            lead_ms: Some(lead_ms),
            active_ms,
            ..Fact::bare(outcome)
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
    // Rework reads the whole mapped timeline, whatever the outcome.
    let mut reopens = 0;
    let mut backward_moves = 0;
    for pair in mapped.windows(2) {
        let reopen = pair[0].done && !pair[1].done;
        if reopen {
            reopens += 1;
        }
        if reopen || pair[1].stage < pair[0].stage {
            backward_moves += 1;
        }
    }
    let first_end_ms = (0..mapped.len())
        .find(|&i| mapped[i].done && (i == 0 || !mapped[i - 1].done))
        .and_then(|i| mapped[i].time);
    Fact {
        first_end_ms,
        reopens,
        backward_moves,
        ..status_outcome(p, &mapped, complete)
    }
}

/// The outcome, lead, active time and end of a mapped status timeline.
fn status_outcome(p: &PipelineConfig, mapped: &[Mapped], complete: bool) -> Fact {
    let start_stage = p
        .start
        .as_deref()
        .and_then(|s| p.stage_index(s))
        .unwrap_or(usize::MAX);
    let Some(current) = mapped.last() else {
        return Fact::bare(Outcome::NotStarted);
    };

    // None: never reached; Some(None): reached at an unknown time; Some(Some(t)): at t.
    let start: Option<Option<i64>> =
        mapped
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
        return match start {
            Some(start_ms) => Fact {
                start_ms,
                ..Fact::bare(Outcome::InProgress)
            },
            None => Fact::bare(Outcome::NotStarted),
        };
    }

    let end_pos = (0..mapped.len())
        .rev()
        .find(|&i| mapped[i].done && (i == 0 || !mapped[i - 1].done))
        .expect("the current entry is done, so some entry enters done");
    let end_time = mapped[end_pos].time;
    let (start, end) = match (start, end_time) {
        (None, _) => return Fact::bare(Outcome::NotStarted),
        (Some(None), _) | (_, None) => return Fact::bare(Outcome::UnknownStart).ended(end_time),
        (Some(Some(start)), Some(end)) => (start, end),
    };
    if end <= start {
        return Fact::bare(Outcome::NeverActive).ended(Some(end));
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
    Fact::timed(p, end - start, Some(active)).ended(Some(end))
}

/// The value of a date field: `created` and `resolutiondate` are the issue's own dates, any
/// other name a (custom) field of the snapshot. Anything but a readable string is unset.
fn field_time(issue: &Issue<'_>, name: &str) -> Option<i64> {
    issue.fields.get(name)?.as_str().and_then(parse_time)
}

fn field_fact(p: &PipelineConfig, issue: &Issue<'_>) -> Fact {
    let start = field_time(issue, p.start_field.as_deref().unwrap_or_default());
    let end = field_time(issue, p.end_field.as_deref().unwrap_or_default());
    let fact = match (start, end) {
        (Some(start), Some(end)) if end >= start => Fact::timed(p, end - start, None),
        (Some(_), Some(_)) => Fact::bare(Outcome::Invalid),
        (Some(start), None) => Fact {
            start_ms: Some(start),
            ..Fact::bare(Outcome::InProgress)
        },
        (None, Some(_)) => Fact::bare(Outcome::UnknownStart),
        (None, None) => Fact::bare(Outcome::NotStarted),
    };
    // No rework under the field rule: the first completion is the final one.
    Fact {
        first_end_ms: end,
        ..fact.ended(end)
    }
}

/// One issue's fact under one pipeline, with where it belongs.
struct FactRow {
    art: usize,
    pipeline: usize,
    key: String,
    issue_type: Option<String>,
    fact: Fact,
}

/// Every fact of the pipelines that cover each issue.
fn all_facts(config: &ConfigFile, issues: &[Issue<'_>]) -> Vec<FactRow> {
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
                let fact = fact.cancelled_if(p.excludes_resolution(issue.resolution()));
                facts.push(FactRow {
                    art: a,
                    pipeline: pi,
                    key: issue.key.clone(),
                    issue_type: issue.issue_type().map(str::to_owned),
                    fact,
                });
            }
        }
    }
    facts
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// One issue's result under one pipeline, as [`outcomes`] reports it: the outcome's name, the
/// lead time and the active time in milliseconds.
pub type OutcomeRow = (String, Option<i64>, Option<i64>);

/// Every (pipeline code, issue key) that a pipeline covers, with the issue's outcome
/// (`counted`, `never_active`, `unknown_start`, `in_progress`, `not_started`, `invalid`,
/// `below_threshold`, `cancelled`), its lead time and its active time in milliseconds. Lead and active times
/// are given for `counted` and `below_threshold` only; the field rule has no active time.
///
/// `deleted` lists (site, issue id) pairs that no pipeline covers. Panics when `config_toml` is
/// not a valid configuration.
pub fn outcomes(
    config_toml: &str,
    search_responses: &[Value],
    deleted: &[(String, String)],
) -> BTreeMap<(String, String), OutcomeRow> {
    let config = parse_config(config_toml);
    let issues = collect_issues(search_responses, deleted);
    all_facts(&config, &issues)
        .into_iter()
        .map(
            |FactRow {
                 art,
                 pipeline,
                 key,
                 fact,
                 ..
             }| {
                (
                    (config.art[art].pipeline[pipeline].code.clone(), key),
                    (
                        fact.outcome.as_str().to_owned(),
                        fact.lead_ms,
                        fact.active_ms,
                    ),
                )
            },
        )
        .collect()
}

/// Figures per ART and pipeline, computed from scratch from Jira REST search responses.
///
/// Returns `{"arts": [{"abbreviation", "name", "pipelines": [{"code", "name", "rule", "count",
/// "wip", "min_days", "min_issue", "max_days", "max_issue", "mean_days", "flow_efficiency",
/// "issues", "p50_days", "p70_days", "p85_days", "p95_days", "stddev_days", "not_counted",
/// "throughput", "rework", "distribution"}]}]}`, ARTs by abbreviation, pipelines by code, days
/// unrounded, figures null when nothing is counted, `issues` the counted keys in string order.
///
/// The flow figures (docs/semantics.md, "Flow metrics beyond the old job"): the percentiles are
/// the *exact* nearest-rank ones (the implementation's sketch is within 0.5% of them);
/// `stddev_days` the population deviation; `not_counted` `{"not_started", "never_active",
/// "unknown_start", "invalid", "below_threshold", "cancelled"}`; `throughput` `{"total",
/// "weeks": [{"week": "2026-W07", "count"}]}` by the ISO week (UTC) of the completions' ends,
/// ascending, every week from the first completion's to the last one's, those without a
/// completion with `"count": 0`; `rework` `{"reopens", "backward_moves",
/// "reworked", "mean_rework_days"}`; `distribution` `{"by_type": {type: completions},
/// "cancelled"}`, types without completions left out. `deleted` lists
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

    let mut arts: Vec<usize> = (0..config.art.len()).collect();
    arts.sort_by(|&x, &y| config.art[x].abbreviation.cmp(&config.art[y].abbreviation));
    let arts_json: Vec<Value> = arts
        .into_iter()
        .map(|a| {
            let art = &config.art[a];
            let mut order: Vec<usize> = (0..art.pipeline.len()).collect();
            order.sort_by(|&x, &y| art.pipeline[x].code.cmp(&art.pipeline[y].code));
            let pipelines: Vec<Value> = order
                .into_iter()
                .map(|pi| {
                    let of_pipeline = facts
                        .iter()
                        .filter(|row| row.art == a && row.pipeline == pi);
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

/// The order of the reference's aging list: by key, then start (a key can recur across Jira
/// sites), then type.
pub fn aging_order(v: &Value) -> (String, Option<i64>, String) {
    (
        v["key"].as_str().unwrap_or_default().to_owned(),
        v["start_ms"].as_i64(),
        v["type"].to_string(),
    )
}

fn pipeline_figures<'a>(p: &PipelineConfig, facts: impl Iterator<Item = &'a FactRow>) -> Value {
    let mut counted: Vec<(&str, i64, Option<i64>)> = Vec::new();
    let mut wip = 0u64;
    let mut not_counted: BTreeMap<&str, u64> = [
        Outcome::NotStarted,
        Outcome::NeverActive,
        Outcome::UnknownStart,
        Outcome::Invalid,
        Outcome::BelowThreshold,
        Outcome::Cancelled,
    ]
    .iter()
    .map(|o| (o.as_str(), 0))
    .collect();
    let mut weeks: BTreeMap<String, u64> = BTreeMap::new();
    let mut ends: Vec<i64> = Vec::new();
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut reopens, mut backward_moves) = (0u64, 0u64);
    let mut rework_ms: Vec<i64> = Vec::new();
    let mut aging: Vec<Value> = Vec::new();
    for row in facts {
        let fact = &row.fact;
        reopens += fact.reopens;
        backward_moves += fact.backward_moves;
        match fact.outcome {
            Outcome::Counted => counted.push((
                &row.key,
                fact.lead_ms.expect("a counted fact has a lead time"),
                fact.active_ms,
            )),
            Outcome::InProgress => {
                wip += 1;
                aging.push(
                    json!({"key": row.key, "type": row.issue_type, "start_ms": fact.start_ms}),
                );
            }
            other => *not_counted.get_mut(other.as_str()).expect("listed") += 1,
        }
        if fact.is_completion() {
            let end = fact.end_ms.expect("a completion has an end");
            *weeks.entry(iso_week(end)).or_default() += 1;
            ends.push(end);
            *by_type
                .entry(row.issue_type.as_deref().unwrap_or("(none)"))
                .or_default() += 1;
            if let Some(first) = fact.first_end_ms
                && first < end
            {
                rework_ms.push(end - first);
            }
        }
    }
    aging.sort_by_key(aging_order);
    let min = counted
        .iter()
        .min_by(|x, y| x.1.cmp(&y.1).then(x.0.cmp(y.0)));
    let max = counted
        .iter()
        .min_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    let sum_lead: i64 = counted.iter().map(|c| c.1).sum();
    let mean =
        (!counted.is_empty()).then(|| sum_lead as f64 / counted.len() as f64 / DAY_MS as f64);
    let flow_efficiency = if p.rule == "status" && !p.active.is_empty() && !counted.is_empty() {
        let sum_active: i64 = counted.iter().map(|c| c.2.unwrap_or(0)).sum();
        Some(sum_active as f64 / sum_lead as f64)
    } else {
        None
    };
    let mut sorted_leads: Vec<i64> = counted.iter().map(|c| c.1).collect();
    sorted_leads.sort_unstable();
    let percentile = |pct: u64| nearest_rank(&sorted_leads, pct).map(days);
    let mut keys: Vec<&str> = counted.iter().map(|c| c.0).collect();
    keys.sort_unstable();
    let throughput_total: u64 = weeks.values().sum();
    let weeks: Vec<Value> = every_week(&ends)
        .into_iter()
        .map(|week| {
            let count = weeks.get(&week).copied().unwrap_or(0);
            json!({"week": week, "count": count})
        })
        .collect();
    let mean_rework_days = (!rework_ms.is_empty())
        .then(|| rework_ms.iter().sum::<i64>() as f64 / rework_ms.len() as f64 / DAY_MS as f64);
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
        "p50_days": percentile(50),
        "p70_days": percentile(70),
        "p85_days": percentile(85),
        "p95_days": percentile(95),
        "stddev_days": population_stddev_ms(&sorted_leads).map(|sd| sd / DAY_MS as f64),
        "not_counted": not_counted,
        "throughput": {"total": throughput_total, "weeks": weeks},
        // Every issue in progress with its start (epoch ms), by key: the order and the ages
        // depend on the clock, and are checked against the report's own as_of.
        "aging": aging,
        "rework": {
            "reopens": reopens,
            "backward_moves": backward_moves,
            "reworked": rework_ms.len(),
            "mean_rework_days": mean_rework_days,
        },
        "distribution": {"by_type": by_type, "cancelled": not_counted["cancelled"]},
    })
}

/// The value at rank ⌈pct·n/100⌉ (at least 1) of `sorted`, ascending; `None` when empty.
fn nearest_rank(sorted: &[i64], pct: u64) -> Option<i64> {
    let n = sorted.len() as u64;
    if n == 0 {
        return None;
    }
    let rank = (pct * n).div_ceil(100).clamp(1, n);
    Some(sorted[(rank - 1) as usize])
}

/// The population standard deviation of `values` (ms), in ms: √(Σ(n·xᵢ − Σx)²) / n^1.5, the sum
/// of squared deviations kept exact in 128-bit integers; `None` when empty.
fn population_stddev_ms(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as i128;
    let sum: i128 = values.iter().map(|&x| x as i128).sum();
    let squares: i128 = values
        .iter()
        .map(|&x| {
            let d = n * x as i128 - sum;
            d * d
        })
        .sum();
    Some((squares as f64).sqrt() / (n as f64).powf(1.5))
}

/// Every ISO week from that of the earliest instant to that of the latest, by walking the
/// calendar a week at a time from the Monday of the first (so a year's 52 or 53 weeks are
/// chrono's, not counted here).
fn every_week(instants_ms: &[i64]) -> Vec<String> {
    let day = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .expect("a time in chrono's range")
            .date_naive()
    };
    let (Some(&first), Some(&last)) = (instants_ms.iter().min(), instants_ms.iter().max()) else {
        return Vec::new();
    };
    let first = day(first);
    let last = day(last);
    let mut monday =
        first - chrono::Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut out = Vec::new();
    while monday <= last {
        let week = monday.iso_week();
        out.push(format!("{:04}-W{:02}", week.year(), week.week()));
        monday += chrono::Duration::days(7);
    }
    out
}

/// The ISO week (`2026-W07`) of a UTC instant given in ms.
fn iso_week(ms: i64) -> String {
    let week = DateTime::from_timestamp_millis(ms)
        .expect("a time in chrono's range")
        .iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://example.atlassian.net";

    const PAY_TOML: &str = r#"
[[art]]
abbreviation = "PAY"
name = "Payments"
jira_program_key = "PAY"
jira_team_key = "PAYT"

[[art.pipeline]]
code = "PAY-FIELDS"
name = "Analysis start to release (date fields)"
rule = "field"
issue_types = ["Feature", "Enabler"]
start_field = "customfield_10050"
end_field = "customfield_10051"

[[art.pipeline]]
code = "PAY-FLOW"
name = "Analyzing to Done (statuses)"
rule = "status"
issue_types = ["Feature", "Enabler"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]

[[art]]
abbreviation = "MOB"
name = "Mobile"
jira_program_key = "MOB"

[[art.pipeline]]
code = "MOB-FLOW"
name = "Analyzing to Done (statuses)"
rule = "status"
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]
"#;

    /// A status change: (history id, time, from, to).
    type Change<'a> = (&'a str, &'a str, &'a str, &'a str);

    /// A search-result issue with the given status changes (one history each).
    fn issue(
        key: &str,
        id: &str,
        issue_type: &str,
        created: &str,
        changes: &[Change<'_>],
    ) -> Value {
        let project = key.split('-').next().unwrap();
        let histories: Vec<Value> = changes
            .iter()
            .map(|&(hid, time, from, to)| {
                json!({
                    "id": hid,
                    "created": time,
                    "items": [{
                        "field": "status", "fieldtype": "jira", "fieldId": "status",
                        "from": "1", "fromString": from, "to": "2", "toString": to
                    }]
                })
            })
            .collect();
        let current = changes.last().map_or("Funnel", |c| c.3);
        json!({
            "id": id,
            "self": format!("{SITE}/rest/api/2/issue/{id}"),
            "key": key,
            "fields": {
                "project": {"key": project},
                "issuetype": {"name": issue_type},
                "status": {"name": current},
                "created": created,
            },
            "changelog": {"startAt": 0, "maxResults": histories.len(), "total": histories.len(), "histories": histories},
        })
    }

    fn with_field(mut issue: Value, name: &str, value: Value) -> Value {
        issue["fields"][name] = value;
        issue
    }

    fn with_total(mut issue: Value, total: usize) -> Value {
        issue["changelog"]["total"] = json!(total);
        issue
    }

    fn search(issues: Vec<Value>) -> Value {
        json!({"startAt": 0, "maxResults": issues.len(), "total": issues.len(), "issues": issues})
    }

    fn outcome_of(
        toml: &str,
        issues: Vec<Value>,
        code: &str,
        key: &str,
    ) -> (String, Option<i64>, Option<i64>) {
        outcomes(toml, &[search(issues)], &[])
            .remove(&(code.to_owned(), key.to_owned()))
            .unwrap_or_else(|| panic!("{code} does not cover {key}"))
    }

    fn pipeline<'a>(figures: &'a Value, code: &str) -> &'a Value {
        figures["arts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["pipelines"].as_array().unwrap())
            .find(|p| p["code"] == code)
            .unwrap_or_else(|| panic!("no pipeline {code}"))
    }

    fn pay101_changes() -> Vec<Change<'static>> {
        vec![
            (
                "30001",
                "2026-01-06T10:00:00.000+0100",
                "Funnel",
                "Analyzing",
            ),
            (
                "30003",
                "2026-01-20T15:30:00.000+0100",
                "Analyzing",
                "Implementing",
            ),
            (
                "30004",
                "2026-02-16T16:00:00.000-0800",
                "Implementing",
                "Done",
            ),
            ("30006", "2026-02-18T09:00:00.000Z", "Done", "Implementing"),
            (
                "30007",
                "2026-02-20T09:00:00.000+0000",
                "Implementing",
                "Done",
            ),
        ]
    }

    fn pay101() -> Value {
        let issue = issue(
            "PAY-101",
            "20101",
            "Feature",
            "2026-01-05T09:12:44.120+0100",
            &pay101_changes(),
        );
        let issue = with_field(issue, "customfield_10050", json!("2026-01-06"));
        with_field(
            issue,
            "customfield_10051",
            json!("2026-02-16T16:00:00.000-0800"),
        )
    }

    fn ms(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    // ---- time ------------------------------------------------------------------------------

    #[test]
    fn reads_jira_times() {
        let t = 1_709_316_930_000; // 2024-03-01T18:15:30Z
        assert_eq!(parse_time("2024-03-01T10:15:30.000-0800"), Some(t));
        assert_eq!(parse_time("2024-03-01T10:15:30-0800"), Some(t));
        assert_eq!(parse_time("2024-03-01T10:15:30.000-08:00"), Some(t));
        assert_eq!(parse_time("2024-03-01T23:45:30.000+05:30"), Some(t));
        assert_eq!(parse_time("2024-03-01T23:45:30.000+0530"), Some(t));
        assert_eq!(parse_time("2024-03-01T18:15:30Z"), Some(t));
        assert_eq!(parse_time("2024-03-01T18:15:30.000Z"), Some(t));
        assert_eq!(parse_time("2024-03-01T18:15:30.250Z"), Some(t + 250));
        assert_eq!(parse_time("2024-03-01T18:15:30.5+0000"), Some(t + 500));
        assert_eq!(parse_time("2024-03-01"), Some(1_709_251_200_000));
        assert_eq!(parse_time("1970-01-01"), Some(0));
        for bad in [
            "next tuesday",
            "",
            "2024-03-01T18:15:30",
            "2024-13-01",
            "2024-02-30",
            "2024-03-01T25:00:00Z",
            "2024-03-01 18:15:30Z",
            "18:15:30+0000",
            "2024-03-01T18:15:30+2500",
            "2024-03-01T18:15:30*0000",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn site_is_scheme_and_host() {
        assert_eq!(
            site_of("https://tickets.puppetlabs.com/rest/api/2/issue/143633"),
            "https://tickets.puppetlabs.com"
        );
        assert_eq!(
            site_of("http://jira.local:8080/rest/api/2/issue/1"),
            "http://jira.local:8080"
        );
        assert_eq!(site_of("https://x.example"), "https://x.example");
        assert_eq!(site_of("garbage"), "");
    }

    // ---- status rule -----------------------------------------------------------------------

    #[test]
    fn pay_101_status_rule_lead_and_active_time() {
        assert_eq!(
            ms("2026-01-05T09:12:44.120+0100"),
            ms("2026-01-05T08:12:44.120Z")
        );
        assert_eq!(
            ms("2026-02-16T16:00:00.000-0800"),
            ms("2026-02-17T00:00:00Z")
        );
        let got = outcome_of(PAY_TOML, vec![pay101()], "PAY-FLOW", "PAY-101");
        assert_eq!(
            got,
            (
                "counted".to_owned(),
                Some(3_888_000_000),
                Some(3_769_200_000)
            )
        );
        let figures = compute(PAY_TOML, &[search(vec![pay101()])], &[]);
        let flow = pipeline(&figures, "PAY-FLOW");
        assert_eq!(flow["count"], 1);
        assert_eq!(flow["wip"], 0);
        assert_eq!(flow["rule"], "status");
        assert_eq!(flow["min_days"], 45.0);
        assert_eq!(flow["max_days"], 45.0);
        assert_eq!(flow["mean_days"], 45.0);
        assert_eq!(flow["min_issue"], "PAY-101");
        assert_eq!(flow["max_issue"], "PAY-101");
        assert_eq!(flow["issues"], json!(["PAY-101"]));
        let fe = flow["flow_efficiency"].as_f64().unwrap();
        assert!((fe - 3_769_200.0 / 3_888_000.0).abs() < 1e-12, "{fe}");
    }

    #[test]
    fn pay_101_field_rule_is_42_days() {
        let got = outcome_of(PAY_TOML, vec![pay101()], "PAY-FIELDS", "PAY-101");
        assert_eq!(got, ("counted".to_owned(), Some(3_628_800_000), None));
        let figures = compute(PAY_TOML, &[search(vec![pay101()])], &[]);
        let fields = pipeline(&figures, "PAY-FIELDS");
        assert_eq!(fields["rule"], "field");
        assert_eq!(fields["count"], 1);
        assert_eq!(fields["mean_days"], 42.0);
        assert_eq!(fields["flow_efficiency"], Value::Null);
    }

    #[test]
    fn pay_101_partial_stories() {
        let changes = pay101_changes();
        // After cloud-01..06: done once, 41 d 15 h.
        let six = issue(
            "PAY-101",
            "20101",
            "Feature",
            "2026-01-05T08:12:44.120Z",
            &changes[..3],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![six], "PAY-FLOW", "PAY-101"),
            (
                "counted".to_owned(),
                Some(3_596_400_000),
                Some(3_596_400_000)
            )
        );
        // After cloud-07: reopened, work in progress.
        let seven = issue(
            "PAY-101",
            "20101",
            "Feature",
            "2026-01-05T08:12:44.120Z",
            &changes[..4],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![seven.clone()], "PAY-FLOW", "PAY-101").0,
            "in_progress"
        );
        let figures = compute(PAY_TOML, &[search(vec![seven])], &[]);
        let flow = pipeline(&figures, "PAY-FLOW");
        assert_eq!(flow["count"], 0);
        assert_eq!(flow["wip"], 1);
        for k in [
            "min_days",
            "max_days",
            "mean_days",
            "min_issue",
            "max_issue",
            "flow_efficiency",
        ] {
            assert_eq!(flow[k], Value::Null, "{k}");
        }
        assert_eq!(flow["issues"], json!([]));
    }

    #[test]
    fn histories_are_ordered_by_time_then_numeric_id() {
        // Newest first in the array, and two histories at the same time whose ids sort
        // differently as strings ("9" < "10" numerically).
        let t = "2026-01-10T00:00:00.000Z";
        let changes = [
            ("10", t, "Analyzing", "Done"),
            ("9", t, "Funnel", "Analyzing"),
            ("5", "2026-01-01T00:00:00.000Z", "Funnel", "Limbo"),
        ];
        let i = issue("MOB-1", "1", "Story", "2025-12-31T00:00:00.000Z", &changes);
        // Timeline: created in Funnel (the from of the earliest item) → Limbo (unmapped) →
        // Analyzing → Done, the last two at the same time: never active. In string order of
        // the ids ("10" < "9") it would end in Analyzing (in progress).
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-1").0,
            "never_active"
        );

        let changes = [
            ("21", "2026-01-03T00:00:00.000Z", "Analyzing", "Done"),
            ("20", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
        ];
        let i = issue("MOB-2", "2", "Story", "2026-01-01T00:00:00.000Z", &changes);
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-2"),
            ("counted".to_owned(), Some(DAY_MS), Some(DAY_MS))
        );
    }

    #[test]
    fn creation_status_is_the_from_of_the_earliest_status_item() {
        // Created directly in Analyzing: the start is the creation time.
        let i = issue(
            "MOB-3",
            "3",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[("1", "2026-01-05T00:00:00.000Z", "Analyzing", "Done")],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-3"),
            ("counted".to_owned(), Some(4 * DAY_MS), Some(4 * DAY_MS))
        );
        // Never changed status: the current status is the creation status.
        let mut i = issue("MOB-4", "4", "Story", "2026-01-01T00:00:00.000Z", &[]);
        i["fields"]["status"]["name"] = json!("implementing");
        assert_eq!(
            outcome_of(PAY_TOML, vec![i.clone()], "MOB-FLOW", "MOB-4").0,
            "in_progress"
        );
        i["fields"]["status"]["name"] = json!("DONE");
        assert_eq!(
            outcome_of(PAY_TOML, vec![i.clone()], "MOB-FLOW", "MOB-4").0,
            "never_active"
        );
        i["fields"]["status"]["name"] = json!("Funnel");
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-4").0,
            "not_started"
        );
    }

    #[test]
    fn straight_to_done_is_never_active() {
        let i = issue(
            "MOB-5",
            "5",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[("1", "2026-01-05T00:00:00.000Z", "Funnel", "Done")],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-5"),
            ("never_active".to_owned(), None, None)
        );
    }

    #[test]
    fn incomplete_history_started_past_start_is_unknown_start() {
        // Like MOB-7 of the fixtures: Releasing → Done, nothing earlier known.
        let i = with_total(
            issue(
                "MOB-7",
                "7",
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[("1", "2026-02-01T00:00:00.000Z", "Releasing", "Done")],
            ),
            5,
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i.clone()], "MOB-FLOW", "MOB-7").0,
            "unknown_start"
        );
        let figures = compute(PAY_TOML, &[search(vec![i])], &[]);
        let flow = pipeline(&figures, "MOB-FLOW");
        assert_eq!(
            (flow["count"].clone(), flow["wip"].clone()),
            (json!(0), json!(0))
        );

        // Same, but not done yet: in progress.
        let i = with_total(
            issue(
                "MOB-8",
                "8",
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[("1", "2026-02-01T00:00:00.000Z", "Implementing", "Releasing")],
            ),
            5,
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-8").0,
            "in_progress"
        );

        // The first *mapped* entry decides, even when its time is known: "Limbo" is unmapped.
        let i = with_total(
            issue(
                "MOB-9",
                "9",
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[
                    ("1", "2026-02-01T00:00:00.000Z", "Limbo", "Implementing"),
                    ("2", "2026-02-03T00:00:00.000Z", "Implementing", "Done"),
                ],
            ),
            5,
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-9").0,
            "unknown_start"
        );

        // Incomplete, but the earliest known stage is before the start: the start is known.
        let i = with_total(
            issue(
                "MOB-10",
                "10",
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[
                    ("1", "2026-02-01T00:00:00.000Z", "Funnel", "Analyzing"),
                    ("2", "2026-02-03T00:00:00.000Z", "Analyzing", "Backlog"),
                    ("3", "2026-02-04T00:00:00.000Z", "Backlog", "Done"),
                ],
            ),
            9,
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-10"),
            ("counted".to_owned(), Some(3 * DAY_MS), Some(2 * DAY_MS))
        );

        // Incomplete and already done at the unknown-time first entry, still done: the end is
        // unknown.
        let mut i = with_total(
            issue("MOB-11", "11", "Story", "2026-01-01T00:00:00.000Z", &[]),
            3,
        );
        i["fields"]["status"]["name"] = json!("Done");
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-11").0,
            "unknown_start"
        );
        // Complete and created in Done: never active.
        let mut i = issue("MOB-12", "12", "Story", "2026-01-01T00:00:00.000Z", &[]);
        i["fields"]["status"]["name"] = json!("Done");
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-12").0,
            "never_active"
        );
    }

    #[test]
    fn incomplete_history_active_time_counts_from_the_beginning_of_time() {
        // Incomplete history, first entry Funnel (unknown time, before start), then Analyzing:
        // the start is known. Active in Analyzing from day 1 to day 3, then Done.
        let i = with_total(
            issue(
                "MOB-13",
                "13",
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[
                    ("1", "2026-01-01T00:00:00.000Z", "Funnel", "Analyzing"),
                    ("2", "2026-01-03T00:00:00.000Z", "Analyzing", "Done"),
                ],
            ),
            3,
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-13"),
            ("counted".to_owned(), Some(2 * DAY_MS), Some(2 * DAY_MS))
        );
    }

    #[test]
    fn unmapped_statuses_are_dropped() {
        // Time in "Code Review" (unmapped) belongs to Implementing before it; leaving Done for
        // the unmapped "Archived" is no reopen.
        let i = issue(
            "MOB-20",
            "20",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[
                ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
                ("2", "2026-01-03T00:00:00.000Z", "Analyzing", "Validating"),
                (
                    "3",
                    "2026-01-04T00:00:00.000Z",
                    "Validating",
                    "Implementing",
                ),
                (
                    "4",
                    "2026-01-05T00:00:00.000Z",
                    "Implementing",
                    "Code Review",
                ),
                ("5", "2026-01-08T00:00:00.000Z", "Code Review", "Done"),
                ("6", "2026-01-09T00:00:00.000Z", "Done", "Archived"),
            ],
        );
        // Lead: Jan 2 → Jan 8 = 6 d; active: Analyzing 1 d + Implementing (with review) 4 d.
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-20"),
            ("counted".to_owned(), Some(6 * DAY_MS), Some(5 * DAY_MS))
        );
        // Unmapped from the beginning to the end: not started.
        let i = issue(
            "MOB-21",
            "21",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[("1", "2026-01-02T00:00:00.000Z", "Open", "Closed")],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-21").0,
            "not_started"
        );
    }

    #[test]
    fn reopen_to_before_start_is_in_progress() {
        let i = issue(
            "MOB-22",
            "22",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[
                ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
                ("2", "2026-01-03T00:00:00.000Z", "Analyzing", "Done"),
                ("3", "2026-01-04T00:00:00.000Z", "Done", "Funnel"),
            ],
        );
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-22").0,
            "in_progress"
        );
    }

    #[test]
    fn lead_runs_from_the_first_start_to_the_last_entry_into_done() {
        let i = issue(
            "MOB-23",
            "23",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[
                ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
                ("2", "2026-01-03T00:00:00.000Z", "Analyzing", "Funnel"),
                ("3", "2026-01-10T00:00:00.000Z", "Funnel", "Implementing"),
                ("4", "2026-01-12T00:00:00.000Z", "Implementing", "Done"),
                ("5", "2026-01-13T00:00:00.000Z", "Done", "Funnel"),
                ("6", "2026-01-14T00:00:00.000Z", "Funnel", "Done"),
            ],
        );
        // Jan 2 → Jan 14; active: Analyzing 1 d + Implementing 2 d.
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-23"),
            ("counted".to_owned(), Some(12 * DAY_MS), Some(3 * DAY_MS))
        );
    }

    #[test]
    fn status_items_are_recognised_by_field_id_or_field_name() {
        let mut i = issue(
            "MOB-24",
            "24",
            "Story",
            "2026-01-01T00:00:00.000Z",
            &[
                ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
                ("2", "2026-01-05T00:00:00.000Z", "Analyzing", "Done"),
                ("3", "2026-01-07T00:00:00.000Z", "Done", "Funnel"),
            ],
        );
        // Server shape: no fieldId, field "Status".
        let item = &mut i["changelog"]["histories"][0]["items"][0];
        item.as_object_mut().unwrap().remove("fieldId");
        item["field"] = json!("Status");
        // A custom field that happens to be called "status" is not the status.
        let item = &mut i["changelog"]["histories"][2]["items"][0];
        item["fieldId"] = json!("customfield_10999");
        // A status item after other items in the same history.
        let hist = &mut i["changelog"]["histories"][1]["items"];
        let status = hist[0].clone();
        *hist = json!([
            {"field": "resolution", "fieldId": "resolution", "fromString": null, "toString": "Done"},
            status
        ]);
        assert_eq!(
            outcome_of(PAY_TOML, vec![i], "MOB-FLOW", "MOB-24"),
            ("counted".to_owned(), Some(3 * DAY_MS), Some(3 * DAY_MS))
        );
    }

    #[test]
    fn threshold_counts_only_lead_times_strictly_above() {
        let toml = r#"
[[art]]
abbreviation = "MOB"
name = "Mobile"
jira_program_key = "MOB"

[[art.pipeline]]
code = "MOB-5D"
name = "over five days"
rule = "status"
min_lead_time_days = 5
stages = ["Funnel", "Analyzing", "Done"]
start = "Analyzing"
done = ["Done"]
active = []

[[art.pipeline]]
code = "MOB-F5"
name = "fields over five days"
rule = "field"
min_lead_time_days = 5
start_field = "created"
end_field = "resolutiondate"
"#;
        let flow = |key: &str, id: &str, end: &str| {
            let i = issue(
                key,
                id,
                "Story",
                "2026-01-01T00:00:00.000Z",
                &[
                    ("1", "2026-01-01T00:00:00.000Z", "Funnel", "Analyzing"),
                    ("2", end, "Analyzing", "Done"),
                ],
            );
            with_field(i, "resolutiondate", json!(end))
        };
        let issues = vec![
            flow("MOB-1", "1", "2026-01-06T00:00:00.000Z"),
            flow("MOB-2", "2", "2026-01-06T00:00:00.001Z"),
            flow("MOB-3", "3", "2026-01-02T00:00:00.000Z"),
        ];
        let out = outcomes(toml, &[search(issues.clone())], &[]);
        let get = |code: &str, key: &str| out[&(code.to_owned(), key.to_owned())].clone();
        assert_eq!(
            get("MOB-5D", "MOB-1"),
            ("below_threshold".to_owned(), Some(5 * DAY_MS), Some(0))
        );
        assert_eq!(
            get("MOB-5D", "MOB-2"),
            ("counted".to_owned(), Some(5 * DAY_MS + 1), Some(0))
        );
        assert_eq!(get("MOB-5D", "MOB-3").0, "below_threshold");
        assert_eq!(
            get("MOB-F5", "MOB-1"),
            ("below_threshold".to_owned(), Some(5 * DAY_MS), None)
        );
        assert_eq!(
            get("MOB-F5", "MOB-2"),
            ("counted".to_owned(), Some(5 * DAY_MS + 1), None)
        );
        let figures = compute(toml, &[search(issues)], &[]);
        let p = pipeline(&figures, "MOB-5D");
        assert_eq!(p["count"], 1);
        assert_eq!(p["wip"], 0);
        assert_eq!(p["issues"], json!(["MOB-2"]));
        // No active stages: no flow efficiency.
        assert_eq!(p["flow_efficiency"], Value::Null);
        // Zero days, with a threshold of zero: not counted.
        let zero = toml.replace("min_lead_time_days = 5", "min_lead_time_days = 0");
        let i = with_field(
            issue("MOB-4", "4", "Story", "2026-01-01T00:00:00.000Z", &[]),
            "resolutiondate",
            json!("2026-01-01T00:00:00.000Z"),
        );
        assert_eq!(
            outcome_of(&zero, vec![i], "MOB-F5", "MOB-4").0,
            "below_threshold"
        );
    }

    // ---- field rule ------------------------------------------------------------------------

    #[test]
    fn field_rule_outcomes() {
        let f = |key: &str, id: &str, start: Value, end: Value| {
            let i = issue(key, id, "enabler", "2026-01-01T00:00:00.000Z", &[]);
            with_field(
                with_field(i, "customfield_10050", start),
                "customfield_10051",
                end,
            )
        };
        let issues = vec![
            f("PAY-1", "1", json!("2026-01-06"), json!("2026-01-06")),
            f(
                "PAY-2",
                "2",
                json!("2026-01-06"),
                json!("2026-01-05T23:59:59.999Z"),
            ),
            f("PAY-3", "3", json!("2026-01-06"), Value::Null),
            f("PAY-4", "4", Value::Null, json!("2026-01-06")),
            f("PAY-5", "5", Value::Null, Value::Null),
            f("PAY-6", "6", json!("next tuesday"), json!("2026-01-06")),
            f("PAY-7", "7", json!("2026-01-06"), json!(20_260_107)),
            f(
                "PAY-8",
                "8",
                json!("2026-01-06T00:00:00.000+05:30"),
                json!("2026-01-07"),
            ),
        ];
        let out = outcomes(PAY_TOML, &[search(issues.clone())], &[]);
        let get = |key: &str| out[&("PAY-FIELDS".to_owned(), key.to_owned())].clone();
        assert_eq!(get("PAY-1"), ("counted".to_owned(), Some(0), None));
        assert_eq!(get("PAY-2").0, "invalid");
        assert_eq!(get("PAY-3").0, "in_progress");
        assert_eq!(get("PAY-4").0, "unknown_start");
        assert_eq!(get("PAY-5").0, "not_started");
        assert_eq!(get("PAY-6").0, "unknown_start");
        assert_eq!(get("PAY-7").0, "in_progress");
        assert_eq!(
            get("PAY-8"),
            ("counted".to_owned(), Some(DAY_MS + 330 * 60_000), None)
        );
        let figures = compute(PAY_TOML, &[search(issues)], &[]);
        let p = pipeline(&figures, "PAY-FIELDS");
        assert_eq!(p["count"], 2);
        assert_eq!(p["wip"], 2);
        assert_eq!(p["min_days"], 0.0);
        assert_eq!(p["min_issue"], "PAY-1");
        assert_eq!(p["max_issue"], "PAY-8");
        assert_eq!(p["max_days"], days(DAY_MS + 330 * 60_000));
        assert_eq!(p["mean_days"], days(DAY_MS + 330 * 60_000) / 2.0);
        assert_eq!(p["flow_efficiency"], Value::Null);
    }

    // ---- which issues ----------------------------------------------------------------------

    #[test]
    fn coverage_types_teams_deletes_duplicates_and_missing_fields() {
        let done = [
            ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
            ("2", "2026-01-04T00:00:00.000Z", "Analyzing", "Done"),
        ];
        let created = "2026-01-01T00:00:00.000Z";
        let mut no_fields = issue("PAY-9", "9", "Feature", created, &done);
        no_fields.as_object_mut().unwrap().remove("fields");
        let mut other_site = issue("PAY-5", "1", "Feature", created, &done);
        other_site["self"] = json!("https://other.atlassian.net/rest/api/2/issue/1");
        let responses = vec![
            search(vec![
                issue("PAY-1", "1", "Feature", created, &done),
                issue("PAYT-2", "2", "ENABLER", created, &done), // team project, type case
                issue("PAY-3", "3", "Story", created, &done),    // type not covered
                issue("OPS-4", "4", "Feature", created, &done),  // project of no ART
                other_site,                                      // same id, other site
                no_fields,
                issue("PAY-6", "6", "Feature", created, &done), // deleted
            ]),
            // The same issue again: counted once.
            search(vec![issue("PAY-1", "1", "Feature", created, &done)]),
        ];
        let deleted = vec![(SITE.to_owned(), "6".to_owned())];
        let out = outcomes(PAY_TOML, &responses, &deleted);
        let flow: Vec<&str> = out
            .keys()
            .filter(|(code, _)| code == "PAY-FLOW")
            .map(|(_, key)| key.as_str())
            .collect();
        assert_eq!(flow, ["PAY-1", "PAY-5", "PAYT-2"]);
        assert!(out.keys().all(|(code, _)| code != "MOB-FLOW"));

        let figures = compute(PAY_TOML, &responses, &deleted);
        let p = pipeline(&figures, "PAY-FLOW");
        assert_eq!(p["count"], 3);
        assert_eq!(p["issues"], json!(["PAY-1", "PAY-5", "PAYT-2"]));
        // All three tie at 2 days: the smaller key as a string, for min and max.
        assert_eq!(p["min_issue"], "PAY-1");
        assert_eq!(p["max_issue"], "PAY-1");
        assert_eq!(p["mean_days"], 2.0);
        // ARTs by abbreviation, pipelines by code.
        let arts: Vec<&str> = figures["arts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["abbreviation"].as_str().unwrap())
            .collect();
        assert_eq!(arts, ["MOB", "PAY"]);
        let codes: Vec<&str> = figures["arts"][1]["pipelines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["PAY-FIELDS", "PAY-FLOW"]);
        let mob = pipeline(&figures, "MOB-FLOW");
        assert_eq!(mob["count"], 0);
        assert_eq!(mob["issues"], json!([]));
        assert_eq!(mob["min_days"], Value::Null);
    }

    #[test]
    fn min_max_mean_and_flow_efficiency_over_several_issues() {
        let created = "2026-01-01T00:00:00.000Z";
        let mk = |key: &str, id: &str, done_day: &str| {
            issue(
                key,
                id,
                "Story",
                created,
                &[
                    ("1", "2026-01-01T00:00:00.000Z", "Funnel", "Analyzing"),
                    ("2", "2026-01-02T00:00:00.000Z", "Analyzing", "Backlog"),
                    ("3", done_day, "Backlog", "Done"),
                ],
            )
        };
        let issues = vec![
            mk("MOB-10", "10", "2026-01-05T00:00:00.000Z"), // 4 d, active 1 d
            mk("MOB-9", "9", "2026-01-05T00:00:00.000Z"),   // 4 d, active 1 d
            mk("MOB-2", "2", "2026-01-03T00:00:00.000Z"),   // 2 d, active 1 d
            mk("MOB-3", "3", "2026-01-03T00:00:00.000Z"),   // 2 d, active 1 d
        ];
        let figures = compute(PAY_TOML, &[search(issues)], &[]);
        let p = pipeline(&figures, "MOB-FLOW");
        assert_eq!(p["count"], 4);
        assert_eq!(p["min_days"], 2.0);
        assert_eq!(p["min_issue"], "MOB-2");
        assert_eq!(p["max_days"], 4.0);
        assert_eq!(p["max_issue"], "MOB-10"); // "MOB-10" < "MOB-9" as strings
        assert_eq!(p["mean_days"], 3.0);
        assert_eq!(p["flow_efficiency"], 4.0 / 12.0);
        assert_eq!(p["issues"], json!(["MOB-10", "MOB-2", "MOB-3", "MOB-9"]));
    }

    #[test]
    #[should_panic(expected = "unknown rule")]
    fn unknown_rule_is_refused() {
        let toml = PAY_TOML.replace("rule = \"field\"", "rule = \"magic\"");
        compute(&toml, &[], &[]);
    }

    // ---- flow metrics ----------------------------------------------------------------------

    #[test]
    fn iso_weeks_at_year_boundaries_in_utc() {
        // 2026 starts on a Thursday, so it has 53 ISO weeks; 2025 (from a Wednesday) has 52.
        assert_eq!(iso_week(ms("2026-01-01T00:00:00Z")), "2026-W01");
        assert_eq!(iso_week(ms("2025-12-29T00:00:00Z")), "2026-W01");
        assert_eq!(iso_week(ms("2025-12-28T23:59:59.999Z")), "2025-W52");
        assert_eq!(iso_week(ms("2024-12-30T00:00:00Z")), "2025-W01");
        assert_eq!(iso_week(ms("2026-12-31T12:00:00Z")), "2026-W53");
        assert_eq!(iso_week(ms("2027-01-03T23:59:59.999Z")), "2026-W53");
        assert_eq!(iso_week(ms("2027-01-04T00:00:00Z")), "2027-W01");
        // Sunday evening west of UTC is Monday in UTC.
        assert_eq!(iso_week(ms("2026-01-04T23:30:00.000-0100")), "2026-W02");
        assert_eq!(iso_week(ms("2026-02-20T09:00:00Z")), "2026-W08");
    }

    #[test]
    fn every_week_from_the_first_to_the_last_zeros_included() {
        assert!(every_week(&[]).is_empty());
        assert_eq!(every_week(&[ms("2026-02-20T09:00:00Z")]), ["2026-W08"]);
        // Across a 53-week year: 2026-W53 then 2027-W01; the instants' order does not matter.
        assert_eq!(
            every_week(&[ms("2027-01-12T00:00:00Z"), ms("2026-12-20T23:59:59Z")]),
            ["2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02"]
        );
        // Across a 52-week year.
        assert_eq!(
            every_week(&[ms("2025-12-21T12:00:00Z"), ms("2026-01-01T00:00:00Z")]),
            ["2025-W51", "2025-W52", "2026-W01"]
        );
        // A Sunday and the next Monday are two weeks.
        assert_eq!(
            every_week(&[ms("2015-11-22T23:00:00Z"), ms("2015-11-23T00:00:00Z")]),
            ["2015-W47", "2015-W48"]
        );
    }

    #[test]
    fn throughput_by_iso_week_of_the_end_over_every_completion() {
        let created = "2026-12-20T00:00:00.000Z";
        let done_at = |key: &str, id: &str, from: &str, at: &str| {
            issue(
                key,
                id,
                "Story",
                created,
                &[
                    ("1", "2026-12-21T00:00:00.000Z", "Funnel", from),
                    ("2", at, from, "Done"),
                ],
            )
        };
        let mut untyped = done_at("MOB-3", "3", "Analyzing", "2027-01-04T00:00:00.000Z");
        untyped["fields"]
            .as_object_mut()
            .unwrap()
            .remove("issuetype");
        let issues = vec![
            // counted, Thursday of 2026-W53
            done_at("MOB-1", "1", "Analyzing", "2026-12-31T10:00:00.000Z"),
            // counted, Sunday of 2026-W53 in UTC (Monday in +0100)
            done_at("MOB-2", "2", "Implementing", "2027-01-04T00:30:00.000+0100"),
            // counted, no type, 2027-W01
            untyped,
            // never active (straight from Funnel), 2027-W01
            issue(
                "MOB-4",
                "4",
                "Bug",
                created,
                &[("1", "2027-01-05T00:00:00.000Z", "Funnel", "Done")],
            ),
            // unknown start with a known end, 2027-W01
            with_total(
                issue(
                    "MOB-5",
                    "5",
                    "Bug",
                    created,
                    &[("1", "2027-01-06T00:00:00.000Z", "Releasing", "Done")],
                ),
                4,
            ),
            // unknown start with an unknown end: no completion
            {
                let mut i = with_total(issue("MOB-6", "6", "Bug", created, &[]), 2);
                i["fields"]["status"]["name"] = json!("Done");
                i
            },
            // in progress: no completion
            issue(
                "MOB-7",
                "7",
                "Story",
                created,
                &[("1", "2026-12-22T00:00:00.000Z", "Funnel", "Analyzing")],
            ),
        ];
        let out = outcomes(PAY_TOML, &[search(issues.clone())], &[]);
        let get = |key: &str| out[&("MOB-FLOW".to_owned(), key.to_owned())].0.clone();
        assert_eq!(
            [
                "MOB-1", "MOB-2", "MOB-3", "MOB-4", "MOB-5", "MOB-6", "MOB-7"
            ]
            .map(get),
            [
                "counted",
                "counted",
                "counted",
                "never_active",
                "unknown_start",
                "unknown_start",
                "in_progress"
            ]
        );
        let figures = compute(PAY_TOML, &[search(issues)], &[]);
        let p = pipeline(&figures, "MOB-FLOW");
        assert_eq!(
            p["throughput"],
            json!({"total": 5, "weeks": [
                {"week": "2026-W53", "count": 2},
                {"week": "2027-W01", "count": 3},
            ]})
        );
        assert_eq!(
            p["distribution"],
            json!({"by_type": {"(none)": 1, "Bug": 2, "Story": 2}, "cancelled": 0})
        );
        assert_eq!(
            p["not_counted"],
            json!({"not_started": 0, "never_active": 1, "unknown_start": 2, "invalid": 0,
                   "below_threshold": 0, "cancelled": 0})
        );
        assert_eq!(p["wip"], 1);
        assert_eq!(
            p["rework"],
            json!({"reopens": 0, "backward_moves": 0, "reworked": 0, "mean_rework_days": null})
        );
    }

    #[test]
    fn rework_of_a_reopened_issue() {
        // PAY-101: done on Feb 17 (00:00 UTC), reopened on Feb 18, done again on Feb 20 09:00.
        let reopened_wip = issue(
            "PAY-102",
            "20102",
            "Enabler",
            "2026-01-05T08:00:00.000Z",
            &pay101_changes()[..4],
        );
        // Backward without a reopen: Implementing → Analyzing, then done once.
        let back = issue(
            "PAY-103",
            "20103",
            "Feature",
            "2026-01-05T08:00:00.000Z",
            &[
                ("1", "2026-01-06T00:00:00.000Z", "Funnel", "Implementing"),
                ("2", "2026-01-07T00:00:00.000Z", "Implementing", "Analyzing"),
                ("3", "2026-01-08T00:00:00.000Z", "Analyzing", "Limbo"),
                ("4", "2026-01-09T00:00:00.000Z", "Limbo", "Done"),
                // Leaving Done for an unmapped status and coming back: no reopen, no rework.
                ("5", "2026-01-10T00:00:00.000Z", "Done", "Archived"),
                ("6", "2026-01-11T00:00:00.000Z", "Archived", "Done"),
            ],
        );
        let issues = vec![pay101(), reopened_wip, back];
        let figures = compute(PAY_TOML, &[search(issues)], &[]);
        let flow = pipeline(&figures, "PAY-FLOW");
        // Reopens and backward moves over every covered issue, the one in progress included;
        // reworked: PAY-101 only, Feb 17 00:00 → Feb 20 09:00 = 3.375 days.
        assert_eq!(
            flow["rework"],
            json!({"reopens": 2, "backward_moves": 3, "reworked": 1, "mean_rework_days": 3.375})
        );
        assert_eq!(flow["wip"], 1);
        assert_eq!(
            flow["throughput"],
            json!({"total": 2, "weeks": [
                {"week": "2026-W02", "count": 1},
                {"week": "2026-W03", "count": 0},
                {"week": "2026-W04", "count": 0},
                {"week": "2026-W05", "count": 0},
                {"week": "2026-W06", "count": 0},
                {"week": "2026-W07", "count": 0},
                {"week": "2026-W08", "count": 1},
            ]})
        );
        assert_eq!(
            flow["distribution"],
            json!({"by_type": {"Feature": 2}, "cancelled": 0})
        );
        // The field rule has no rework; its end is the end field (Feb 17 00:00 UTC, W08).
        let fields = pipeline(&figures, "PAY-FIELDS");
        assert_eq!(
            fields["rework"],
            json!({"reopens": 0, "backward_moves": 0, "reworked": 0, "mean_rework_days": null})
        );
        assert_eq!(
            fields["throughput"],
            json!({"total": 1, "weeks": [{"week": "2026-W08", "count": 1}]})
        );
    }

    #[test]
    fn exact_nearest_rank_percentiles_and_population_stddev() {
        // Field rule, lead times of 1..=10 days, given in a shuffled order.
        let issues: Vec<Value> = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]
            .iter()
            .map(|&d: &i64| {
                let key = format!("PAY-{d}");
                let id = d.to_string();
                let i = issue(&key, &id, "Feature", "2026-01-01T00:00:00.000Z", &[]);
                let end = format!("2026-02-{:02}", 1 + d);
                with_field(
                    with_field(i, "customfield_10050", json!("2026-02-01")),
                    "customfield_10051",
                    json!(end),
                )
            })
            .collect();
        let figures = compute(PAY_TOML, &[search(issues)], &[]);
        let p = pipeline(&figures, "PAY-FIELDS");
        assert_eq!(p["count"], 10);
        // Ranks ⌈5⌉, ⌈7⌉, ⌈8.5⌉, ⌈9.5⌉.
        assert_eq!(
            [
                &p["p50_days"],
                &p["p70_days"],
                &p["p85_days"],
                &p["p95_days"]
            ],
            [&json!(5.0), &json!(7.0), &json!(9.0), &json!(10.0)]
        );
        // Population deviation of 1..=10: √((n² − 1)/12).
        let sd = p["stddev_days"].as_f64().unwrap();
        assert!((sd - (99.0f64 / 12.0).sqrt()).abs() < 1e-12, "{sd}");

        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[4], 50), Some(4));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3], 95), Some(3));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(population_stddev_ms(&[]), None);
        assert_eq!(population_stddev_ms(&[5, 5, 5]), Some(0.0));
        assert_eq!(population_stddev_ms(&[0, 2]), Some(1.0));
        // Year-long lead times do not overflow.
        let year = 365 * DAY_MS;
        let sd = population_stddev_ms(&[year, 3 * year, 5 * year, 7 * year]).unwrap();
        assert!((sd / year as f64 - 5.0f64.sqrt()).abs() < 1e-12, "{sd}");

        // Nothing counted: null.
        let figures = compute(PAY_TOML, &[], &[]);
        let p = pipeline(&figures, "PAY-FIELDS");
        for k in [
            "p50_days",
            "p70_days",
            "p85_days",
            "p95_days",
            "stddev_days",
        ] {
            assert_eq!(p[k], Value::Null, "{k}");
        }
    }

    #[test]
    fn excluded_resolutions_are_cancelled() {
        let toml = PAY_TOML.replace(
            "code = \"PAY-FLOW\"",
            "code = \"PAY-FLOW\"\nexclude_resolutions = [\"Won't Do\", \"Duplicate\"]",
        );
        let toml = toml.replace(
            "code = \"PAY-FIELDS\"",
            "code = \"PAY-FIELDS\"\nexclude_resolutions = [\"won't do\"]",
        );
        let resolved = |i: Value, name: &str| with_field(i, "resolution", json!({"name": name}));
        let done = [
            ("1", "2026-01-02T00:00:00.000Z", "Funnel", "Analyzing"),
            ("2", "2026-01-04T00:00:00.000Z", "Analyzing", "Done"),
            ("3", "2026-01-05T00:00:00.000Z", "Done", "Analyzing"),
            ("4", "2026-01-06T00:00:00.000Z", "Analyzing", "Done"),
        ];
        let created = "2026-01-01T00:00:00.000Z";
        let issues = vec![
            // Done, reopened, done again, won't do: cancelled, its reopen still counts.
            resolved(issue("PAY-1", "1", "Feature", created, &done), "WON'T DO"),
            // Done as a duplicate.
            resolved(
                issue("PAY-2", "2", "Feature", created, &done[..2]),
                "Duplicate",
            ),
            // Done, fixed: counted.
            resolved(issue("PAY-3", "3", "Feature", created, &done[..2]), "Fixed"),
            // In progress with a stale resolution: stays in progress.
            resolved(
                issue("PAY-4", "4", "Feature", created, &done[..3]),
                "Won't Do",
            ),
            // Field rule, end before start: invalid, then cancelled.
            resolved(
                with_field(
                    with_field(
                        issue("PAY-5", "5", "Enabler", created, &[]),
                        "customfield_10050",
                        json!("2026-01-06"),
                    ),
                    "customfield_10051",
                    json!("2026-01-05"),
                ),
                "Won't do",
            ),
        ];
        let out = outcomes(&toml, &[search(issues.clone())], &[]);
        let get = |code: &str, key: &str| out[&(code.to_owned(), key.to_owned())].clone();
        assert_eq!(
            get("PAY-FLOW", "PAY-1"),
            ("cancelled".to_owned(), None, None)
        );
        assert_eq!(get("PAY-FLOW", "PAY-2").0, "cancelled");
        assert_eq!(get("PAY-FLOW", "PAY-3").0, "counted");
        assert_eq!(get("PAY-FLOW", "PAY-4").0, "in_progress");
        assert_eq!(get("PAY-FIELDS", "PAY-5").0, "cancelled");
        // "Duplicate" is excluded by PAY-FLOW only; PAY-2 is a plain not-started issue there.
        assert_eq!(get("PAY-FIELDS", "PAY-2").0, "not_started");

        let figures = compute(&toml, &[search(issues)], &[]);
        let flow = pipeline(&figures, "PAY-FLOW");
        assert_eq!(flow["count"], 1);
        assert_eq!(flow["issues"], json!(["PAY-3"]));
        assert_eq!(flow["not_counted"]["cancelled"], 2);
        assert_eq!(
            flow["distribution"],
            json!({"by_type": {"Feature": 1}, "cancelled": 2})
        );
        assert_eq!(
            flow["throughput"],
            json!({"total": 1, "weeks": [{"week": "2026-W01", "count": 1}]})
        );
        assert_eq!(
            flow["rework"],
            json!({"reopens": 2, "backward_moves": 2, "reworked": 0, "mean_rework_days": null})
        );
        let fields = pipeline(&figures, "PAY-FIELDS");
        assert_eq!(fields["not_counted"]["cancelled"], 1);
        assert_eq!(fields["not_counted"]["invalid"], 0);
        assert_eq!(fields["distribution"]["cancelled"], 1);
    }

    // ---- the real Jira data ----------------------------------------------------------------

    #[test]
    fn jira_real_data() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/jira-real");
        if !dir.is_dir() {
            eprintln!("skipped: ../shared not found");
            return;
        }
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let toml = read("artflow.toml");
        let responses: Vec<Value> = [
            "ut-search.json",
            "pup-search.json",
            "contrib-search.json",
            "patternfly-search.json",
        ]
        .iter()
        .map(|f| serde_json::from_str(&read(f)).unwrap())
        .collect();
        let figures = compute(&toml, &responses, &[]);
        for art in figures["arts"].as_array().unwrap() {
            for p in art["pipelines"].as_array().unwrap() {
                eprintln!(
                    "{:<13} count {:>2} wip {:>2} min {} ({}) max {} ({}) mean {} fe {} issues {}",
                    p["code"].as_str().unwrap(),
                    p["count"],
                    p["wip"],
                    p["min_days"],
                    p["min_issue"],
                    p["max_days"],
                    p["max_issue"],
                    p["mean_days"],
                    p["flow_efficiency"],
                    p["issues"],
                );
                eprintln!(
                    "{:<13} p50 {} p70 {} p85 {} p95 {} sd {} rework {} distribution {} \
                     throughput {}",
                    "",
                    p["p50_days"],
                    p["p70_days"],
                    p["p85_days"],
                    p["p95_days"],
                    p["stddev_days"],
                    p["rework"],
                    p["distribution"],
                    p["throughput"],
                );
                let count = p["count"].as_u64().unwrap();
                assert_eq!(p["issues"].as_array().unwrap().len() as u64, count);
                // Completions: every week's, and every type's, the total.
                let total = p["throughput"]["total"].as_u64().unwrap();
                let weeks = p["throughput"]["weeks"].as_array().unwrap();
                let sum = |v: &mut dyn Iterator<Item = &Value>| -> u64 {
                    v.map(|x| x.as_u64().unwrap()).sum()
                };
                assert_eq!(sum(&mut weeks.iter().map(|w| &w["count"])), total, "{p}");
                let by_type = p["distribution"]["by_type"].as_object().unwrap();
                assert_eq!(sum(&mut by_type.values()), total, "{p}");
                assert!(count <= total, "{p}");
                assert!(p["rework"]["reworked"].as_u64().unwrap() <= total, "{p}");
                assert!(
                    p["rework"]["reopens"].as_u64().unwrap()
                        <= p["rework"]["backward_moves"].as_u64().unwrap(),
                    "{p}"
                );
                if count > 0 {
                    let (min, max, mean) = (
                        p["min_days"].as_f64().unwrap(),
                        p["max_days"].as_f64().unwrap(),
                        p["mean_days"].as_f64().unwrap(),
                    );
                    assert!(
                        0.0 < min && min <= mean && mean <= max && max < 3650.0,
                        "{p}"
                    );
                    let fe = p["flow_efficiency"].as_f64().unwrap();
                    assert!((0.0..=1.0).contains(&fe), "{p}");
                    let mut last = min;
                    for k in ["p50_days", "p70_days", "p85_days", "p95_days"] {
                        let x = p[k].as_f64().unwrap();
                        assert!(last <= x && x <= max, "{k}: {p}");
                        last = x;
                    }
                    let sd = p["stddev_days"].as_f64().unwrap();
                    assert!(0.0 <= sd && sd <= (max - min) / 2.0 + 1e-9, "{p}");
                }
            }
        }
        let out = outcomes(&toml, &responses, &[]);
        for ((code, key), (outcome, lead, active)) in &out {
            eprintln!("  {code:<13} {key:<12} {outcome:<15} {lead:?} {active:?}");
        }
        // CONTRIB-4 has no fields; UXVDN and E2E belong to no ART.
        assert!(out.keys().all(|(_, key)| key != "CONTRIB-4"
            && !key.starts_with("UXVDN-")
            && !key.starts_with("E2E-")));
        // Every UT issue is under UT-FLOW, only the stories under UT-DEV.
        assert_eq!(out.keys().filter(|(c, _)| c == "UT-FLOW").count(), 25);
        assert_eq!(out.keys().filter(|(c, _)| c == "UT-DEV").count(), 22);
        assert_eq!(out.keys().filter(|(c, _)| c == "PF-FLOW").count(), 8);
    }
}
