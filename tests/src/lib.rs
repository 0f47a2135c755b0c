//! End-to-end tests of artflow and the independent reference computation they compare against.
//!
//! `reference` computes the figures from scratch, in plain code over the raw Jira JSON;
//! `support` gives each test a fresh database (SQLite, or MySQL/MariaDB through
//! `TEST_MYSQL_URL`) and runs the `artflow` binary. The tests themselves are in `tests/`.

pub mod app;
pub mod demo;
pub mod jira;
pub mod moto;
pub mod proxy;
pub mod reference;
pub mod stream;
pub mod support;
