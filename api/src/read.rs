//! The read queries: what every endpoint and `artflow report` show, read from what the processor
//! stored. Every query is built with bound parameters; nothing from a request is spliced into SQL.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use domain::aggregate::nearest_rank;
use domain::time::{MS_PER_DAY, days};
use domain::{Outcome, PipelineSpec};
use entities::status_transition;
use entities::{art, issue, lead_time_fact, pipeline_aggregate, pipeline_config, pipeline_daily};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

/// What a read can fail with; the HTTP layer maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no ART has the abbreviation {0:?}")]
    UnknownArt(String),
    #[error("the ART {art} has no pipeline configuration {code:?} (its configurations: {known})")]
    UnknownConfig {
        art: String,
        code: String,
        known: String,
    },
    #[error("no issue has the key {0:?}")]
    UnknownIssue(String),
    #[error("{0}")]
    BadQuery(String),
    #[error("the store holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type Result<T> = std::result::Result<T, ReadError>;

/// An instant as the API writes it: RFC 3339, UTC, milliseconds.
pub fn time(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// A `YYYY-MM-DD` query parameter, named in the error.
pub fn parse_day(name: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        ReadError::BadQuery(format!(
            "{name}={value:?} is not a date; write YYYY-MM-DD, e.g. 2026-03-01"
        ))
    })
}

/// The first instant of a UTC day, in epoch milliseconds.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArtSummary {
    pub abbreviation: String,
    pub name: String,
    pub program_key: String,
    pub team_key: Option<String>,
    /// The codes of its pipeline configurations.
    pub configs: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtList {
    pub arts: Vec<ArtSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfigView {
    pub code: String,
    pub name: String,
    /// The ART's abbreviation.
    pub art: String,
    /// `field` or `status`.
    pub rule: String,
    /// The configuration as written in the TOML file.
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigList {
    pub configs: Vec<ConfigView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtDetail {
    pub abbreviation: String,
    pub name: String,
    pub program_key: String,
    pub team_key: Option<String>,
    pub configs: Vec<ConfigView>,
}

/// Covered issues not counted, by reason.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct NotCounted {
    pub not_started: i64,
    pub never_active: i64,
    pub unknown_start: i64,
    pub invalid: i64,
    pub below_threshold: i64,
}

/// The current figures of one pipeline configuration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PipelineFigures {
    pub code: String,
    pub name: String,
    pub rule: String,
    /// Issues counted (done, with a known start, at or above the threshold).
    pub count: i64,
    /// Work in progress: started, not done.
    pub wip: i64,
    pub min_days: Option<f64>,
    pub min_issue: Option<String>,
    pub max_days: Option<f64>,
    pub max_issue: Option<String>,
    pub mean_days: Option<f64>,
    /// Active time over lead time of the counted issues; null without active stages.
    pub flow_efficiency: Option<f64>,
    /// Nearest-rank percentiles of the counted lead times.
    pub p50_days: Option<f64>,
    pub p85_days: Option<f64>,
    pub p95_days: Option<f64>,
    pub not_counted: NotCounted,
    /// When the processor last changed these figures (epoch ms; 0 before any change).
    #[serde(skip)]
    pub updated_at_ms: i64,
}

/// Issues completed between two UTC days, inclusive (either end open).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema, PartialEq)]
pub struct Window {
    /// `YYYY-MM-DD`, or null for no lower bound.
    #[schema(value_type = Option<String>)]
    pub from: Option<NaiveDate>,
    #[schema(value_type = Option<String>)]
    pub to: Option<NaiveDate>,
}

impl Window {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    pub fn check(&self) -> Result<()> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f > t => Err(ReadError::BadQuery(format!(
                "completed_from={f} is after completed_to={t}"
            ))),
            _ => Ok(()),
        }
    }

    /// The half-open range of end times, in epoch milliseconds.
    fn end_range(&self) -> (Option<i64>, Option<i64>) {
        (
            self.from.map(day_start_ms),
            self.to.map(|t| day_start_ms(t) + MS_PER_DAY),
        )
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Efficiency {
    pub art: String,
    /// The completion window the figures cover (both null: all time). In a window, the figures
    /// of completed issues cover those completed in it; WIP and not-started are current.
    pub window: Window,
    /// When the newest of these figures was changed (null before any).
    pub as_of: Option<String>,
    pub pipelines: Vec<PipelineFigures>,
}

/// One configuration's figures at the end of one UTC day.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub code: String,
    pub count: i64,
    pub wip: i64,
    pub min_days: Option<f64>,
    pub min_issue: Option<String>,
    pub max_days: Option<f64>,
    pub max_issue: Option<String>,
    pub mean_days: Option<f64>,
    pub flow_efficiency: Option<f64>,
    pub not_counted: NotCounted,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub art: String,
    pub from: String,
    pub to: String,
    pub days: Vec<HistoryDay>,
}

/// One issue under one configuration.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueRow {
    pub key: String,
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    /// `counted`, `in_progress`, `not_started`, `never_active`, `unknown_start`, `invalid`,
    /// `below_threshold`.
    pub outcome: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub lead_days: Option<f64>,
    pub active_days: Option<f64>,
    pub reopens: i32,
    /// Why the issue is not counted, or what was odd about it.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuePage {
    pub art: String,
    pub config: String,
    pub issues: Vec<IssueRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Which issues of a configuration to list.
#[derive(Debug, Default, Clone)]
pub struct IssueFilter {
    /// Completed in this window.
    pub window: Window,
    pub outcome: Option<Outcome>,
    /// At most this many (None: all).
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineTransition {
    pub at: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Jira's changelog history id.
    pub history_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineOutcome {
    pub art: String,
    pub config: String,
    pub outcome: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub lead_days: Option<f64>,
    pub active_days: Option<f64>,
    pub reopens: i32,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssueTimeline {
    pub key: String,
    pub site: String,
    pub jira_id: String,
    pub project: Option<String>,
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    pub status: Option<String>,
    pub deleted: bool,
    pub created: Option<String>,
    /// The status it was created in, when known.
    pub created_status: Option<String>,
    pub transitions: Vec<TimelineTransition>,
    /// Its lead time under every configuration that covers it.
    pub outcomes: Vec<TimelineOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timelines {
    /// Every stored issue with the key (one per Jira site).
    pub issues: Vec<IssueTimeline>,
}

/// `GET /art` of the old job.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyArt {
    #[serde(rename = "ID")]
    pub id: i64,
    pub name: String,
    pub abbreviation: String,
    pub jira_program_level_key: String,
    pub jira_team_level_key: Option<String>,
}

/// `GET /config` of the old job.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyConfig {
    #[serde(rename = "ArtID")]
    pub art_id: i64,
    #[serde(rename = "ConfigID")]
    pub config_id: i64,
    pub name: String,
    pub code: String,
    /// Null for a status rule.
    pub start_field_key: Option<String>,
    pub end_field_key: Option<String>,
    pub jira_program_level_key: String,
    pub jira_team_level_key: Option<String>,
}

/// `GET /art/{abbr}/pipeline/efficiency` of the old job: one row per configuration and day.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyEfficiency {
    #[serde(rename = "ArtID")]
    pub art_id: i64,
    pub art_name: String,
    pub art_abbreviation: String,
    #[serde(rename = "EfficiencyID")]
    pub efficiency_id: i64,
    /// Whole days, truncated, as the old job stored them.
    pub minimum: Option<i64>,
    pub average: Option<i64>,
    pub maximum: Option<i64>,
    /// `YYYY-MM-DD`.
    pub pipeline_efficiency_date: String,
    /// The counted issues with an end on or before that day, joined with `|`.
    pub issue_keys: String,
    pub min_issue_key: Option<String>,
    pub max_issue_key: Option<String>,
    pub configuration_name: String,
    pub configuration_code: String,
}

/// Every ART, by abbreviation.
pub async fn arts(db: &impl ConnectionTrait) -> Result<Vec<art::Model>> {
    Ok(art::Entity::find()
        .order_by_asc(art::Column::Abbreviation)
        .all(db)
        .await?)
}

/// The ART with this abbreviation (case-insensitive).
pub async fn find_art(db: &impl ConnectionTrait, abbreviation: &str) -> Result<art::Model> {
    // The ART table is small; matching here keeps case-insensitivity the same on every backend.
    arts(db)
        .await?
        .into_iter()
        .find(|a| a.abbreviation.eq_ignore_ascii_case(abbreviation))
        .ok_or_else(|| ReadError::UnknownArt(abbreviation.to_owned()))
}

/// The configurations of some ARTs (all when `art_id` is None), by code.
pub async fn configs_of(
    db: &impl ConnectionTrait,
    art_id: Option<i64>,
) -> Result<Vec<pipeline_config::Model>> {
    let mut q = pipeline_config::Entity::find().order_by_asc(pipeline_config::Column::Code);
    if let Some(id) = art_id {
        q = q.filter(pipeline_config::Column::ArtId.eq(id));
    }
    Ok(q.all(db).await?)
}

/// One configuration of an ART by code (case-insensitive), or a clear error listing the known.
pub async fn find_config(
    db: &impl ConnectionTrait,
    art: &art::Model,
    code: &str,
) -> Result<pipeline_config::Model> {
    let configs = configs_of(db, Some(art.id)).await?;
    let known = configs
        .iter()
        .map(|c| c.code.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    configs
        .into_iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .ok_or_else(|| ReadError::UnknownConfig {
            art: art.abbreviation.clone(),
            code: code.to_owned(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known
            },
        })
}

pub fn spec_of(c: &pipeline_config::Model) -> Result<PipelineSpec> {
    serde_json::from_str(&c.spec)
        .map_err(|e| ReadError::Corrupt(format!("configuration {}: {e}", c.code)))
}

pub fn config_view(c: &pipeline_config::Model, art: &str) -> Result<ConfigView> {
    Ok(ConfigView {
        code: c.code.clone(),
        name: c.name.clone(),
        art: art.to_owned(),
        rule: c.rule.clone(),
        spec: serde_json::from_str(&c.spec)
            .map_err(|e| ReadError::Corrupt(format!("configuration {}: {e}", c.code)))?,
    })
}

pub async fn art_list(db: &impl ConnectionTrait) -> Result<ArtList> {
    let arts = arts(db).await?;
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    for c in configs_of(db, None).await? {
        codes.entry(c.art_id).or_default().push(c.code);
    }
    Ok(ArtList {
        arts: arts
            .into_iter()
            .map(|a| ArtSummary {
                configs: codes.remove(&a.id).unwrap_or_default(),
                abbreviation: a.abbreviation,
                name: a.name,
                program_key: a.program_key,
                team_key: a.team_key,
            })
            .collect(),
    })
}

pub async fn art_detail(db: &impl ConnectionTrait, art: &art::Model) -> Result<ArtDetail> {
    let configs = configs_of(db, Some(art.id))
        .await?
        .iter()
        .map(|c| config_view(c, &art.abbreviation))
        .collect::<Result<Vec<_>>>()?;
    Ok(ArtDetail {
        abbreviation: art.abbreviation.clone(),
        name: art.name.clone(),
        program_key: art.program_key.clone(),
        team_key: art.team_key.clone(),
        configs,
    })
}

pub async fn config_list(db: &impl ConnectionTrait) -> Result<ConfigList> {
    let abbr: HashMap<i64, String> = arts(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.abbreviation))
        .collect();
    let configs = configs_of(db, None)
        .await?
        .iter()
        .map(|c| config_view(c, abbr.get(&c.art_id).map_or("", String::as_str)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ConfigList { configs })
}

fn empty_aggregate(config_id: i64) -> pipeline_aggregate::Model {
    pipeline_aggregate::Model {
        config_id,
        count: 0,
        sum_lead_ms: 0,
        sum_active_ms: 0,
        min_lead_ms: None,
        min_issue: None,
        max_lead_ms: None,
        max_issue: None,
        wip: 0,
        never_active: 0,
        unknown_start: 0,
        not_started: 0,
        invalid: 0,
        below_threshold: 0,
        updated_at_ms: 0,
        version: 0,
    }
}

/// The counted lead times of a configuration, ascending (an index read).
pub async fn counted_leads(db: &impl ConnectionTrait, config_id: i64) -> Result<Vec<i64>> {
    let leads: Vec<Option<i64>> = lead_time_fact::Entity::find()
        .select_only()
        .column(lead_time_fact::Column::LeadMs)
        .filter(lead_time_fact::Column::ConfigId.eq(config_id))
        .filter(lead_time_fact::Column::Outcome.eq(Outcome::Counted.as_str()))
        .order_by_asc(lead_time_fact::Column::LeadMs)
        .into_tuple()
        .all(db)
        .await?;
    Ok(leads.into_iter().flatten().collect())
}

/// The current figures of one configuration.
pub async fn pipeline_figures(
    db: &impl ConnectionTrait,
    c: &pipeline_config::Model,
) -> Result<PipelineFigures> {
    let spec = spec_of(c)?;
    let agg = pipeline_aggregate::Entity::find_by_id(c.id)
        .one(db)
        .await?
        .unwrap_or_else(|| empty_aggregate(c.id));
    let leads = counted_leads(db, c.id).await?;
    let pct = |p: f64| nearest_rank(&leads, p).map(days);
    // The arithmetic of the figures is the domain's, over the stored aggregate.
    let figures = processor::store::to_domain(&agg);
    Ok(PipelineFigures {
        code: c.code.clone(),
        name: c.name.clone(),
        rule: c.rule.clone(),
        count: agg.count,
        wip: agg.wip,
        min_days: agg.min_lead_ms.map(days),
        min_issue: agg.min_issue.clone(),
        max_days: agg.max_lead_ms.map(days),
        max_issue: agg.max_issue.clone(),
        mean_days: figures.mean_days(),
        flow_efficiency: figures.flow_efficiency(spec.has_active_stages()),
        p50_days: pct(50.0),
        p85_days: pct(85.0),
        p95_days: pct(95.0),
        not_counted: NotCounted {
            not_started: agg.not_started,
            never_active: agg.never_active,
            unknown_start: agg.unknown_start,
            invalid: agg.invalid,
            below_threshold: agg.below_threshold,
        },
        updated_at_ms: agg.updated_at_ms,
    })
}

/// The figures of the issues completed in a window, from the facts (indexed by end), through
/// the domain's aggregate arithmetic; WIP and not-started stay the current ones.
pub async fn window_figures(
    db: &impl ConnectionTrait,
    c: &pipeline_config::Model,
    current: PipelineFigures,
    window: Window,
) -> Result<PipelineFigures> {
    use lead_time_fact::Column as F;
    let spec = spec_of(c)?;
    let (from, to) = window.end_range();
    let mut q = lead_time_fact::Entity::find()
        .select_only()
        .column(F::IssueKey)
        .column(F::Outcome)
        .column(F::LeadMs)
        .column(F::ActiveMs)
        .filter(F::ConfigId.eq(c.id))
        .filter(F::EndMs.is_not_null());
    if let Some(from) = from {
        q = q.filter(F::EndMs.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(F::EndMs.lt(to));
    }
    let rows: Vec<(String, String, Option<i64>, Option<i64>)> = q.into_tuple().all(db).await?;
    let mut contributions = Vec::with_capacity(rows.len());
    for (key, outcome, lead_ms, active_ms) in rows {
        let outcome = Outcome::parse(&outcome)
            .ok_or_else(|| ReadError::Corrupt(format!("outcome {outcome:?} of {key}")))?;
        contributions.push(domain::Contribution {
            key,
            outcome,
            lead_ms,
            active_ms,
        });
    }
    let agg = domain::Aggregate::of(&contributions);
    let mut leads: Vec<i64> = contributions
        .iter()
        .filter(|c| c.outcome == Outcome::Counted)
        .filter_map(|c| c.lead_ms)
        .collect();
    leads.sort_unstable();
    let pct = |p: f64| nearest_rank(&leads, p).map(days);
    Ok(PipelineFigures {
        count: agg.count,
        min_days: agg.min.as_ref().map(|e| days(e.lead_ms)),
        min_issue: agg.min.as_ref().map(|e| e.key.clone()),
        max_days: agg.max.as_ref().map(|e| days(e.lead_ms)),
        max_issue: agg.max.as_ref().map(|e| e.key.clone()),
        mean_days: agg.mean_days(),
        flow_efficiency: agg.flow_efficiency(spec.has_active_stages()),
        p50_days: pct(50.0),
        p85_days: pct(85.0),
        p95_days: pct(95.0),
        not_counted: NotCounted {
            never_active: agg.never_active,
            unknown_start: agg.unknown_start,
            invalid: agg.invalid,
            below_threshold: agg.below_threshold,
            ..current.not_counted
        },
        ..current
    })
}

pub async fn efficiency(
    db: &impl ConnectionTrait,
    art: &art::Model,
    window: Window,
) -> Result<Efficiency> {
    window.check()?;
    let mut pipelines = Vec::new();
    for c in configs_of(db, Some(art.id)).await? {
        let mut figures = pipeline_figures(db, &c).await?;
        if !window.is_open() {
            figures = window_figures(db, &c, figures, window).await?;
        }
        pipelines.push(figures);
    }
    let as_of = pipelines
        .iter()
        .map(|p| p.updated_at_ms)
        .max()
        .filter(|ms| *ms > 0)
        .and_then(time);
    Ok(Efficiency {
        art: art.abbreviation.clone(),
        window,
        as_of,
        pipelines,
    })
}

/// The daily rows of an ART's configurations (or one of them) between two UTC days, inclusive.
pub async fn history(
    db: &impl ConnectionTrait,
    art: &art::Model,
    from: NaiveDate,
    to: NaiveDate,
    code: Option<&str>,
) -> Result<History> {
    if from > to {
        return Err(ReadError::BadQuery(format!("from={from} is after to={to}")));
    }
    let configs = match code {
        Some(code) => vec![find_config(db, art, code).await?],
        None => configs_of(db, Some(art.id)).await?,
    };
    let mut rows = Vec::new();
    let by_id: HashMap<i64, &pipeline_config::Model> = configs.iter().map(|c| (c.id, c)).collect();
    let active: HashMap<i64, bool> = configs
        .iter()
        .map(|c| Ok((c.id, spec_of(c)?.has_active_stages())))
        .collect::<Result<_>>()?;
    if !configs.is_empty() {
        let days_rows = pipeline_daily::Entity::find()
            .filter(pipeline_daily::Column::ConfigId.is_in(configs.iter().map(|c| c.id)))
            .filter(pipeline_daily::Column::Day.gte(from.format("%Y-%m-%d").to_string()))
            .filter(pipeline_daily::Column::Day.lte(to.format("%Y-%m-%d").to_string()))
            .order_by_asc(pipeline_daily::Column::Day)
            .all(db)
            .await?;
        for d in days_rows {
            let c = by_id[&d.config_id];
            let figures = processor::store::to_domain(&daily_as_aggregate(&d));
            rows.push(HistoryDay {
                code: c.code.clone(),
                count: d.count,
                wip: d.wip,
                min_days: d.min_lead_ms.map(days),
                min_issue: d.min_issue.clone(),
                max_days: d.max_lead_ms.map(days),
                max_issue: d.max_issue.clone(),
                mean_days: figures.mean_days(),
                flow_efficiency: figures.flow_efficiency(active[&d.config_id]),
                not_counted: NotCounted {
                    not_started: d.not_started,
                    never_active: d.never_active,
                    unknown_start: d.unknown_start,
                    invalid: d.invalid,
                    below_threshold: d.below_threshold,
                },
                day: d.day,
            });
        }
        rows.sort_by(|a, b| (&a.day, &a.code).cmp(&(&b.day, &b.code)));
    }
    Ok(History {
        art: art.abbreviation.clone(),
        from: from.to_string(),
        to: to.to_string(),
        days: rows,
    })
}

fn daily_as_aggregate(d: &pipeline_daily::Model) -> pipeline_aggregate::Model {
    pipeline_aggregate::Model {
        config_id: d.config_id,
        count: d.count,
        sum_lead_ms: d.sum_lead_ms,
        sum_active_ms: d.sum_active_ms,
        min_lead_ms: d.min_lead_ms,
        min_issue: d.min_issue.clone(),
        max_lead_ms: d.max_lead_ms,
        max_issue: d.max_issue.clone(),
        wip: d.wip,
        never_active: d.never_active,
        unknown_start: d.unknown_start,
        not_started: d.not_started,
        invalid: d.invalid,
        below_threshold: d.below_threshold,
        updated_at_ms: d.updated_at_ms,
        version: 0,
    }
}

fn encode_cursor(last_id: i64) -> String {
    format!("{last_id:x}")
}

fn decode_cursor(cursor: &str) -> Result<i64> {
    i64::from_str_radix(cursor, 16)
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(|| {
            ReadError::BadQuery(format!(
                "cursor={cursor:?} is not a cursor this API gave out (use next_cursor as it is)"
            ))
        })
}

fn issue_row(f: lead_time_fact::Model) -> IssueRow {
    IssueRow {
        key: f.issue_key,
        issue_type: f.issue_type,
        outcome: f.outcome,
        start: f.start_ms.and_then(time),
        end: f.end_ms.and_then(time),
        lead_days: f.lead_ms.map(days),
        active_days: f.active_ms.map(days),
        reopens: f.reopens,
        note: f.note,
    }
}

/// One page of a configuration's issues, in a stable order.
pub async fn issues(
    db: &impl ConnectionTrait,
    art: &art::Model,
    config: &pipeline_config::Model,
    filter: &IssueFilter,
) -> Result<IssuePage> {
    use lead_time_fact::Column as F;
    let mut q = lead_time_fact::Entity::find()
        .filter(F::ConfigId.eq(config.id))
        .order_by_asc(F::Id);
    filter.window.check()?;
    let (from, to) = filter.window.end_range();
    if let Some(from) = from {
        q = q.filter(F::EndMs.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(F::EndMs.lt(to));
    }
    if let Some(outcome) = filter.outcome {
        q = q.filter(F::Outcome.eq(outcome.as_str()));
    }
    if let Some(cursor) = &filter.cursor {
        q = q.filter(F::Id.gt(decode_cursor(cursor)?));
    }
    if let Some(limit) = filter.limit {
        q = q.limit(limit + 1);
    }
    let mut facts = q.all(db).await?;
    let next_cursor = match filter.limit {
        Some(limit) if facts.len() as u64 > limit => {
            facts.truncate(limit as usize);
            facts.last().map(|f| encode_cursor(f.id))
        }
        _ => None,
    };
    Ok(IssuePage {
        art: art.abbreviation.clone(),
        config: config.code.clone(),
        issues: facts.into_iter().map(issue_row).collect(),
        next_cursor,
    })
}

/// Every stored issue with this key, with its transitions and outcomes.
pub async fn timeline(db: &impl ConnectionTrait, key: &str) -> Result<Timelines> {
    let found = issue::Entity::find()
        .filter(issue::Column::IssueKey.eq(key))
        .order_by_asc(issue::Column::Site)
        .all(db)
        .await?;
    if found.is_empty() {
        return Err(ReadError::UnknownIssue(key.to_owned()));
    }
    let configs: HashMap<i64, pipeline_config::Model> = configs_of(db, None)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let abbr: HashMap<i64, String> = arts(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.abbreviation))
        .collect();
    let mut out = Vec::with_capacity(found.len());
    for i in found {
        let transitions = status_transition::Entity::find()
            .filter(status_transition::Column::IssueId.eq(i.id))
            .all(db)
            .await?;
        let mut transitions: Vec<_> = transitions
            .into_iter()
            .map(|t| {
                let order = (
                    t.at_ms,
                    t.history_id.parse::<i64>().unwrap_or(0),
                    t.item_pos,
                );
                (
                    order,
                    TimelineTransition {
                        at: time(t.at_ms),
                        from: t.from_status,
                        to: t.to_status,
                        history_id: t.history_id,
                    },
                )
            })
            .collect();
        transitions.sort_by_key(|(order, _)| *order);
        let mut outcomes: Vec<TimelineOutcome> = lead_time_fact::Entity::find()
            .filter(lead_time_fact::Column::IssueId.eq(i.id))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|f| {
                let c = configs.get(&f.config_id)?;
                Some(TimelineOutcome {
                    art: abbr.get(&c.art_id).cloned().unwrap_or_default(),
                    config: c.code.clone(),
                    outcome: f.outcome,
                    start: f.start_ms.and_then(time),
                    end: f.end_ms.and_then(time),
                    lead_days: f.lead_ms.map(days),
                    active_days: f.active_ms.map(days),
                    reopens: f.reopens,
                    note: f.note,
                })
            })
            .collect();
        outcomes.sort_by(|a, b| a.config.cmp(&b.config));
        out.push(IssueTimeline {
            key: i.issue_key,
            site: i.site,
            jira_id: i.jira_id,
            project: i.project_key,
            issue_type: i.issue_type,
            status: i.status_name,
            deleted: i.deleted_at_ms.is_some(),
            created: i.created_ms.and_then(time),
            created_status: i.creation_status,
            transitions: transitions.into_iter().map(|(_, t)| t).collect(),
            outcomes,
        });
    }
    Ok(Timelines { issues: out })
}

pub async fn legacy_arts(db: &impl ConnectionTrait) -> Result<Vec<LegacyArt>> {
    Ok(arts(db)
        .await?
        .into_iter()
        .map(|a| LegacyArt {
            id: a.id,
            name: a.name,
            abbreviation: a.abbreviation,
            jira_program_level_key: a.program_key,
            jira_team_level_key: a.team_key,
        })
        .collect())
}

pub async fn legacy_configs(db: &impl ConnectionTrait) -> Result<Vec<LegacyConfig>> {
    let arts: HashMap<i64, art::Model> = arts(db).await?.into_iter().map(|a| (a.id, a)).collect();
    let mut out = Vec::new();
    for c in configs_of(db, None).await? {
        let Some(a) = arts.get(&c.art_id) else {
            continue;
        };
        out.push(LegacyConfig {
            art_id: a.id,
            config_id: c.id,
            name: c.name,
            code: c.code,
            start_field_key: c.start_field,
            end_field_key: c.end_field,
            jira_program_level_key: a.program_key.clone(),
            jira_team_level_key: a.team_key.clone(),
        });
    }
    out.sort_by_key(|c| c.config_id);
    Ok(out)
}

/// Whole days, truncated toward zero, as the old job's integer columns held them.
fn whole_days(ms: i64) -> i64 {
    ms / MS_PER_DAY
}

pub async fn legacy_efficiency(
    db: &impl ConnectionTrait,
    art: &art::Model,
) -> Result<Vec<LegacyEfficiency>> {
    let configs = configs_of(db, Some(art.id)).await?;
    let mut out = Vec::new();
    for c in &configs {
        // The counted issues by end, to list those ended on or before each day.
        let mut ended: Vec<(i64, String)> = lead_time_fact::Entity::find()
            .select_only()
            .column(lead_time_fact::Column::EndMs)
            .column(lead_time_fact::Column::IssueKey)
            .filter(lead_time_fact::Column::ConfigId.eq(c.id))
            .filter(lead_time_fact::Column::Outcome.eq(Outcome::Counted.as_str()))
            .into_tuple::<(Option<i64>, String)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(end, key)| end.map(|e| (e, key)))
            .collect();
        ended.sort();
        let rows = pipeline_daily::Entity::find()
            .filter(pipeline_daily::Column::ConfigId.eq(c.id))
            .order_by_asc(pipeline_daily::Column::Day)
            .all(db)
            .await?;
        for d in rows {
            let day = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d")
                .map_err(|e| ReadError::Corrupt(format!("history day {:?}: {e}", d.day)))?;
            let before = day_start_ms(day) + MS_PER_DAY;
            let upto = ended.partition_point(|(end, _)| *end < before);
            let mut keys: Vec<&str> = ended[..upto].iter().map(|(_, k)| k.as_str()).collect();
            keys.sort_unstable();
            out.push(LegacyEfficiency {
                art_id: art.id,
                art_name: art.name.clone(),
                art_abbreviation: art.abbreviation.clone(),
                efficiency_id: d.id,
                minimum: d.min_lead_ms.map(whole_days),
                average: (d.count > 0).then(|| whole_days(d.sum_lead_ms / d.count)),
                maximum: d.max_lead_ms.map(whole_days),
                pipeline_efficiency_date: d.day,
                issue_keys: keys.join("|"),
                min_issue_key: d.min_issue,
                max_issue_key: d.max_issue,
                configuration_name: c.name.clone(),
                configuration_code: c.code.clone(),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.pipeline_efficiency_date, &a.configuration_code)
            .cmp(&(&b.pipeline_efficiency_date, &b.configuration_code))
    });
    Ok(out)
}

/// The data version of every ART: it changes whenever anything an ART's reads show changes
/// (an aggregate write, which every fact change brings, or a configuration change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtVersion {
    pub id: i64,
    pub abbreviation: String,
    pub version: u64,
}

/// One query: per ART, a hash of (its row's time, its configurations' count and times, the sum
/// of its aggregates' write counters).
pub async fn versions(db: &impl ConnectionTrait) -> Result<Vec<ArtVersion>> {
    let a = Alias::new("a");
    let c = Alias::new("c");
    let g = Alias::new("g");
    let stmt = Query::select()
        .expr(Expr::col((a.clone(), Alias::new("id"))))
        .expr(Expr::col((a.clone(), Alias::new("abbreviation"))))
        .expr(Expr::col((a.clone(), Alias::new("updated_at_ms"))))
        .expr(Func::count(Expr::col((c.clone(), Alias::new("id")))))
        .expr(Func::coalesce([
            Expr::from(Func::max(Expr::col((
                c.clone(),
                Alias::new("updated_at_ms"),
            )))),
            Expr::val(0i64),
        ]))
        // SUM is DECIMAL on MySQL: cast it back to an integer.
        .expr(Func::coalesce([
            Func::cast_as(
                Func::sum(Expr::col((g.clone(), Alias::new("version")))),
                Alias::new("SIGNED"),
            )
            .into(),
            Expr::val(0i64),
        ]))
        .from_as(Alias::new("art"), a.clone())
        .join_as(
            JoinType::LeftJoin,
            Alias::new("pipeline_config"),
            c.clone(),
            Expr::col((c.clone(), Alias::new("art_id"))).equals((a.clone(), Alias::new("id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            Alias::new("pipeline_aggregate"),
            g.clone(),
            Expr::col((g.clone(), Alias::new("config_id"))).equals((c.clone(), Alias::new("id"))),
        )
        .group_by_columns([
            (a.clone(), Alias::new("id")),
            (a.clone(), Alias::new("abbreviation")),
            (a.clone(), Alias::new("updated_at_ms")),
        ])
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get_by_index(0)?;
        let abbreviation: String = row.try_get_by_index(1)?;
        let updated: i64 = row.try_get_by_index(2)?;
        let configs: i64 = row.try_get_by_index(3)?;
        let config_updated: i64 = row.try_get_by_index(4)?;
        let writes: i64 = row.try_get_by_index(5)?;
        let version = xxhash_rust::xxh3::xxh3_64(
            format!("{id}:{updated}:{configs}:{config_updated}:{writes}").as_bytes(),
        );
        out.push(ArtVersion {
            id,
            abbreviation,
            version,
        });
    }
    Ok(out)
}

/// The time of a day's end, for the `as_of` of a report.
pub fn as_of_string(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Groups issue keys by configuration code (the report's counted list).
pub async fn counted_keys(db: &impl ConnectionTrait, config_id: i64) -> Result<Vec<String>> {
    let mut keys: Vec<String> = lead_time_fact::Entity::find()
        .select_only()
        .column(lead_time_fact::Column::IssueKey)
        .filter(lead_time_fact::Column::ConfigId.eq(config_id))
        .filter(lead_time_fact::Column::Outcome.eq(Outcome::Counted.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    keys.sort();
    Ok(keys)
}

/// A data-quality finding on one issue under one configuration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Finding {
    pub issue: String,
    pub outcome: String,
    pub note: String,
}

/// The notes the processor left on a configuration's issues, by key.
pub async fn findings(db: &impl ConnectionTrait, config_id: i64) -> Result<Vec<Finding>> {
    let mut out: Vec<Finding> = lead_time_fact::Entity::find()
        .filter(lead_time_fact::Column::ConfigId.eq(config_id))
        .filter(lead_time_fact::Column::Note.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|f| Finding {
            issue: f.issue_key,
            outcome: f.outcome,
            note: f.note.unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| a.issue.cmp(&b.issue));
    Ok(out)
}

/// The configurations of each ART, in one map (for reports over every ART).
pub async fn configs_by_art(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<i64, Vec<pipeline_config::Model>>> {
    let mut out: BTreeMap<i64, Vec<pipeline_config::Model>> = BTreeMap::new();
    for c in configs_of(db, None).await? {
        out.entry(c.art_id).or_default().push(c);
    }
    Ok(out)
}
