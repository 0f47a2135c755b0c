use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The per-configuration figures, shared by the current aggregate and the daily history rows.
fn figures(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(big_integer("count").default(0))
        .col(big_integer("sum_lead_ms").default(0))
        .col(big_integer("sum_active_ms").default(0))
        .col(big_integer_null("min_lead_ms"))
        .col(string_len_null("min_issue", 255))
        .col(big_integer_null("max_lead_ms"))
        .col(string_len_null("max_issue", 255))
        .col(big_integer("wip").default(0))
        .col(big_integer("never_active").default(0))
        .col(big_integer("unknown_start").default(0))
        .col(big_integer("not_started").default(0))
        .col(big_integer("invalid").default(0))
        .col(big_integer("below_threshold").default(0))
        .col(big_integer("updated_at_ms"))
}

fn fk(
    name: &str,
    from: (&'static str, &'static str),
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("art")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("abbreviation", 64))
                .col(string_len("name", 255))
                .col(string_len("program_key", 64))
                .col(string_len_null("team_key", 64))
                .col(big_integer("updated_at_ms"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("pipeline_config")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("art_id"))
                .col(string_len_uniq("code", 64))
                .col(string_len("name", 255))
                .col(string_len("rule", 16))
                .col(text("spec"))
                .col(string_len_null("start_field", 255))
                .col(string_len_null("end_field", 255))
                .col(big_integer("updated_at_ms"))
                .foreign_key(&mut fk(
                    "fk_config_art",
                    ("pipeline_config", "art_id"),
                    "art",
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("issue")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("site", 255))
                .col(string_len("jira_id", 64))
                .col(string_len("issue_key", 255))
                .col(string_len_null("project_key", 64))
                .col(string_len_null("issue_type", 255))
                .col(string_len_null("status_id", 64))
                .col(string_len_null("status_name", 255))
                .col(string_len_null("status_category", 64))
                .col(big_integer_null("created_ms"))
                .col(big_integer_null("resolution_ms"))
                .col(text("fields"))
                .col(big_integer("snapshot_at_ms"))
                .col(big_integer("snapshot_seq"))
                .col(string_len("snapshot_delivery", 255))
                .col(big_integer_null("creation_ms"))
                .col(string_len_null("creation_status", 255))
                .col(big_integer_null("deleted_at_ms"))
                .index(
                    Index::create()
                        .name("ux_issue_site_jira_id")
                        .col("site")
                        .col("jira_id")
                        .unique(),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_issue_project")
                .table("issue")
                .col("project_key")
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("status_transition")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("issue_id"))
                .col(string_len("history_id", 255))
                .col(integer("item_pos"))
                .col(big_integer("at_ms"))
                .col(string_len_null("from_status", 255))
                .col(string_len_null("to_status", 255))
                .index(
                    Index::create()
                        .name("ux_transition")
                        .col("issue_id")
                        .col("history_id")
                        .col("item_pos")
                        .unique(),
                )
                .foreign_key(&mut fk(
                    "fk_transition_issue",
                    ("status_transition", "issue_id"),
                    "issue",
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("lead_time_fact")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("config_id"))
                .col(big_integer("issue_id"))
                .col(string_len("issue_key", 255))
                .col(string_len_null("issue_type", 255))
                .col(string_len("outcome", 20))
                .col(big_integer_null("start_ms"))
                .col(big_integer_null("end_ms"))
                .col(big_integer_null("lead_ms"))
                .col(big_integer_null("active_ms"))
                .col(integer("reopens"))
                .col(text_null("note"))
                .index(
                    Index::create()
                        .name("ux_fact")
                        .col("config_id")
                        .col("issue_id")
                        .unique(),
                )
                .foreign_key(&mut fk(
                    "fk_fact_config",
                    ("lead_time_fact", "config_id"),
                    "pipeline_config",
                ))
                .foreign_key(&mut fk(
                    "fk_fact_issue",
                    ("lead_time_fact", "issue_id"),
                    "issue",
                ))
                .take(),
        )
        .await?;
        // Min, max, percentiles and the counted keys are index reads, never scans.
        m.create_index(
            Index::create()
                .name("ix_fact_lead")
                .table("lead_time_fact")
                .col("config_id")
                .col("outcome")
                .col("lead_ms")
                .col("issue_key")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_fact_end")
                .table("lead_time_fact")
                .col("config_id")
                .col("end_ms")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_fact_issue")
                .table("lead_time_fact")
                .col("issue_id")
                .take(),
        )
        .await?;

        let mut aggregate = Table::create();
        aggregate
            .table("pipeline_aggregate")
            .if_not_exists()
            .col(big_integer("config_id").primary_key());
        figures(&mut aggregate).foreign_key(&mut fk(
            "fk_aggregate_config",
            ("pipeline_aggregate", "config_id"),
            "pipeline_config",
        ));
        m.create_table(aggregate).await?;

        let mut daily = Table::create();
        daily
            .table("pipeline_daily")
            .if_not_exists()
            .col(big_pk_auto("id"))
            .col(big_integer("config_id"))
            .col(string_len("day", 10))
            .index(
                Index::create()
                    .name("ux_daily")
                    .col("config_id")
                    .col("day")
                    .unique(),
            );
        figures(&mut daily).foreign_key(&mut fk(
            "fk_daily_config",
            ("pipeline_daily", "config_id"),
            "pipeline_config",
        ));
        m.create_table(daily).await?;

        m.create_table(
            Table::create()
                .table("delivery")
                .if_not_exists()
                .col(string_len("delivery_id", 255).primary_key())
                .col(big_integer("received_at_ms"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_delivery_received")
                .table("delivery")
                .col("received_at_ms")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "delivery",
            "pipeline_daily",
            "pipeline_aggregate",
            "lead_time_fact",
            "status_transition",
            "issue",
            "pipeline_config",
            "art",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
