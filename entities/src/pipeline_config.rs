//! A pipeline configuration of one ART; `spec` is the domain's `PipelineSpec` as JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pipeline_config")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub art_id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// `field` or `status`.
    pub rule: String,
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    pub start_field: Option<String>,
    pub end_field: Option<String>,
    pub updated_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
