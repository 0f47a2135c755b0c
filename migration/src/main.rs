//! `migration up|down|status|fresh`: runs artflow's migrations against `DATABASE_URL`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::Database;

#[derive(Parser)]
#[command(about = "Runs artflow's schema migrations")]
struct Cli {
    /// sqlite://artflow.db?mode=rwc or mysql://user:password@host:3306/artflow
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Applies every pending migration.
    Up,
    /// Rolls back the last migration.
    Down,
    /// Lists the migrations and whether each is applied.
    Status,
    /// Drops every table and applies all migrations again.
    Fresh,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let db = Database::connect(&cli.database_url)
        .await
        .context("cannot connect to DATABASE_URL")?;
    match cli.command {
        Command::Up => artflow_migration::Migrator::up(&db, None).await?,
        Command::Down => artflow_migration::Migrator::down(&db, Some(1)).await?,
        Command::Status => artflow_migration::Migrator::status(&db).await?,
        Command::Fresh => artflow_migration::Migrator::fresh(&db).await?,
    }
    Ok(())
}
