//! `artflow`: the whole flow on one machine, on an embedded SQLite file by default (or on
//! MySQL/MariaDB with `--database-url`). It configures ARTs, imports Jira exports and replays
//! webhook bodies through the same event path the Lambda processor uses, and reports the
//! per-ART figures. The binary is `main.rs`; everything a test wants to reach is here.

pub mod backfill;
pub mod cli;
pub mod db;
pub mod demo;
pub mod feed;
pub mod local;
pub mod post;
pub mod report;
pub mod serve;
pub mod worker;
