//! The current figures of one configuration, moved by the difference with every change.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
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
    /// Incremented by every write: the read API's cache and ETags follow it.
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
