//! Lead-time rules: an issue's stored state, evaluated under one pipeline configuration, gives a
//! [`Fact`] (DESIGN.md, "Semantics"; the open cases are decided in `docs/semantics.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{PipelineSpec, Rule, StatusRule};
use crate::event::{Transition, history_seq};
use crate::time::{MS_PER_DAY, Millis, parse_date_or_datetime};

/// What the store knows of one issue: everything a rule may look at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IssueState {
    pub key: String,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    /// Status of the latest snapshot: its name and Jira id.
    pub status: Option<String>,
    pub status_id: Option<String>,
    /// Known when a creation event was applied: its time and status.
    pub creation: Option<(Millis, Option<String>)>,
    /// The Jira id of the creation status, where known.
    pub creation_status_id: Option<String>,
    /// The resolution's name in the latest snapshot (`Done`, `Won't Do`, ...).
    pub resolution: Option<String>,
    /// Every stored status transition, in any order.
    pub transitions: Vec<Transition>,
    /// Custom fields of the latest snapshot.
    pub fields: BTreeMap<String, serde_json::Value>,
    pub created: Option<Millis>,
    pub resolution_date: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Start known and end after it: a lead-time sample.
    Counted,
    /// Straight to done: end equals start.
    NeverActive,
    /// Done, but when it started is not known.
    UnknownStart,
    /// Started and not done: work in progress.
    InProgress,
    NotStarted,
    /// Field rule: end before start.
    Invalid,
    /// Done, with a lead time of at most `min_lead_time_days`.
    BelowThreshold,
    /// Done with a resolution the configuration excludes (`exclude_resolutions`).
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Counted,
        Outcome::NeverActive,
        Outcome::UnknownStart,
        Outcome::InProgress,
        Outcome::NotStarted,
        Outcome::Invalid,
        Outcome::BelowThreshold,
        Outcome::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
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

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// An outcome as a person writes it: its name in any letter case, spaces around ignored.
    pub fn parse_any_case(s: &str) -> Option<Outcome> {
        let s = s.trim();
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s))
    }

    /// Every outcome's name, comma-separated (for messages that list them).
    pub fn names() -> String {
        Outcome::ALL.map(Outcome::as_str).join(", ")
    }

    /// Done and delivered: it counts towards throughput and the flow distribution (counted,
    /// straight to done, done with an unknown start, or below the threshold).
    pub fn is_completion(self) -> bool {
        matches!(
            self,
            Outcome::Counted
                | Outcome::NeverActive
                | Outcome::UnknownStart
                | Outcome::BelowThreshold
        )
    }
}

/// An issue's lead time under one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub outcome: Outcome,
    pub start: Option<Millis>,
    pub end: Option<Millis>,
    /// end − start, where both are known and end ≥ start.
    pub lead_ms: Option<i64>,
    /// Time inside [start, end] in active stages (status rule with an end).
    pub active_ms: Option<i64>,
    pub reopens: i32,
    /// Moves to an earlier mapped stage (reopens included).
    pub backward_moves: i32,
    /// The first entry into a done status, where known: with `end`, the time from first to
    /// final completion (rework).
    pub first_end: Option<Millis>,
    /// A data-quality finding: a field that could not be read, an unknown start.
    pub note: Option<String>,
}

impl Fact {
    fn new(outcome: Outcome) -> Fact {
        Fact {
            outcome,
            start: None,
            end: None,
            lead_ms: None,
            active_ms: None,
            reopens: 0,
            backward_moves: 0,
            first_end: None,
            note: None,
        }
    }
}

/// Whether a configuration of an ART owning `project_key`'s project covers the issue at all.
pub fn covers(spec: &PipelineSpec, issue: &IssueState) -> bool {
    spec.covers_type(issue.issue_type.as_deref())
}

/// The issue's fact under a configuration (whose ART owns the issue's project).
pub fn evaluate(spec: &PipelineSpec, issue: &IssueState) -> Fact {
    let mut fact = match &spec.rule {
        Rule::Field {
            start_field,
            end_field,
        } => field_rule(issue, start_field, end_field),
        Rule::Status(rule) => status_rule(rule, issue),
    };
    if let (Outcome::Counted, Some(n), Some(lead)) =
        (fact.outcome, spec.min_lead_time_days, fact.lead_ms)
        && (lead as f64) <= n * MS_PER_DAY as f64
    {
        fact.outcome = Outcome::BelowThreshold;
    }
    let done = fact.outcome.is_completion() || fact.outcome == Outcome::Invalid;
    if done
        && let (Some(excluded), Some(resolution)) = (&spec.exclude_resolutions, &issue.resolution)
        && excluded
            .iter()
            .any(|r| r.eq_ignore_ascii_case(resolution.trim()))
    {
        fact.outcome = Outcome::Cancelled;
    }
    fact
}

fn field_rule(issue: &IssueState, start_field: &str, end_field: &str) -> Fact {
    let mut notes = Vec::new();
    let mut read = |name: &str| -> Option<Millis> {
        match name {
            "created" => return issue.created,
            "resolutiondate" => return issue.resolution_date,
            _ => {}
        }
        match issue.fields.get(name) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
            Some(serde_json::Value::String(s)) => match parse_date_or_datetime(s) {
                Ok(t) => Some(t.timestamp_millis()),
                Err(e) => {
                    notes.push(format!("{name}: {e}"));
                    None
                }
            },
            Some(other) => {
                notes.push(format!("{name}: {other} is not a date"));
                None
            }
        }
    };
    let (start, end) = (read(start_field), read(end_field));
    let mut fact = match (start, end) {
        (Some(s), Some(e)) if e >= s => Fact {
            lead_ms: Some(e - s),
            ..Fact::new(Outcome::Counted)
        },
        (Some(_), Some(_)) => Fact::new(Outcome::Invalid),
        (Some(_), None) => Fact::new(Outcome::InProgress),
        (None, Some(_)) => Fact::new(Outcome::UnknownStart),
        (None, None) => Fact::new(Outcome::NotStarted),
    };
    if fact.outcome == Outcome::Invalid {
        notes.push(format!("{end_field} is before {start_field}"));
    }
    fact.start = start;
    fact.end = end;
    fact.first_end = end;
    fact.note = (!notes.is_empty()).then(|| notes.join("; "));
    fact
}

/// The mapped timeline: (time, stage index); `None` time for the first entry of an incomplete
/// history. A status matches a stage by its Jira id (where the configuration gives one) or by
/// its name.
fn timeline(rule: &StatusRule, issue: &IssueState) -> (Vec<(Option<Millis>, usize)>, bool) {
    let mut transitions: Vec<&Transition> = issue.transitions.iter().collect();
    transitions.sort_by(|a, b| {
        (a.at, history_seq(&a.history_id), a.item_pos, &a.history_id).cmp(&(
            b.at,
            history_seq(&b.history_id),
            b.item_pos,
            &b.history_id,
        ))
    });
    type Raw<'a> = (Option<Millis>, Option<&'a str>, Option<&'a str>);
    let mut raw: Vec<Raw<'_>> = Vec::with_capacity(transitions.len() + 1);
    let complete = match &issue.creation {
        Some((at, Some(status))) => {
            raw.push((
                Some(*at),
                Some(status.as_str()),
                issue.creation_status_id.as_deref(),
            ));
            true
        }
        _ => {
            let earliest = match transitions.first() {
                Some(t) => (t.from.as_deref(), t.from_id.as_deref()),
                None => (issue.status.as_deref(), issue.status_id.as_deref()),
            };
            raw.push((None, earliest.0, earliest.1));
            false
        }
    };
    raw.extend(
        transitions
            .iter()
            .map(|t| (Some(t.at), t.to.as_deref(), t.to_id.as_deref())),
    );
    let mapped = raw
        .into_iter()
        .filter_map(|(at, name, id)| rule.stage_of_status(name, id).map(|i| (at, i)))
        .collect();
    (mapped, complete)
}

/// With `restart_on_uncommit`: where the clock starts, as jira-agile-metrics and ActionableAgile
/// count. Each move back forgets the entries of the stages after the one moved to, so the clock
/// starts at the earliest entry into a stage at or after `start` that no later move went back
/// behind: the first entry from which every later entry is at the same stage or a later one.
/// `None` when there is none (the issue is back before `start`, or never reached it).
fn restart_point(entries: &[(Option<Millis>, usize)], start_stage: usize) -> Option<usize> {
    // The lowest stage at or after each entry, from the back.
    let mut lowest_after = usize::MAX;
    let mut point = None;
    for (i, &(_, stage)) in entries.iter().enumerate().rev() {
        if stage >= start_stage && stage <= lowest_after {
            point = Some(i);
        }
        lowest_after = lowest_after.min(stage);
    }
    point
}

fn status_rule(rule: &StatusRule, issue: &IssueState) -> Fact {
    let (all, complete) = timeline(rule, issue);
    let Some(&(_, current)) = all.last() else {
        return Fact::new(Outcome::NotStarted);
    };
    let start_stage = rule
        .stage_of(&rule.start)
        .expect("validated: start is a stage");
    let is_done = |i: usize| rule.done.iter().any(|d| rule.stage_of(d) == Some(i));
    let is_active = |i: usize| rule.active.iter().any(|a| rule.stage_of(a) == Some(i));

    // Rework is read from the whole timeline.
    let reopens = all
        .windows(2)
        .filter(|w| is_done(w[0].1) && !is_done(w[1].1))
        .count() as i32;
    let backward_moves = all.windows(2).filter(|w| w[1].1 < w[0].1).count() as i32;
    let first_end = (0..all.len())
        .find(|&i| is_done(all[i].1) && (i == 0 || !is_done(all[i - 1].1)))
        .and_then(|i| all[i].0);

    // The clock: the whole timeline, or from the restart point (nothing started without one).
    let (entries, complete) = if rule.restart_on_uncommit {
        match restart_point(&all, start_stage) {
            Some(from) => (&all[from..], complete || from > 0),
            None => (&all[all.len() - 1..], true),
        }
    } else {
        (&all[..], complete)
    };
    let rework = |f: Fact| Fact {
        backward_moves,
        first_end: f.end.and(first_end),
        ..f
    };

    let first_started = entries.iter().position(|&(_, s)| s >= start_stage);
    let start_unknown = !complete && first_started == Some(0);
    let start = if start_unknown {
        None
    } else {
        first_started.and_then(|i| entries[i].0)
    };
    if !is_done(current) {
        let outcome = if first_started.is_some() {
            Outcome::InProgress
        } else {
            Outcome::NotStarted
        };
        return rework(Fact {
            start,
            reopens,
            ..Fact::new(outcome)
        });
    }
    // Latest entry into a done status from a non-done one.
    let end_entry = (0..entries.len())
        .rev()
        .find(|&i| is_done(entries[i].1) && (i == 0 || !is_done(entries[i - 1].1)))
        .expect("the current entry is done, so some entry into done exists");
    let end = entries[end_entry].0;
    let (Some(s), Some(e)) = (start, end) else {
        return rework(Fact {
            start,
            end,
            reopens,
            note: Some(if complete {
                "done without a known start".into()
            } else {
                "history incomplete: the earliest known status is already at or after the start"
                    .into()
            }),
            ..Fact::new(Outcome::UnknownStart)
        });
    };
    if e <= s {
        return rework(Fact {
            start,
            end,
            reopens,
            lead_ms: Some(0),
            active_ms: Some(0),
            ..Fact::new(Outcome::NeverActive)
        });
    }
    let mut active = 0;
    for (i, &(at, stage)) in entries.iter().enumerate() {
        if !is_active(stage) {
            continue;
        }
        let from = at.unwrap_or(Millis::MIN).max(s);
        let to = entries
            .get(i + 1)
            .and_then(|n| n.0)
            .unwrap_or(Millis::MAX)
            .min(e);
        if to > from {
            active += to - from;
        }
    }
    rework(Fact {
        start,
        end,
        reopens,
        lead_ms: Some(e - s),
        active_ms: Some(active),
        ..Fact::new(Outcome::Counted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_datetime;

    fn t(s: &str) -> Millis {
        parse_datetime(s).unwrap().timestamp_millis()
    }

    #[test]
    fn outcomes_parse_in_any_case_and_are_all_named() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(Outcome::parse_any_case(&o.as_str().to_uppercase()), Some(o));
            assert!(Outcome::names().split(", ").any(|n| n == o.as_str()));
        }
        assert_eq!(
            Outcome::parse_any_case(" Cancelled "),
            Some(Outcome::Cancelled)
        );
        assert_eq!(Outcome::parse("Counted"), None);
        assert_eq!(Outcome::parse_any_case("bogus"), None);
        assert_eq!(Outcome::names().split(", ").count(), Outcome::ALL.len());
    }

    fn flow() -> PipelineSpec {
        PipelineSpec {
            issue_types: None,
            min_lead_time_days: None,
            rule: Rule::Status(StatusRule {
                stages: [
                    "Funnel",
                    "Analyzing",
                    "Backlog",
                    "Implementing",
                    "Validating",
                    "Releasing",
                    "Done",
                ]
                .map(String::from)
                .to_vec(),
                start: "Analyzing".into(),
                done: vec!["Done".into()],
                active: ["Analyzing", "Implementing", "Releasing"]
                    .map(String::from)
                    .to_vec(),
                stage_ids: BTreeMap::new(),
                restart_on_uncommit: false,
            }),
            exclude_resolutions: None,
        }
    }

    fn tr(id: &str, at: &str, from: &str, to: &str) -> Transition {
        Transition {
            history_id: id.into(),
            item_pos: 0,
            at: t(at),
            from: Some(from.into()),
            to: Some(to.into()),
            from_id: None,
            to_id: None,
        }
    }

    fn pay101(n: usize) -> IssueState {
        let all = vec![
            tr("30001", "2026-01-06T09:00:00Z", "Funnel", "Analyzing"),
            tr("30003", "2026-01-20T14:30:00Z", "Analyzing", "Implementing"),
            tr("30004", "2026-02-17T00:00:00Z", "Implementing", "Done"),
            tr("30006", "2026-02-18T09:00:00Z", "Done", "Implementing"),
            tr("30007", "2026-02-20T09:00:00Z", "Implementing", "Done"),
        ];
        IssueState {
            key: "PAY-101".into(),
            creation: Some((t("2026-01-05T08:12:44.120Z"), Some("Funnel".into()))),
            transitions: all.into_iter().take(n).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn pay_101_story() {
        let f = evaluate(&flow(), &pay101(5));
        assert_eq!(f.outcome, Outcome::Counted);
        assert_eq!(f.lead_ms, Some(3_888_000_000));
        assert_eq!(f.active_ms, Some(3_769_200_000));
        assert_eq!(f.reopens, 1);

        let f = evaluate(&flow(), &pay101(3));
        assert_eq!(f.lead_ms, Some(3_596_400_000));

        let f = evaluate(&flow(), &pay101(4));
        assert_eq!(f.outcome, Outcome::InProgress);
        assert_eq!(f.lead_ms, None);
    }

    #[test]
    fn transitions_in_any_order_give_the_same_fact() {
        let mut issue = pay101(5);
        let expected = evaluate(&flow(), &issue);
        issue.transitions.reverse();
        assert_eq!(evaluate(&flow(), &issue), expected);
    }

    #[test]
    fn incomplete_history_past_start_has_unknown_start() {
        let issue = IssueState {
            transitions: vec![tr("40007", "2026-01-01T00:00:00Z", "Releasing", "Done")],
            status: Some("Done".into()),
            ..Default::default()
        };
        let f = evaluate(&flow(), &issue);
        assert_eq!(f.outcome, Outcome::UnknownStart);
        assert!(f.note.is_some());

        // Still in progress when not done, though the start is unknown.
        let issue = IssueState {
            transitions: vec![tr("1", "2026-01-01T00:00:00Z", "Implementing", "Releasing")],
            ..Default::default()
        };
        let f = evaluate(&flow(), &issue);
        assert_eq!((f.outcome, f.start), (Outcome::InProgress, None));

        // Earliest known stage before start: the start is known.
        let issue = IssueState {
            transitions: vec![
                tr("1", "2026-01-01T00:00:00Z", "Funnel", "Analyzing"),
                tr("2", "2026-01-03T00:00:00Z", "Analyzing", "Done"),
            ],
            ..Default::default()
        };
        let f = evaluate(&flow(), &issue);
        assert_eq!(f.outcome, Outcome::Counted);
        assert_eq!(f.lead_ms, Some(2 * MS_PER_DAY));
    }

    #[test]
    fn straight_to_done_is_never_active() {
        let issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![tr("1", "2026-01-02T00:00:00Z", "Funnel", "Done")],
            ..Default::default()
        };
        assert_eq!(evaluate(&flow(), &issue).outcome, Outcome::NeverActive);
        let created_done = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Done".into()))),
            ..Default::default()
        };
        assert_eq!(
            evaluate(&flow(), &created_done).outcome,
            Outcome::NeverActive
        );
    }

    #[test]
    fn unmapped_statuses_keep_the_stage_before() {
        let issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Analyzing"),
                tr("2", "2026-01-03T00:00:00Z", "Analyzing", "Blocked"),
                tr("3", "2026-01-04T00:00:00Z", "Blocked", "done"),
                tr("4", "2026-01-05T00:00:00Z", "done", "Archived"),
            ],
            ..Default::default()
        };
        let f = evaluate(&flow(), &issue);
        assert_eq!(f.outcome, Outcome::Counted);
        assert_eq!(f.reopens, 0);
        assert_eq!(f.lead_ms, Some(2 * MS_PER_DAY));
        // Blocked is unmapped: its day belongs to Analyzing, which is active.
        assert_eq!(f.active_ms, Some(2 * MS_PER_DAY));
    }

    #[test]
    fn reopen_before_start_stays_in_progress() {
        let issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Analyzing"),
                tr("2", "2026-01-03T00:00:00Z", "Analyzing", "Done"),
                tr("3", "2026-01-04T00:00:00Z", "Done", "Funnel"),
            ],
            ..Default::default()
        };
        let f = evaluate(&flow(), &issue);
        assert_eq!(f.outcome, Outcome::InProgress);
        assert_eq!(f.reopens, 1);
    }

    #[test]
    fn rework_backward_moves_and_first_completion() {
        let f = evaluate(&flow(), &pay101(5));
        // Analyzing → Implementing → Done → Implementing (back) → Done.
        assert_eq!((f.reopens, f.backward_moves), (1, 1));
        assert_eq!(f.first_end, Some(t("2026-02-17T00:00:00Z")));
        assert_eq!(f.end, Some(t("2026-02-20T09:00:00Z")));
        let wip = evaluate(&flow(), &pay101(4));
        assert_eq!((wip.first_end, wip.backward_moves), (None, 1));
    }

    #[test]
    fn restart_on_uncommit_restarts_the_clock() {
        let mut spec = flow();
        let issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Analyzing"),
                tr("2", "2026-01-03T00:00:00Z", "Analyzing", "Implementing"),
                tr("3", "2026-01-05T00:00:00Z", "Implementing", "Funnel"),
                tr("4", "2026-01-10T00:00:00Z", "Funnel", "Implementing"),
                tr("5", "2026-01-12T00:00:00Z", "Implementing", "Done"),
            ],
            ..Default::default()
        };
        let f = evaluate(&spec, &issue);
        assert_eq!(f.start, Some(t("2026-01-02T00:00:00Z")));
        assert_eq!(f.backward_moves, 1);
        let Rule::Status(rule) = &mut spec.rule else {
            unreachable!()
        };
        rule.restart_on_uncommit = true;
        let f = evaluate(&spec, &issue);
        assert_eq!(f.outcome, Outcome::Counted);
        assert_eq!(f.start, Some(t("2026-01-10T00:00:00Z")));
        assert_eq!(f.lead_ms, Some(2 * MS_PER_DAY));
        assert_eq!(f.active_ms, Some(2 * MS_PER_DAY));
        // Back before the start and not yet again: not started under the restart.
        let mut back = issue.clone();
        back.transitions.truncate(3);
        assert_eq!(evaluate(&spec, &back).outcome, Outcome::NotStarted);
        // A move back that stays at or after the start does not restart.
        let mut later = issue.clone();
        later.transitions[2].to = Some("Analyzing".into());
        later.transitions[3].from = Some("Analyzing".into());
        assert_eq!(
            evaluate(&spec, &later).start,
            Some(t("2026-01-02T00:00:00Z"))
        );
    }

    /// The cases where a move back stays at or after `start` but behind an earlier entry: the
    /// later stages' entries are forgotten, as jira-agile-metrics 0.24 counts (checked with
    /// tests/jam/compare.py: 7 days for both, where the whole timeline gives 9 and 8).
    #[test]
    fn restart_on_uncommit_forgets_the_stages_after_a_move_back() {
        let mut spec = flow();
        let jump_then_back = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Implementing"),
                tr("2", "2026-01-04T00:00:00Z", "Implementing", "Analyzing"),
                tr("3", "2026-01-11T00:00:00Z", "Analyzing", "Done"),
            ],
            ..Default::default()
        };
        let late_then_back = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Validating"),
                tr("2", "2026-01-03T00:00:00Z", "Validating", "Implementing"),
                tr("3", "2026-01-10T00:00:00Z", "Implementing", "Done"),
            ],
            ..Default::default()
        };
        let leads = |spec: &PipelineSpec| {
            [&jump_then_back, &late_then_back]
                .map(|i| evaluate(spec, i).lead_ms.unwrap() / MS_PER_DAY)
        };
        assert_eq!(leads(&spec), [9, 8]);
        let Rule::Status(rule) = &mut spec.rule else {
            unreachable!()
        };
        rule.restart_on_uncommit = true;
        assert_eq!(leads(&spec), [7, 7]);
        let f = evaluate(&spec, &late_then_back);
        assert_eq!(f.start, Some(t("2026-01-03T00:00:00Z")));
        // Rework still reads the whole timeline.
        assert_eq!(f.backward_moves, 1);
    }

    #[test]
    fn statuses_match_by_id_after_a_rename() {
        let mut spec = flow();
        let Rule::Status(rule) = &mut spec.rule else {
            unreachable!()
        };
        rule.stage_ids.insert("10001".into(), 1);
        let mut issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Funnel".into()))),
            transitions: vec![
                tr("1", "2026-01-02T00:00:00Z", "Funnel", "Discovery"),
                tr("2", "2026-01-04T00:00:00Z", "Discovery", "Done"),
            ],
            ..Default::default()
        };
        assert_eq!(evaluate(&spec, &issue).outcome, Outcome::NeverActive);
        issue.transitions[0].to_id = Some("10001".into());
        let f = evaluate(&spec, &issue);
        assert_eq!(
            (f.outcome, f.lead_ms),
            (Outcome::Counted, Some(2 * MS_PER_DAY))
        );
    }

    #[test]
    fn excluded_resolutions_are_cancelled() {
        let mut spec = flow();
        spec.exclude_resolutions = Some(vec!["Won't Do".into()]);
        let mut issue = pay101(5);
        assert_eq!(evaluate(&spec, &issue).outcome, Outcome::Counted);
        issue.resolution = Some("won't do".into());
        assert_eq!(evaluate(&spec, &issue).outcome, Outcome::Cancelled);
        // Not done: the resolution does not matter.
        let mut wip = pay101(4);
        wip.resolution = Some("Won't Do".into());
        assert_eq!(evaluate(&spec, &wip).outcome, Outcome::InProgress);
    }

    #[test]
    fn threshold_is_strict() {
        let mut spec = flow();
        spec.min_lead_time_days = Some(2.0);
        let issue = IssueState {
            creation: Some((t("2026-01-01T00:00:00Z"), Some("Analyzing".into()))),
            transitions: vec![tr("1", "2026-01-03T00:00:00Z", "Analyzing", "Done")],
            ..Default::default()
        };
        assert_eq!(evaluate(&spec, &issue).outcome, Outcome::BelowThreshold);
        spec.min_lead_time_days = Some(1.99);
        assert_eq!(evaluate(&spec, &issue).outcome, Outcome::Counted);
    }

    fn fields_spec() -> PipelineSpec {
        PipelineSpec {
            issue_types: None,
            min_lead_time_days: None,
            rule: Rule::Field {
                start_field: "customfield_1".into(),
                end_field: "customfield_2".into(),
            },
            exclude_resolutions: None,
        }
    }

    fn with_fields(start: serde_json::Value, end: serde_json::Value) -> IssueState {
        IssueState {
            fields: [
                ("customfield_1".into(), start),
                ("customfield_2".into(), end),
            ]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn field_rule_outcomes() {
        use serde_json::json;
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!("2026-01-06"), json!("2026-02-16T16:00:00.000-0800")),
        );
        assert_eq!(
            (f.outcome, f.lead_ms),
            (Outcome::Counted, Some(3_628_800_000))
        );
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!("2026-01-06"), json!("2026-01-06")),
        );
        assert_eq!((f.outcome, f.lead_ms), (Outcome::Counted, Some(0)));
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!("2026-01-06"), json!("2026-01-05")),
        );
        assert_eq!(f.outcome, Outcome::Invalid);
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!("2026-01-06"), json!(null)),
        );
        assert_eq!(f.outcome, Outcome::InProgress);
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!(null), json!("2026-01-06")),
        );
        assert_eq!(f.outcome, Outcome::UnknownStart);
        let f = evaluate(
            &fields_spec(),
            &with_fields(json!("next tuesday"), json!(null)),
        );
        assert_eq!(f.outcome, Outcome::NotStarted);
        assert!(f.note.unwrap().contains("next tuesday"));
        let f = evaluate(&fields_spec(), &with_fields(json!(3), json!(null)));
        assert!(f.note.unwrap().contains("not a date"));
    }
}
