//! Migrations at the api function's cold start (`ARTFLOW_MIGRATE=true`): on MySQL under a named
//! lock, so that cold starts racing each other apply each migration once.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};

const LOCK: &str = "artflow_migrate";

/// Brings the schema up to date; waits up to `wait_secs` for another instance doing the same.
pub async fn migrate_locked(db: &DatabaseConnection, wait_secs: u32) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::MySql {
        return Migrator::up(db, None).await;
    }
    // A named lock belongs to a connection: hold one connection for the whole run.
    let conn = db.begin().await?;
    let got = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT GET_LOCK(?, ?)",
            [LOCK.into(), wait_secs.into()],
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<Option<i64>>(0).ok().flatten());
    if got != Some(1) {
        return Err(DbErr::Custom(format!(
            "another instance held the migration lock for {wait_secs} s"
        )));
    }
    let result = Migrator::up(&conn, None).await;
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        "SELECT RELEASE_LOCK(?)",
        [LOCK.into()],
    ))
    .await?;
    conn.commit().await?;
    result
}
