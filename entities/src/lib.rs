//! SeaORM entities of the artflow store, one module per table (the schema itself is written
//! only in `migration/`). The processor writes these tables; the CLI and the read endpoints
//! read them.

pub mod art;
pub mod delivery;
pub mod issue;
pub mod lead_time_fact;
pub mod pipeline_aggregate;
pub mod pipeline_config;
pub mod pipeline_daily;
pub mod status_transition;
