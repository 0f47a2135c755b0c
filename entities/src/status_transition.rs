//! One status change of an issue; unique by (issue, changelog history id, item position).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_transition")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub issue_id: i64,
    pub history_id: String,
    pub item_pos: i32,
    pub at_ms: i64,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub from_status_id: Option<String>,
    pub to_status_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
