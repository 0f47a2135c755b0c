//! The reconcile Lambda: on each EventBridge scheduled event, re-reads from Jira every issue
//! updated in the last `ARTFLOW_RECONCILE_MINUTES` of the configured ARTs' projects and puts
//! their events on the SQS queue, so the processor heals what webhooks missed. The job is
//! `artflow_backfill::reconcile::Reconciler::handle`; see that module for the environment.

use artflow_backfill::reconcile::Reconciler;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .without_time()
        .init();
    let reconciler = Reconciler::from_env().await?;
    let reconciler = &reconciler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let outcome = reconciler.handle(&event.payload).await?;
        Ok::<_, lambda_runtime::Error>(serde_json::to_value(outcome)?)
    }))
    .await
}
