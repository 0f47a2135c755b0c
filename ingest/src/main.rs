//! The ingest Lambda: API Gateway (HTTP API or REST API) → verify → normalize → SQS.
//!
//! Environment: `QUEUE_URL`; the webhook secret from `ARTFLOW_WEBHOOK_SECRET_ARN` (Secrets
//! Manager, read once per cold start) or `ARTFLOW_WEBHOOK_SECRET`; optionally
//! `ARTFLOW_WEBHOOK_TOKEN` for Jira Automation; `ARTFLOW_BODY_LIMIT` in bytes.

use std::sync::Arc;

use anyhow::Context;
use artflow_ingest::{Auth, IngestState, SqsQueue, lambda_router};

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

async fn state() -> anyhow::Result<IngestState> {
    let queue_url = std::env::var("QUEUE_URL").context("QUEUE_URL is not set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secret = match std::env::var("ARTFLOW_WEBHOOK_SECRET_ARN") {
        Ok(arn) => Some(
            aws_sdk_secretsmanager::Client::new(&config)
                .get_secret_value()
                .secret_id(&arn)
                .send()
                .await
                .with_context(|| format!("cannot read the webhook secret {arn}"))?
                .secret_string()
                .context("the webhook secret has no string value")?
                .to_owned(),
        ),
        Err(_) => std::env::var("ARTFLOW_WEBHOOK_SECRET").ok(),
    };
    let auth = Auth::new(secret, std::env::var("ARTFLOW_WEBHOOK_TOKEN").ok())?;
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&config), queue_url);
    let mut state = IngestState::new(Arc::new(queue), auth);
    if let Ok(limit) = std::env::var("ARTFLOW_BODY_LIMIT") {
        state.body_limit = limit
            .parse()
            .with_context(|| format!("ARTFLOW_BODY_LIMIT {limit:?} is not a number of bytes"))?;
    }
    Ok(state)
}
