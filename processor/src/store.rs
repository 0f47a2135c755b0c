//! Reads and writes of the store that applying events and rebuilding configurations share.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use domain::rules::{self, IssueState, Outcome};
use domain::{Aggregate, Contribution, Extreme, Fact, PipelineSpec, Transition};
use entities::{
    art, issue, lead_time_fact, pipeline_aggregate, pipeline_config, pipeline_daily,
    status_transition,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::ProcessError;

/// Begins a write transaction. On MySQL it reads committed data: once a processor holds an
/// issue's row lock, its reads of that issue's transitions and facts see what the previous
/// holder committed (REPEATABLE READ would show a snapshot from before the lock was granted, and
/// aggregates would move by a stale difference). On SQLite it takes the write lock at once, so
/// that two processes never deadlock upgrading a read.
pub async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, ProcessError> {
    use sea_orm::{
        DbBackend, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    };
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        },
        _ => TransactionOptions {
            isolation_level: Some(IsolationLevel::ReadCommitted),
            access_mode: None,
            sqlite_transaction_mode: None,
        },
    };
    Ok(db.begin_with_options(options).await?)
}

/// Every ART and configuration, with each configuration's rule read.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub arts: Vec<CatalogArt>,
}

#[derive(Debug, Clone)]
pub struct CatalogArt {
    pub art: art::Model,
    pub configs: Vec<CatalogConfig>,
}

#[derive(Debug, Clone)]
pub struct CatalogConfig {
    pub model: pipeline_config::Model,
    pub spec: PipelineSpec,
}

impl CatalogArt {
    /// The Jira project keys this ART owns, upper-cased as the store keeps them.
    pub fn project_keys(&self) -> Vec<String> {
        std::iter::once(&self.art.program_key)
            .chain(self.art.team_key.as_ref())
            .map(|k| k.to_ascii_uppercase())
            .collect()
    }

    fn owns(&self, project_key: &str) -> bool {
        domain::config::owns_project(
            &self.art.program_key,
            self.art.team_key.as_deref(),
            project_key,
        )
    }
}

impl Catalog {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Catalog, ProcessError> {
        let arts = art::Entity::find()
            .order_by_asc(art::Column::Id)
            .all(db)
            .await?;
        let configs = pipeline_config::Entity::find()
            .order_by_asc(pipeline_config::Column::Id)
            .all(db)
            .await?;
        let mut out = Vec::with_capacity(arts.len());
        for a in arts {
            let mut list = Vec::new();
            for c in configs.iter().filter(|c| c.art_id == a.id) {
                let spec: PipelineSpec = serde_json::from_str(&c.spec).map_err(|e| {
                    ProcessError::Corrupt(format!("configuration {}: stored rule: {e}", c.code))
                })?;
                list.push(CatalogConfig {
                    model: c.clone(),
                    spec,
                });
            }
            out.push(CatalogArt {
                art: a,
                configs: list,
            });
        }
        Ok(Catalog { arts: out })
    }

    /// The configurations whose ART owns this project (each still filters by issue type).
    pub fn configs_for(&self, project_key: Option<&str>) -> impl Iterator<Item = &CatalogConfig> {
        self.arts
            .iter()
            .filter(move |a| project_key.is_some_and(|p| a.owns(p)))
            .flat_map(|a| a.configs.iter())
    }

    /// The facts an issue should have: one per covering configuration; none when deleted.
    pub fn facts_for(&self, issue: &issue::Model, state: &IssueState) -> Vec<(i64, Fact)> {
        if issue.deleted_at_ms.is_some() {
            return Vec::new();
        }
        self.configs_for(issue.project_key.as_deref())
            .filter(|c| rules::covers(&c.spec, state))
            .map(|c| (c.model.id, rules::evaluate(&c.spec, state)))
            .collect()
    }
}

/// The rules' view of a stored issue.
pub fn issue_state(
    issue: &issue::Model,
    transitions: &[status_transition::Model],
) -> Result<IssueState, ProcessError> {
    let fields: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&issue.fields).map_err(|e| {
            ProcessError::Corrupt(format!("issue {}: stored fields: {e}", issue.issue_key))
        })?;
    Ok(IssueState {
        key: issue.issue_key.clone(),
        project_key: issue.project_key.clone(),
        issue_type: issue.issue_type.clone(),
        status: issue.status_name.clone(),
        status_id: issue.status_id.clone(),
        creation: issue
            .creation_ms
            .map(|at| (at, issue.creation_status.clone())),
        creation_status_id: issue.creation_status_id.clone(),
        resolution: issue.resolution.clone(),
        transitions: transitions
            .iter()
            .map(|t| Transition {
                history_id: t.history_id.clone(),
                item_pos: t.item_pos,
                at: t.at_ms,
                from: t.from_status.clone(),
                to: t.to_status.clone(),
                from_id: t.from_status_id.clone(),
                to_id: t.to_status_id.clone(),
            })
            .collect(),
        fields,
        created: issue.created_ms,
        resolution_date: issue.resolution_ms,
    })
}

/// Transitions of many issues, grouped by issue id.
pub async fn transitions_of(
    db: &impl ConnectionTrait,
    issue_ids: &[i64],
) -> Result<BTreeMap<i64, Vec<status_transition::Model>>, ProcessError> {
    let mut out: BTreeMap<i64, Vec<status_transition::Model>> = BTreeMap::new();
    for chunk in issue_ids.chunks(500) {
        let rows = status_transition::Entity::find()
            .filter(status_transition::Column::IssueId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for r in rows {
            out.entry(r.issue_id).or_default().push(r);
        }
    }
    Ok(out)
}

pub fn fact_model(
    config_id: i64,
    issue: &issue::Model,
    fact: &Fact,
) -> lead_time_fact::ActiveModel {
    lead_time_fact::ActiveModel {
        id: NotSet,
        config_id: Set(config_id),
        issue_id: Set(issue.id),
        issue_key: Set(issue.issue_key.clone()),
        issue_type: Set(issue.issue_type.clone()),
        outcome: Set(fact.outcome.as_str().to_owned()),
        start_ms: Set(fact.start),
        end_ms: Set(fact.end),
        lead_ms: Set(fact.lead_ms),
        active_ms: Set(fact.active_ms),
        reopens: Set(fact.reopens),
        backward_moves: Set(fact.backward_moves),
        first_end_ms: Set(fact.first_end),
        note: Set(fact.note.clone()),
    }
}

/// A stored fact's contribution to its aggregate.
pub fn stored_contribution(f: &lead_time_fact::Model) -> Result<Contribution, ProcessError> {
    let outcome = Outcome::parse(&f.outcome).ok_or_else(|| {
        ProcessError::Corrupt(format!(
            "fact of {}: unknown outcome {:?}",
            f.issue_key, f.outcome
        ))
    })?;
    Ok(Contribution {
        key: f.issue_key.clone(),
        issue_type: f.issue_type.clone(),
        outcome,
        lead_ms: f.lead_ms,
        active_ms: f.active_ms,
        end: f.end_ms,
        first_end: f.first_end_ms,
        reopens: f.reopens,
        backward_moves: f.backward_moves,
    })
}

/// Aggregates being moved in one transaction.
#[derive(Default)]
pub struct Aggregates {
    map: BTreeMap<i64, Aggregate>,
}

impl Aggregates {
    /// Reads these configurations' aggregates, locking their rows in id order (the fixed order
    /// that keeps concurrent processors from deadlocking on them).
    pub async fn lock(
        db: &impl ConnectionTrait,
        config_ids: &BTreeSet<i64>,
    ) -> Result<Aggregates, ProcessError> {
        let mut map: BTreeMap<i64, Aggregate> = config_ids
            .iter()
            .map(|&id| (id, Aggregate::default()))
            .collect();
        let ids: Vec<i64> = config_ids.iter().copied().collect();
        for chunk in ids.chunks(500) {
            for row in pipeline_aggregate::Entity::find()
                .filter(pipeline_aggregate::Column::ConfigId.is_in(chunk.iter().copied()))
                .order_by_asc(pipeline_aggregate::Column::ConfigId)
                .lock_exclusive()
                .all(db)
                .await?
            {
                map.insert(row.config_id, to_domain(&row)?);
            }
        }
        Ok(Aggregates { map })
    }

    /// The aggregate of a configuration (empty if it has none yet).
    pub fn get(&mut self, config_id: i64) -> &mut Aggregate {
        self.map.entry(config_id).or_default()
    }

    pub fn set(&mut self, config_id: i64, agg: Aggregate) {
        self.map.insert(config_id, agg);
    }

    /// Finds stale extremes again among the stored facts, then writes every aggregate and
    /// today's history row, each set with one multi-row statement.
    pub async fn write(
        mut self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        for (&config_id, agg) in self.map.iter_mut() {
            if agg.extremes_stale {
                let (min, max) = extremes(db, config_id).await?;
                agg.set_extremes(min, max);
            }
        }
        let now_ms = now.timestamp_millis();
        let rows: Vec<pipeline_aggregate::ActiveModel> = self
            .map
            .iter()
            .map(|(&config_id, a)| figures_row(config_id, a, now_ms))
            .collect();
        use pipeline_aggregate::Column as A;
        for chunk in rows.chunks(200) {
            pipeline_aggregate::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(A::ConfigId)
                        .update_columns([
                            A::Count,
                            A::SumLeadMs,
                            A::SumActiveMs,
                            A::MinLeadMs,
                            A::MinIssue,
                            A::MaxLeadMs,
                            A::MaxIssue,
                            A::Wip,
                            A::NeverActive,
                            A::UnknownStart,
                            A::NotStarted,
                            A::Invalid,
                            A::BelowThreshold,
                            A::UpdatedAtMs,
                            A::P50Ms,
                            A::P70Ms,
                            A::P85Ms,
                            A::P95Ms,
                            A::StddevMs,
                            A::Cancelled,
                            A::Reopens,
                            A::BackwardMoves,
                            A::Reworked,
                            A::SumReworkMs,
                            A::Completed,
                            A::ByType,
                            A::SumSqLead,
                            A::Sketch,
                            A::Throughput,
                        ])
                        .value(A::Version, Expr::col(A::Version).add(1))
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        use pipeline_daily::Column as D;
        let day = day_of(now);
        let daily: Vec<pipeline_daily::ActiveModel> = rows
            .into_iter()
            .map(|r| pipeline_daily::ActiveModel {
                id: NotSet,
                config_id: r.config_id,
                day: Set(day.clone()),
                count: r.count,
                sum_lead_ms: r.sum_lead_ms,
                sum_active_ms: r.sum_active_ms,
                min_lead_ms: r.min_lead_ms,
                min_issue: r.min_issue,
                max_lead_ms: r.max_lead_ms,
                max_issue: r.max_issue,
                wip: r.wip,
                never_active: r.never_active,
                unknown_start: r.unknown_start,
                not_started: r.not_started,
                invalid: r.invalid,
                below_threshold: r.below_threshold,
                updated_at_ms: r.updated_at_ms,
                p50_ms: r.p50_ms,
                p70_ms: r.p70_ms,
                p85_ms: r.p85_ms,
                p95_ms: r.p95_ms,
                stddev_ms: r.stddev_ms,
                cancelled: r.cancelled,
                reopens: r.reopens,
                backward_moves: r.backward_moves,
                reworked: r.reworked,
                sum_rework_ms: r.sum_rework_ms,
                completed: r.completed,
                by_type: r.by_type,
            })
            .collect();
        for chunk in daily.chunks(200) {
            pipeline_daily::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([D::ConfigId, D::Day])
                        .update_columns([
                            D::Count,
                            D::SumLeadMs,
                            D::SumActiveMs,
                            D::MinLeadMs,
                            D::MinIssue,
                            D::MaxLeadMs,
                            D::MaxIssue,
                            D::Wip,
                            D::NeverActive,
                            D::UnknownStart,
                            D::NotStarted,
                            D::Invalid,
                            D::BelowThreshold,
                            D::UpdatedAtMs,
                            D::P50Ms,
                            D::P70Ms,
                            D::P85Ms,
                            D::P95Ms,
                            D::StddevMs,
                            D::Cancelled,
                            D::Reopens,
                            D::BackwardMoves,
                            D::Reworked,
                            D::SumReworkMs,
                            D::Completed,
                            D::ByType,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}

/// The domain's aggregate of a stored row.
pub fn to_domain(m: &pipeline_aggregate::Model) -> Result<Aggregate, ProcessError> {
    let extreme = |ms: Option<i64>, key: &Option<String>| {
        ms.zip(key.clone())
            .map(|(lead_ms, key)| Extreme { lead_ms, key })
    };
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        ProcessError::Corrupt(format!(
            "aggregate of configuration {}: {what}: {e}",
            m.config_id
        ))
    };
    fn json<T: serde::de::DeserializeOwned + Default>(v: &Option<String>) -> Result<T, String> {
        match v.as_deref() {
            None | Some("") => Ok(T::default()),
            Some(s) => serde_json::from_str(s).map_err(|e| e.to_string()),
        }
    }
    Ok(Aggregate {
        count: m.count,
        sum_lead_ms: m.sum_lead_ms,
        sum_active_ms: m.sum_active_ms,
        sum_sq_lead: m
            .sum_sq_lead
            .trim()
            .parse()
            .map_err(|e| corrupt("sum_sq_lead", &e))?,
        sketch: json(&m.sketch).map_err(|e| corrupt("sketch", &e))?,
        min: extreme(m.min_lead_ms, &m.min_issue),
        max: extreme(m.max_lead_ms, &m.max_issue),
        wip: m.wip,
        never_active: m.never_active,
        unknown_start: m.unknown_start,
        not_started: m.not_started,
        invalid: m.invalid,
        below_threshold: m.below_threshold,
        cancelled: m.cancelled,
        reopens: m.reopens,
        backward_moves: m.backward_moves,
        reworked: m.reworked,
        sum_rework_ms: m.sum_rework_ms,
        throughput: json(&m.throughput).map_err(|e| corrupt("throughput", &e))?,
        by_type: json(&m.by_type).map_err(|e| corrupt("by_type", &e))?,
        extremes_stale: false,
    })
}

/// The UTC day of an instant, as history rows name it.
pub fn day_of(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn figures_row(config_id: i64, a: &Aggregate, now_ms: i64) -> pipeline_aggregate::ActiveModel {
    let ms = |p: f64| a.percentile_days(p).map(|d| d * domain::MS_PER_DAY as f64);
    let map = |m: &BTreeMap<String, i64>| {
        (!m.is_empty()).then(|| serde_json::to_string(m).expect("a map of counts serializes"))
    };
    pipeline_aggregate::ActiveModel {
        config_id: Set(config_id),
        count: Set(a.count),
        sum_lead_ms: Set(a.sum_lead_ms),
        sum_active_ms: Set(a.sum_active_ms),
        min_lead_ms: Set(a.min.as_ref().map(|e| e.lead_ms)),
        min_issue: Set(a.min.as_ref().map(|e| e.key.clone())),
        max_lead_ms: Set(a.max.as_ref().map(|e| e.lead_ms)),
        max_issue: Set(a.max.as_ref().map(|e| e.key.clone())),
        wip: Set(a.wip),
        never_active: Set(a.never_active),
        unknown_start: Set(a.unknown_start),
        not_started: Set(a.not_started),
        invalid: Set(a.invalid),
        below_threshold: Set(a.below_threshold),
        updated_at_ms: Set(now_ms),
        version: Set(1),
        p50_ms: Set(ms(50.0)),
        p70_ms: Set(ms(70.0)),
        p85_ms: Set(ms(85.0)),
        p95_ms: Set(ms(95.0)),
        stddev_ms: Set(a.stddev_days().map(|d| d * domain::MS_PER_DAY as f64)),
        cancelled: Set(a.cancelled),
        reopens: Set(a.reopens),
        backward_moves: Set(a.backward_moves),
        reworked: Set(a.reworked),
        sum_rework_ms: Set(a.sum_rework_ms),
        completed: Set(a.throughput.values().sum()),
        by_type: Set(map(&a.by_type)),
        sum_sq_lead: Set(a.sum_sq_lead.to_string()),
        sketch: Set((!a.sketch.is_empty())
            .then(|| serde_json::to_string(&a.sketch).expect("a sketch serializes"))),
        throughput: Set(map(&a.throughput)),
    }
}

/// The counted minimum and maximum of a configuration, each an index lookup: the extreme lead
/// time first, then the smallest key at that lead time.
pub async fn extremes(
    db: &impl ConnectionTrait,
    config_id: i64,
) -> Result<(Option<Extreme>, Option<Extreme>), ProcessError> {
    use lead_time_fact::Column as F;
    let counted = || {
        lead_time_fact::Entity::find()
            .filter(F::ConfigId.eq(config_id))
            .filter(F::Outcome.eq(Outcome::Counted.as_str()))
    };
    let mut out = [None, None];
    for (slot, want_max) in out.iter_mut().zip([false, true]) {
        let lead: Option<Option<i64>> = counted()
            .select_only()
            .expr(if want_max {
                Func::max(Expr::col(F::LeadMs))
            } else {
                Func::min(Expr::col(F::LeadMs))
            })
            .into_tuple()
            .one(db)
            .await?;
        let Some(lead) = lead.flatten() else { continue };
        let key: Option<Option<String>> = counted()
            .filter(F::LeadMs.eq(lead))
            .select_only()
            .expr(Func::min(Expr::col(F::IssueKey)))
            .into_tuple()
            .one(db)
            .await?;
        *slot = key.flatten().map(|key| Extreme { lead_ms: lead, key });
    }
    let [min, max] = out;
    Ok((min, max))
}
