//! The api Lambda: API Gateway (HTTP API or REST API) → the read routes and `PUT /admin/config`.
//!
//! Environment: `DATABASE_URL` or `DB_SECRET_ARN` (an RDS secret); `ARTFLOW_MIGRATE=true` runs
//! the migrations at cold start; `ARTFLOW_ADMIN_TOKEN_ARN` / `ARTFLOW_ADMIN_TOKEN` enable the admin
//! route; `ARTFLOW_READ_TOKEN_ARN` / `ARTFLOW_READ_TOKEN` require a bearer token for reads;
//! `ARTFLOW_CORS_ORIGINS` (comma-separated); `ARTFLOW_FRESHNESS_MS`.

use anyhow::Context;
use artflow_api::{ApiSettings, ApiState, lambda_router};
use sea_orm::{ConnectOptions, Database};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .init();
    let state = state().await?;
    lambda_http::run(lambda_router(state)).await
}

async fn state() -> anyhow::Result<ApiState> {
    let url = processor::dbconfig::database_url_from_env().await?;
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(2).sqlx_logging(false);
    let db = Database::connect(opts).await?;
    if std::env::var("ARTFLOW_MIGRATE").is_ok_and(|v| v == "true" || v == "1") {
        artflow_api::migrate::migrate_locked(&db, 120)
            .await
            .context("cannot migrate the database")?;
    }
    let settings = ApiSettings {
        read_token: non_empty("ARTFLOW_READ_TOKEN", secret("ARTFLOW_READ_TOKEN").await?)?,
        admin_token: non_empty("ARTFLOW_ADMIN_TOKEN", secret("ARTFLOW_ADMIN_TOKEN").await?)?,
        cors_origins: std::env::var("ARTFLOW_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .filter(|o| !o.trim().is_empty())
            .map(|o| {
                artflow_api::http::cors_origin(o)
                    .map_err(|e| anyhow::anyhow!("ARTFLOW_CORS_ORIGINS: {e}"))
            })
            .collect::<anyhow::Result<_>>()?,
        freshness: match std::env::var("ARTFLOW_FRESHNESS_MS") {
            Ok(ms) => std::time::Duration::from_millis(
                ms.parse()
                    .with_context(|| format!("ARTFLOW_FRESHNESS_MS {ms:?} is not milliseconds"))?,
            ),
            Err(_) => ApiSettings::DEFAULT_FRESHNESS,
        },
    };
    Ok(ApiState::new(db, settings))
}

/// `{NAME}_ARN` (a Secrets Manager secret, read once per cold start) or `{NAME}`.
async fn secret(name: &str) -> anyhow::Result<Option<String>> {
    if let Ok(arn) = std::env::var(format!("{name}_ARN")) {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let value = aws_sdk_secretsmanager::Client::new(&config)
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .with_context(|| format!("cannot read the secret {arn} ({name}_ARN)"))?;
        return Ok(Some(
            value
                .secret_string()
                .with_context(|| format!("the secret {arn} has no string value"))?
                .trim()
                .to_owned(),
        ));
    }
    Ok(std::env::var(name).ok())
}

/// A token from [`secret`], refused when empty (an empty token would lock every caller out).
fn non_empty(name: &str, token: Option<String>) -> anyhow::Result<Option<String>> {
    match token {
        Some(t) if t.trim().is_empty() => {
            anyhow::bail!("{name} (or the secret {name}_ARN names) is empty")
        }
        t => Ok(t),
    }
}
