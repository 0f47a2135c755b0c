//! The current figures of one configuration, moved by the difference with every change.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pipeline_aggregate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub config_id: i64,
    pub count: i64,
    pub sum_lead_ms: i64,
    pub sum_active_ms: i64,
    pub min_lead_ms: Option<i64>,
    pub min_issue: Option<String>,
    pub max_lead_ms: Option<i64>,
    pub max_issue: Option<String>,
    pub wip: i64,
    pub never_active: i64,
    pub unknown_start: i64,
    pub not_started: i64,
    pub invalid: i64,
    pub below_threshold: i64,
    pub updated_at_ms: i64,
    pub p50_ms: Option<f64>,
    pub p70_ms: Option<f64>,
    pub p85_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub stddev_ms: Option<f64>,
    pub cancelled: i64,
    pub reopens: i64,
    pub backward_moves: i64,
    pub reworked: i64,
    pub sum_rework_ms: i64,
    /// Completions (throughput over all time).
    pub completed: i64,
    /// Completions per issue type, JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub by_type: Option<String>,
    /// Σ lead² in ms², a decimal integer (exact; beyond 64 bits).
    pub sum_sq_lead: String,
    /// The counted lead times' sketch (`domain::Sketch`), JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub sketch: Option<String>,
    /// Completions per ISO week, JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub throughput: Option<String>,
    /// Incremented by every write: the read API's cache and ETags follow it.
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
