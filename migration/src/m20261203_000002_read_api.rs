//! What the read API needs: a per-configuration data version that every aggregate write
//! increments (the API's response cache and ETags follow it), and issue lookup by key (an issue's
//! timeline).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("pipeline_aggregate")
                .add_column(big_integer("version").default(0))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_issue_key")
                .table("issue")
                .col("issue_key")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_issue_key").table("issue").to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("pipeline_aggregate")
                .drop_column("version")
                .take(),
        )
        .await
    }
}
