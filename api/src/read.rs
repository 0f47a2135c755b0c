//! The read queries: what every endpoint and `artflow report` show, read from what the processor
//! stored. Every query is built with bound parameters; nothing from a request is spliced into SQL.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use domain::time::{MS_PER_DAY, days};
use domain::{Outcome, PipelineSpec};
use entities::status_transition;
use entities::{art, issue, lead_time_fact, pipeline_aggregate, pipeline_config, pipeline_daily};
use ingest::http::shorten;
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
            "{name}={:?} is not a date; write YYYY-MM-DD, e.g. 2026-03-01",
            shorten(value)
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
    /// The configuration as its `[[art.pipeline]]` table is written in the TOML file: `code`,
    /// `name`, `rule` (`"status"` or `"field"`), `issue_types`, `min_lead_time_days`,
    /// `exclude_resolutions`, and `start_field`/`end_field` or `stages` (a name, or
    /// `{ "name", "id" }` / `{ "name", "ids" }` for a stage given by Jira status id), `start`,
    /// `done`, `active`, `restart_on_uncommit`; keys not set are left out.
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
    /// Done with a resolution the configuration excludes (`exclude_resolutions`).
    pub cancelled: i64,
}

/// Completions in one ISO week.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct WeekCount {
    /// `2026-W07`
    pub week: String,
    pub count: i64,
}

/// Issues completed (counted, straight to done, unknown start or below the threshold; not
/// cancelled), by the ISO week of their end: every week from the first completion's to the
/// last one's, weeks without a completion as 0.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Throughput {
    pub total: i64,
    pub weeks: Vec<WeekCount>,
}

/// Rework over the covered issues.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Rework {
    /// Moves from a done status back to a non-done one.
    pub reopens: i64,
    /// Moves to an earlier stage, reopens included.
    pub backward_moves: i64,
    /// Completed issues whose final completion came after an earlier one.
    pub reworked: i64,
    /// Their mean time from first to final completion.
    pub mean_rework_days: Option<f64>,
}

/// Completed issues by issue type; cancelled ones apart.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Distribution {
    pub by_type: BTreeMap<String, i64>,
    pub cancelled: i64,
}

/// One started, unfinished issue and its age.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct AgingIssue {
    pub key: String,
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    /// Null when the history does not say when it started.
    pub start: Option<String>,
    pub age_days: Option<f64>,
    /// Older than the service level expectation (the configuration's p85 lead time).
    pub over_sle: bool,
}

/// Work in progress with its ages, the oldest first.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Aging {
    /// The instant the ages are measured at (the start of the current UTC hour).
    pub as_of: String,
    /// The service level expectation: the p85 lead time of the counted issues.
    pub sle_days: Option<f64>,
    pub over_sle: i64,
    pub issues: Vec<AgingIssue>,
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
    /// Nearest-rank percentiles of the counted lead times, within 0.5% of the exact value
    /// (a removable logarithmic sketch; see docs/semantics.md).
    pub p50_days: Option<f64>,
    pub p70_days: Option<f64>,
    pub p85_days: Option<f64>,
    pub p95_days: Option<f64>,
    /// Population standard deviation of the counted lead times.
    pub stddev_days: Option<f64>,
    pub not_counted: NotCounted,
    pub throughput: Throughput,
    pub rework: Rework,
    pub distribution: Distribution,
    pub aging: Aging,
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
    pub p50_days: Option<f64>,
    pub p70_days: Option<f64>,
    pub p85_days: Option<f64>,
    pub p95_days: Option<f64>,
    pub stddev_days: Option<f64>,
    pub not_counted: NotCounted,
    /// Completions up to that day (all time).
    pub completed: i64,
    pub rework: Rework,
    pub distribution: Distribution,
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
    /// Moves to an earlier stage, reopens included.
    pub backward_moves: i32,
    /// The first completion, where it came before the final one (`end`).
    pub first_end: Option<String>,
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
        .ok_or_else(|| ReadError::UnknownArt(shorten(abbreviation).into_owned()))
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
            code: shorten(code).into_owned(),
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
        spec: serde_json::to_value(spec_of(c)?.as_written(&c.code, &c.name))
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

fn corrupt(e: processor::ProcessError) -> ReadError {
    ReadError::Corrupt(e.to_string())
}

fn rework_of(a: &domain::Aggregate) -> Rework {
    Rework {
        reopens: a.reopens,
        backward_moves: a.backward_moves,
        reworked: a.reworked,
        mean_rework_days: a.mean_rework_days(),
    }
}

fn distribution_of(a: &domain::Aggregate) -> Distribution {
    Distribution {
        by_type: a.by_type.clone(),
        cancelled: a.cancelled,
    }
}

/// The start of the current UTC hour: the instant ages are measured at (and part of the cache
/// key of the figures, so ages move on by the hour).
pub fn aging_as_of(now: DateTime<Utc>) -> i64 {
    let ms = now.timestamp_millis();
    ms - ms.rem_euclid(3_600_000)
}

/// The started, unfinished issues of a configuration, the oldest first (unknown starts last).
pub async fn aging(
    db: &impl ConnectionTrait,
    config_id: i64,
    sle_days: Option<f64>,
    as_of_ms: i64,
) -> Result<Aging> {
    use lead_time_fact::Column as F;
    let rows: Vec<(String, Option<String>, Option<i64>)> = lead_time_fact::Entity::find()
        .select_only()
        .column(F::IssueKey)
        .column(F::IssueType)
        .column(F::StartMs)
        .filter(F::ConfigId.eq(config_id))
        .filter(F::Outcome.eq(Outcome::InProgress.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let mut issues: Vec<AgingIssue> = rows
        .into_iter()
        .map(|(key, issue_type, start)| {
            let age_days = start.map(|s| days(Ord::max(as_of_ms - s, 0)));
            AgingIssue {
                over_sle: matches!((age_days, sle_days), (Some(a), Some(s)) if a > s),
                key,
                issue_type,
                start: start.and_then(time),
                age_days,
            }
        })
        .collect();
    issues.sort_by(|a, b| {
        b.age_days
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.age_days.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(Aging {
        as_of: time(as_of_ms).unwrap_or_default(),
        sle_days,
        over_sle: issues.iter().filter(|i| i.over_sle).count() as i64,
        issues,
    })
}

/// A configuration's figures from its domain aggregate (stored, or computed over a window).
async fn figures_of(
    db: &impl ConnectionTrait,
    c: &pipeline_config::Model,
    agg: &domain::Aggregate,
    updated_at_ms: i64,
    as_of_ms: i64,
) -> Result<PipelineFigures> {
    let spec = spec_of(c)?;
    let p85 = agg.percentile_days(85.0);
    Ok(PipelineFigures {
        code: c.code.clone(),
        name: c.name.clone(),
        rule: c.rule.clone(),
        count: agg.count,
        wip: agg.wip,
        min_days: agg.min.as_ref().map(|e| days(e.lead_ms)),
        min_issue: agg.min.as_ref().map(|e| e.key.clone()),
        max_days: agg.max.as_ref().map(|e| days(e.lead_ms)),
        max_issue: agg.max.as_ref().map(|e| e.key.clone()),
        mean_days: agg.mean_days(),
        flow_efficiency: agg.flow_efficiency(spec.has_active_stages()),
        p50_days: agg.percentile_days(50.0),
        p70_days: agg.percentile_days(70.0),
        p85_days: p85,
        p95_days: agg.percentile_days(95.0),
        stddev_days: agg.stddev_days(),
        not_counted: NotCounted {
            not_started: agg.not_started,
            never_active: agg.never_active,
            unknown_start: agg.unknown_start,
            invalid: agg.invalid,
            below_threshold: agg.below_threshold,
            cancelled: agg.cancelled,
        },
        throughput: Throughput {
            total: agg.throughput.values().sum(),
            weeks: domain::aggregate::weeks_with_zeros(&agg.throughput)
                .into_iter()
                .map(|(week, count)| WeekCount { week, count })
                .collect(),
        },
        rework: rework_of(agg),
        distribution: distribution_of(agg),
        aging: aging(db, c.id, p85, as_of_ms).await?,
        updated_at_ms,
    })
}

/// The current figures of one configuration; ages as of `as_of_ms`.
pub async fn pipeline_figures(
    db: &impl ConnectionTrait,
    c: &pipeline_config::Model,
    as_of_ms: i64,
) -> Result<PipelineFigures> {
    let (agg, updated_at_ms) = match pipeline_aggregate::Entity::find_by_id(c.id).one(db).await? {
        Some(row) => (
            processor::store::to_domain(&row).map_err(corrupt)?,
            row.updated_at_ms,
        ),
        None => (domain::Aggregate::default(), 0),
    };
    figures_of(db, c, &agg, updated_at_ms, as_of_ms).await
}

/// The figures of the issues completed in a window, from the facts (indexed by end), through
/// the domain's aggregate arithmetic; WIP, not-started and the ages stay the current ones.
pub async fn window_figures(
    db: &impl ConnectionTrait,
    c: &pipeline_config::Model,
    current: PipelineFigures,
    window: Window,
) -> Result<PipelineFigures> {
    use lead_time_fact::Column as F;
    let (from, to) = window.end_range();
    let mut q = lead_time_fact::Entity::find()
        .filter(F::ConfigId.eq(c.id))
        .filter(F::EndMs.is_not_null());
    if let Some(from) = from {
        q = q.filter(F::EndMs.gte(from));
    }
    if let Some(to) = to {
        q = q.filter(F::EndMs.lt(to));
    }
    let contributions = q
        .all(db)
        .await?
        .iter()
        .map(processor::store::stored_contribution)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    let mut agg = domain::Aggregate::of(&contributions);
    // WIP and not started are current, not windowed; the ages are the current ones.
    agg.wip = current.wip;
    agg.not_started = current.not_counted.not_started;
    let mut figures = figures_of(db, c, &agg, current.updated_at_ms, 0).await?;
    figures.aging = current.aging;
    Ok(figures)
}

pub async fn efficiency(
    db: &impl ConnectionTrait,
    art: &art::Model,
    window: Window,
) -> Result<Efficiency> {
    window.check()?;
    let mut pipelines = Vec::new();
    let as_of_ms = aging_as_of(Utc::now());
    for c in configs_of(db, Some(art.id)).await? {
        let mut figures = pipeline_figures(db, &c, as_of_ms).await?;
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
            let figures = processor::store::to_domain(&daily_as_aggregate(&d)).map_err(corrupt)?;
            let ms_days = |v: Option<f64>| v.map(|ms| ms / MS_PER_DAY as f64);
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
                p50_days: ms_days(d.p50_ms),
                p70_days: ms_days(d.p70_ms),
                p85_days: ms_days(d.p85_ms),
                p95_days: ms_days(d.p95_ms),
                stddev_days: ms_days(d.stddev_ms),
                not_counted: NotCounted {
                    not_started: d.not_started,
                    never_active: d.never_active,
                    unknown_start: d.unknown_start,
                    invalid: d.invalid,
                    below_threshold: d.below_threshold,
                    cancelled: d.cancelled,
                },
                completed: d.completed,
                rework: rework_of(&figures),
                distribution: distribution_of(&figures),
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
        p50_ms: d.p50_ms,
        p70_ms: d.p70_ms,
        p85_ms: d.p85_ms,
        p95_ms: d.p95_ms,
        stddev_ms: d.stddev_ms,
        cancelled: d.cancelled,
        reopens: d.reopens,
        backward_moves: d.backward_moves,
        reworked: d.reworked,
        sum_rework_ms: d.sum_rework_ms,
        completed: d.completed,
        by_type: d.by_type.clone(),
        sum_sq_lead: "0".into(),
        sketch: None,
        throughput: None,
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
                "cursor={:?} is not a cursor this API gave out (use next_cursor as it is)",
                shorten(cursor)
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
        backward_moves: f.backward_moves,
        first_end: f
            .first_end_ms
            .filter(|first| f.end_ms.is_some_and(|end| end > *first))
            .and_then(time),
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

/// Every stored issue with this key, with its transitions and outcomes. Keys match in any
/// letter case: Jira's are upper-case (`ut-3` finds `UT-3`).
pub async fn timeline(db: &impl ConnectionTrait, key: &str) -> Result<Timelines> {
    let key = key.trim();
    // As given, upper-case (Jira's) or lower-case: each an index lookup.
    let mut spellings = vec![
        key.to_owned(),
        key.to_ascii_uppercase(),
        key.to_ascii_lowercase(),
    ];
    spellings.sort();
    spellings.dedup();
    let found = issue::Entity::find()
        .filter(issue::Column::IssueKey.is_in(spellings))
        .order_by_asc(issue::Column::Site)
        .all(db)
        .await?;
    if found.is_empty() {
        return Err(ReadError::UnknownIssue(shorten(key).into_owned()));
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
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// A status seen on an ART's issues that a configuration does not map.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StatusCount {
    pub status: String,
    /// Jira's status id, where the changelog gave one.
    pub id: Option<String>,
    /// How many of the configuration's issues were in it at some time.
    pub issues: i64,
}

/// A Jira project whose issues are stored but that no ART owns.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ProjectCount {
    pub project: String,
    pub issues: i64,
}

/// The data-quality findings of one configuration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfigQuality {
    pub code: String,
    pub rule: String,
    /// Statuses of its issues that its stages do not map (status rule): time in them belongs to
    /// the stage before.
    pub unmapped_statuses: Vec<StatusCount>,
    /// Done, but when they started is not known (an incomplete history, or no start value).
    pub unknown_start: Vec<Finding>,
    /// Field rule: the end date is before the start date.
    pub end_before_start: Vec<Finding>,
    /// Field rule: a date value that could not be read (it counts as unset).
    pub unreadable_values: Vec<Finding>,
    /// Went straight to done: never active, not counted.
    pub never_active: Vec<String>,
}

/// `GET /arts/{abbr}/data-quality` and `artflow report --quality`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DataQuality {
    pub art: String,
    pub configs: Vec<ConfigQuality>,
    /// Projects with stored issues that no ART owns (store-wide): their issues count nowhere.
    pub unowned_projects: Vec<ProjectCount>,
}

/// An issue id with four optional text columns, as read by [`data_quality`].
type IdAndFour = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The data-quality findings of an ART's configurations.
pub async fn data_quality(db: &impl ConnectionTrait, art: &art::Model) -> Result<DataQuality> {
    use lead_time_fact::Column as F;
    let configs = configs_of(db, Some(art.id)).await?;
    let keys: Vec<String> = std::iter::once(&art.program_key)
        .chain(art.team_key.as_ref())
        .map(|k| k.to_ascii_uppercase())
        .collect();
    // The ART's issues and every status they were in, for the unmapped statuses.
    let issues: Vec<IdAndFour> = issue::Entity::find()
        .select_only()
        .column(issue::Column::Id)
        .column(issue::Column::IssueType)
        .column(issue::Column::StatusName)
        .column(issue::Column::StatusId)
        .column(issue::Column::CreationStatus)
        .filter(issue::Column::ProjectKey.is_in(keys))
        .filter(issue::Column::DeletedAtMs.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let mut seen: BTreeMap<i64, Vec<(String, Option<String>)>> = BTreeMap::new();
    for (id, _, status, status_id, creation) in &issues {
        let list = seen.entry(*id).or_default();
        list.extend(status.clone().map(|s| (s, status_id.clone())));
        list.extend(creation.clone().map(|s| (s, None)));
    }
    let ids: Vec<i64> = issues.iter().map(|i| i.0).collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<IdAndFour> = status_transition::Entity::find()
            .select_only()
            .column(status_transition::Column::IssueId)
            .column(status_transition::Column::FromStatus)
            .column(status_transition::Column::FromStatusId)
            .column(status_transition::Column::ToStatus)
            .column(status_transition::Column::ToStatusId)
            .filter(status_transition::Column::IssueId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, from, from_id, to, to_id) in rows {
            let list = seen.entry(id).or_default();
            list.extend(from.map(|s| (s, from_id)));
            list.extend(to.map(|s| (s, to_id)));
        }
    }
    let types: HashMap<i64, Option<&str>> = issues.iter().map(|i| (i.0, i.1.as_deref())).collect();

    let mut out = Vec::with_capacity(configs.len());
    for c in &configs {
        let spec = spec_of(c)?;
        let mut unmapped: BTreeMap<String, (Option<String>, std::collections::BTreeSet<i64>)> =
            BTreeMap::new();
        if let domain::Rule::Status(rule) = &spec.rule {
            for (id, statuses) in &seen {
                if !spec.covers_type(types.get(id).copied().flatten()) {
                    continue;
                }
                for (name, status_id) in statuses {
                    if rule
                        .stage_of_status(Some(name), status_id.as_deref())
                        .is_none()
                    {
                        let e = unmapped.entry(name.trim().to_owned()).or_default();
                        if e.0.is_none() {
                            e.0 = status_id.clone();
                        }
                        e.1.insert(*id);
                    }
                }
            }
        }
        let noted: Vec<lead_time_fact::Model> = lead_time_fact::Entity::find()
            .filter(F::ConfigId.eq(c.id))
            .filter(
                F::Note
                    .is_not_null()
                    .or(F::Outcome.eq(Outcome::NeverActive.as_str()))
                    .or(F::Outcome.eq(Outcome::UnknownStart.as_str()))
                    .or(F::Outcome.eq(Outcome::Invalid.as_str())),
            )
            .order_by_asc(F::IssueKey)
            .all(db)
            .await?;
        let finding = |f: &lead_time_fact::Model| Finding {
            issue: f.issue_key.clone(),
            outcome: f.outcome.clone(),
            note: f.note.clone().unwrap_or_default(),
        };
        let is = |f: &lead_time_fact::Model, o: Outcome| f.outcome == o.as_str();
        let field_rule = matches!(spec.rule, domain::Rule::Field { .. });
        out.push(ConfigQuality {
            code: c.code.clone(),
            rule: c.rule.clone(),
            unmapped_statuses: unmapped
                .into_iter()
                .map(|(status, (id, issues))| StatusCount {
                    status,
                    id,
                    issues: issues.len() as i64,
                })
                .collect(),
            unknown_start: noted
                .iter()
                .filter(|f| is(f, Outcome::UnknownStart))
                .map(finding)
                .collect(),
            end_before_start: noted
                .iter()
                .filter(|f| is(f, Outcome::Invalid))
                .map(finding)
                .collect(),
            unreadable_values: noted
                .iter()
                .filter(|f| field_rule && f.note.is_some() && !is(f, Outcome::Invalid))
                .map(finding)
                .collect(),
            never_active: noted
                .iter()
                .filter(|f| is(f, Outcome::NeverActive))
                .map(|f| f.issue_key.clone())
                .collect(),
        });
    }
    Ok(DataQuality {
        art: art.abbreviation.clone(),
        configs: out,
        unowned_projects: unowned_projects(db).await?,
    })
}

/// Projects with stored (not deleted) issues that no ART owns, with their issue counts.
pub async fn unowned_projects(db: &impl ConnectionTrait) -> Result<Vec<ProjectCount>> {
    let arts = arts(db).await?;
    let counts: Vec<(Option<String>, i64)> = issue::Entity::find()
        .select_only()
        .column(issue::Column::ProjectKey)
        .column_as(issue::Column::Id.count(), "n")
        .filter(issue::Column::DeletedAtMs.is_null())
        .group_by(issue::Column::ProjectKey)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<ProjectCount> = counts
        .into_iter()
        .filter_map(|(p, n)| {
            let p = p.unwrap_or_else(|| "(none)".into());
            let owned = arts
                .iter()
                .any(|a| domain::config::owns_project(&a.program_key, a.team_key.as_deref(), &p));
            (!owned).then_some(ProjectCount {
                project: p,
                issues: n,
            })
        })
        .collect();
    out.sort_by(|a, b| a.project.cmp(&b.project));
    Ok(out)
}
