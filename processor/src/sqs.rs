//! A batch of queue messages in, the ids of those that could not be applied out: the handler the
//! SQS Lambda (`ReportBatchItemFailures`) and `artflow process` share. A message that cannot be
//! decoded is reported as failed, never blocking the rest of its batch; the queue's redrive
//! policy moves it to the dead-letter queue after its last receive.

use chrono::Utc;
use domain::IssueEvent;
use sea_orm::DatabaseConnection;

use crate::ProcessError;
use crate::apply::{EventResult, apply_batch};
use crate::retry::with_retry;

/// One queue message: its id (to report a failure) and its body.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub body: String,
}

/// What one batch of messages came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handled {
    pub applied: usize,
    pub duplicates: usize,
    /// Ids of the messages to leave on the queue (retried, then dead-lettered).
    pub failed: Vec<String>,
}

/// Decodes and applies a batch. `Err` only when the store is unavailable after retries: then
/// every message stays on the queue.
pub async fn handle_messages(
    db: &DatabaseConnection,
    messages: &[Message],
) -> Result<Handled, ProcessError> {
    let mut handled = Handled::default();
    let mut events = Vec::with_capacity(messages.len());
    let mut ids = Vec::with_capacity(messages.len());
    for m in messages {
        match serde_json::from_str::<IssueEvent>(&m.body) {
            Ok(e) => {
                events.push(e);
                ids.push(m.id.clone());
            }
            Err(e) => {
                #[derive(serde::Deserialize)]
                struct Versioned {
                    schema: Option<u32>,
                }
                let why = match serde_json::from_str::<Versioned>(&m.body) {
                    Ok(Versioned { schema: Some(v) }) if v != domain::event::SCHEMA_VERSION => {
                        format!(
                            "event schema {v} is not supported (this build reads {})",
                            domain::event::SCHEMA_VERSION
                        )
                    }
                    _ => format!("message is not an IssueEvent: {e}"),
                };
                tracing::error!(message_id = %m.id, reason = %why, "message not applied");
                handled.failed.push(m.id.clone());
            }
        }
    }
    if events.is_empty() {
        return Ok(handled);
    }
    let report = with_retry("apply batch", 6, || apply_batch(db, &events, Utc::now())).await?;
    for (id, result) in ids.into_iter().zip(report.results) {
        match result {
            EventResult::Applied => handled.applied += 1,
            EventResult::Duplicate => handled.duplicates += 1,
            EventResult::Failed(why) => {
                tracing::error!(message_id = %id, reason = %why, "event not applied");
                handled.failed.push(id);
            }
        }
    }
    Ok(handled)
}

/// The Lambda's answer to an SQS event: the messages it could not apply, as
/// `batchItemFailures` (all of them when the store is unavailable).
pub async fn handle_sqs_event(
    db: &DatabaseConnection,
    event: aws_lambda_events::event::sqs::SqsEvent,
) -> aws_lambda_events::event::sqs::SqsBatchResponse {
    let messages: Vec<Message> = event
        .records
        .into_iter()
        .map(|r| Message {
            id: r.message_id.unwrap_or_default(),
            body: r.body.unwrap_or_default(),
        })
        .collect();
    let mut response = aws_lambda_events::event::sqs::SqsBatchResponse::default();
    match handle_messages(db, &messages).await {
        Ok(handled) => {
            tracing::info!(
                applied = handled.applied,
                duplicates = handled.duplicates,
                failed = handled.failed.len(),
                "batch"
            );
            for id in handled.failed {
                response.add_failure(id);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store unavailable; the whole batch stays on the queue");
            for m in messages {
                response.add_failure(m.id);
            }
        }
    }
    response
}
