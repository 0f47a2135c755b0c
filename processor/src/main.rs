//! The processor Lambda: an SQS event source mapping with `ReportBatchItemFailures` hands it
//! batches of IssueEvents; it applies them to MySQL and names the messages it could not apply.
//!
//! Environment: `DATABASE_URL`, or `DB_SECRET_ARN` (an RDS-shaped Secrets Manager secret).
//! The schema is migrated by `artflow migrate` against the database, not at cold start.

use artflow_processor::sqs::handle_sqs_event;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use sea_orm::{ConnectOptions, Database};

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
    let url = artflow_processor::dbconfig::database_url_from_env().await?;
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(2).sqlx_logging(false);
    let db = Database::connect(opts).await?;
    let db = &db;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handle_sqs_event(db, event.payload).await)
    }))
    .await
}
