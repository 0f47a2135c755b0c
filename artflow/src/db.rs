//! The database connection of the command-line program: the embedded SQLite file by default,
//! MySQL/MariaDB when the URL says so; migrations run on connect.

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The embedded default: a SQLite file in the working directory, created when absent.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://artflow.db?mode=rwc";

/// Connects and brings the schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time; a single connection avoids SQLITE_BUSY between our own tasks.
        opts.max_connections(1);
    }
    let db = Database::connect(opts)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    Migrator::up(&db, None)
        .await
        .with_context(|| format!("cannot migrate the database {}", redact(url)))?;
    Ok(db)
}

/// A database URL with its password replaced, fit for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("mysql://app:s3cret@db:3306/artflow"),
            "mysql://app:***@db:3306/artflow"
        );
        assert_eq!(
            super::redact("sqlite://artflow.db?mode=rwc"),
            "sqlite://artflow.db?mode=rwc"
        );
    }
}
