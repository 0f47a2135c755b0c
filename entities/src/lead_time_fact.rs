//! One issue's lead time under one configuration: the facts every figure is made of.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_time_fact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub config_id: i64,
    pub issue_id: i64,
    pub issue_key: String,
    pub issue_type: Option<String>,
    /// The domain's `Outcome`, e.g. `counted`, `in_progress`.
    pub outcome: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub lead_ms: Option<i64>,
    pub active_ms: Option<i64>,
    pub reopens: i32,
    /// Moves to an earlier mapped stage, reopens included.
    pub backward_moves: i32,
    /// The first entry into a done status (with `end_ms`: the time from first to final completion).
    pub first_end_ms: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
