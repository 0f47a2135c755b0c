//! The artflow schema, written once as SeaORM migrations that run unchanged on SQLite (`artflow`
//! on one machine) and on MySQL/MariaDB (the processor on AWS). Nothing else writes DDL.
//!
//! Times are UTC epoch milliseconds (`*_ms`, BIGINT): exact on every backend, free of MySQL's
//! TIMESTAMP range and of DATETIME's default second precision.

pub use sea_orm_migration::prelude::*;

mod m20261203_000001_create_store;
mod m20261203_000002_read_api;
mod m20261204_000001_flow_metrics;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_create_store::Migration),
            Box::new(m20261203_000002_read_api::Migration),
            Box::new(m20261204_000001_flow_metrics::Migration),
        ]
    }
}
