//! Flow metrics beyond the old job: percentiles (a removable sketch), the standard deviation,
//! throughput, rework, the flow distribution and cancellations on the aggregates; percentiles,
//! deviation, rework and distribution on the daily rows too; per-issue rework on the facts; the
//! status ids of transitions and the resolution of issues, which configurations may match on.
//!
//! One column per statement: SQLite alters a table one column at a time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Figures both the aggregate and the daily rows keep.
fn shared_figures() -> Vec<ColumnDef> {
    vec![
        double_null("p50_ms"),
        double_null("p70_ms"),
        double_null("p85_ms"),
        double_null("p95_ms"),
        double_null("stddev_ms"),
        big_integer("cancelled").default(0).take(),
        big_integer("reopens").default(0).take(),
        big_integer("backward_moves").default(0).take(),
        big_integer("reworked").default(0).take(),
        big_integer("sum_rework_ms").default(0).take(),
        big_integer("completed").default(0).take(),
        text_null("by_type"),
    ]
}

/// What only the aggregate keeps, to move the figures incrementally.
fn aggregate_only() -> Vec<ColumnDef> {
    vec![
        string_len("sum_sq_lead", 48).default("0").take(),
        text_null("sketch"),
        text_null("throughput"),
    ]
}

fn added() -> Vec<(&'static str, ColumnDef)> {
    let mut out = vec![
        ("status_transition", string_len_null("from_status_id", 64)),
        ("status_transition", string_len_null("to_status_id", 64)),
        ("issue", string_len_null("creation_status_id", 64)),
        ("issue", string_len_null("resolution", 255)),
        (
            "lead_time_fact",
            integer("backward_moves").default(0).take(),
        ),
        ("lead_time_fact", big_integer_null("first_end_ms")),
    ];
    for c in shared_figures() {
        out.push(("pipeline_aggregate", c.clone()));
        out.push(("pipeline_daily", c));
    }
    out.extend(
        aggregate_only()
            .into_iter()
            .map(|c| ("pipeline_aggregate", c)),
    );
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut col) in added() {
            m.alter_table(Table::alter().table(table).add_column(&mut col).take())
                .await?;
        }
        // Aging WIP reads the started, unfinished issues of a configuration by start.
        m.create_index(
            Index::create()
                .name("ix_fact_outcome_start")
                .table("lead_time_fact")
                .col("config_id")
                .col("outcome")
                .col("start_ms")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_fact_outcome_start")
                .table("lead_time_fact")
                .to_owned(),
        )
        .await?;
        for (table, col) in added().into_iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .drop_column(col.get_column_name())
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
