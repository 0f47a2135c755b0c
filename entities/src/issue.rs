//! The latest snapshot of every issue received, owned by an ART or not; unique by (site, id).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issue")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub site: String,
    pub jira_id: String,
    pub issue_key: String,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    pub status_id: Option<String>,
    pub status_name: Option<String>,
    pub status_category: Option<String>,
    pub created_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    /// Custom fields of the snapshot, as a JSON object.
    #[sea_orm(column_type = "Text")]
    pub fields: String,
    /// Ordering key of the snapshot: (event time, numeric changelog id, delivery id).
    pub snapshot_at_ms: i64,
    pub snapshot_seq: i64,
    pub snapshot_delivery: String,
    /// Set once a creation event was applied: the history is complete.
    pub creation_ms: Option<i64>,
    pub creation_status: Option<String>,
    pub creation_status_id: Option<String>,
    /// The resolution's name in the latest snapshot.
    pub resolution: Option<String>,
    /// Tombstone: a deleted issue leaves every aggregate for good.
    pub deleted_at_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
