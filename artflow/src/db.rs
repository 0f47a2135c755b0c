//! The database connection of the command-line program: the embedded SQLite file by default,
//! MySQL/MariaDB when the URL says so; migrations run on connect. Passwords never reach a
//! message.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The embedded default: a SQLite file in the working directory, created when absent.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://artflow.db?mode=rwc";

/// Connects and brings the schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = open(url).await?;
    migrate(url, &db).await?;
    Ok(db)
}

/// Brings the schema up to date; returns the names of the migrations it applied (none when it
/// already was).
pub async fn migrate(url: &str, db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let failed = |e: sea_orm::DbErr| {
        anyhow::anyhow!(
            "cannot migrate the database {}: {}",
            redact(url),
            scrub(url, &e.to_string())
        )
    };
    let pending: Vec<String> = Migrator::get_pending_migrations(db)
        .await
        .map_err(failed)?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Migrator::up(db, None).await.map_err(failed)?;
    Ok(pending)
}

/// Connects without migrating.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let shown = redact(url);
    let hint = |e: &dyn std::fmt::Display| {
        let text = scrub(url, &e.to_string());
        let hint = if url.starts_with("sqlite:") && !url.contains("mode=") {
            " (add ?mode=rwc to the URL to create the file)"
        } else if text.contains("pool timed out") {
            " (is the server running and reachable, and are the user and password right?)"
        } else if text.contains("no supporting driver") {
            " (use sqlite://FILE?mode=rwc or mysql://user:password@host:3306/db)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot open the database {shown}: {text}{hint}")
    };
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // One connection: artflow's own tasks never contend for the file; other processes on
        // the same file are waited for (busy timeout), and a batch that still finds it locked is
        // retried whole.
        opts.max_connections(1);
    }
    let db = Database::connect(opts).await.map_err(|e| hint(&e))?;
    if url.starts_with("sqlite:") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA busy_timeout = 30000")
            .await
            .map_err(|e| hint(&e))?;
    }
    Ok(db)
}

/// The password of a database URL, from its user info or a `password=` parameter.
fn password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    if let Some((userinfo, _)) = rest.rsplit_once('@')
        && let Some((_, pw)) = userinfo.split_once(':')
        && !pw.is_empty()
    {
        return Some(pw);
    }
    let query = rest.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("password="))
        .filter(|pw| !pw.is_empty())
}

/// A database URL with its password replaced, fit for messages and logs.
pub fn redact(url: &str) -> String {
    scrub(url, url)
}

/// A text with every occurrence of the URL's password replaced.
fn scrub(url: &str, text: &str) -> String {
    match password(url) {
        Some(pw) => text.replace(pw, "***"),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("mysql://app:s3cret@db:3306/artflow"),
            "mysql://app:***@db:3306/artflow"
        );
        assert_eq!(
            redact("mysql://root:Sup3r@Secret@127.0.0.1:3306/x"),
            "mysql://root:***@127.0.0.1:3306/x"
        );
        assert_eq!(
            redact("mysql://root@127.0.0.1:3306/x?password=Sup3rSecret&ssl-mode=required"),
            "mysql://root@127.0.0.1:3306/x?password=***&ssl-mode=required"
        );
        assert_eq!(
            redact("sqlite://artflow.db?mode=rwc"),
            "sqlite://artflow.db?mode=rwc"
        );
    }

    #[tokio::test]
    async fn connection_errors_name_the_problem_without_the_password() {
        let err = super::connect("mariadb://root:TopSecret1@127.0.0.1:3306/x")
            .await
            .unwrap_err()
            .to_string();
        assert!(!err.contains("TopSecret1"), "{err}");
        assert!(err.contains("mysql://user:password@host"), "{err}");
    }
}
