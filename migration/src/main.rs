//! `migration up|down|status|fresh`: runs artflow's migrations against `DATABASE_URL`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use artflow_migration::Migrator;
use clap::{Parser, Subcommand};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::migrator::MigrationStatus;
use sea_orm_migration::sea_orm::{Database, DatabaseConnection};

#[derive(Parser)]
#[command(about = "Runs artflow's schema migrations")]
struct Cli {
    /// sqlite://artflow.db?mode=rwc or mysql://user:password@host:3306/artflow
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Applies every pending migration.
    Up,
    /// Rolls back the last applied migration (its tables or columns and their data are dropped).
    Down {
        /// Do it without asking (required when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Lists the migrations and whether each is applied.
    Status,
    /// Drops every table, with all the data, and applies all migrations again.
    Fresh {
        /// Do it without asking (required when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
    },
}

/// Goes on only with `--yes`, or when the person at the terminal types "yes".
fn confirm(what: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    anyhow::ensure!(
        stdin.is_terminal(),
        "{what}: this destroys data; run it again with --yes to confirm"
    );
    print!("{what}: this destroys data. Type yes to go on: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    anyhow::ensure!(answer.trim() == "yes", "nothing was done");
    Ok(())
}

async fn names(db: &DatabaseConnection, status: MigrationStatus) -> anyhow::Result<Vec<String>> {
    Ok(Migrator::get_migration_with_status(db)
        .await?
        .iter()
        .filter(|m| m.status() == status)
        .map(|m| m.name().to_owned())
        .collect())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = Database::connect(&cli.database_url)
        .await
        .context("cannot connect to DATABASE_URL")?;
    match cli.command {
        Command::Up => {
            let pending = names(&db, MigrationStatus::Pending).await?;
            Migrator::up(&db, None).await?;
            if pending.is_empty() {
                println!("already up to date: no migration was pending");
            }
            for name in pending {
                println!("applied {name}");
            }
        }
        Command::Down { yes } => {
            let applied = names(&db, MigrationStatus::Applied).await?;
            let Some(last) = applied.last() else {
                println!("no migration is applied: nothing to roll back");
                return Ok(());
            };
            confirm(&format!("rolling back {last}"), yes)?;
            Migrator::down(&db, Some(1)).await?;
            println!("rolled back {last}");
        }
        Command::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                let status = match m.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{status:<8} {}", m.name());
            }
        }
        Command::Fresh { yes } => {
            confirm("dropping every table and migrating again", yes)?;
            Migrator::fresh(&db).await?;
            println!("dropped every table; applied:");
            for name in names(&db, MigrationStatus::Applied).await? {
                println!("  {name}");
            }
        }
    }
    Ok(())
}
