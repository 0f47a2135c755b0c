//! `artflow process --queue-url URL`: a long-polling SQS consumer that runs the same handler as
//! the processor Lambda and deletes only the messages it applied. What it could not apply stays
//! on the queue, becomes visible again, and ends in the dead-letter queue after the queue's
//! `maxReceiveCount`.

use std::time::Duration;

use anyhow::Context;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use processor::sqs::{Message, handle_messages};
use sea_orm::DatabaseConnection;

pub struct Worker {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub db: DatabaseConnection,
    /// Messages applied per transaction (received ten at a time, SQS's limit).
    pub batch_size: usize,
    /// Long-poll wait per receive.
    pub wait: Duration,
}

/// What a run of the worker did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub received: usize,
    pub applied: usize,
    pub duplicates: usize,
    pub failed: usize,
    /// Batches left on the queue because the store was unavailable.
    pub store_errors: usize,
}

impl Worker {
    /// An SQS client from the environment (`AWS_ENDPOINT_URL_SQS` for emulators).
    pub async fn client_from_env() -> aws_sdk_sqs::Client {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        aws_sdk_sqs::Client::new(&config)
    }

    /// Receives one batch (up to `batch_size`, ten messages per receive).
    async fn receive(&self) -> anyhow::Result<Vec<(Message, String)>> {
        let mut out = Vec::new();
        while out.len() < self.batch_size.max(1) {
            let want = (self.batch_size.max(1) - out.len()).min(10) as i32;
            let wait = if out.is_empty() {
                self.wait.as_secs() as i32
            } else {
                0
            };
            let got = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(want)
                .wait_time_seconds(wait)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot receive from {}: {}",
                        self.queue_url,
                        ingest::sqs_error(&e)
                    )
                })?;
            let messages = got.messages();
            let n = messages.len();
            for m in messages {
                out.push((
                    Message {
                        id: m.message_id().unwrap_or_default().to_owned(),
                        body: m.body().unwrap_or_default().to_owned(),
                    },
                    m.receipt_handle().unwrap_or_default().to_owned(),
                ));
            }
            if n < want as usize {
                break;
            }
        }
        Ok(out)
    }

    /// Runs until `stop` resolves, or, with `until_empty`, until a receive finds nothing.
    pub async fn run(
        &self,
        until_empty: bool,
        stop: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<Totals> {
        let mut totals = Totals::default();
        tokio::pin!(stop);
        loop {
            let received = tokio::select! {
                _ = &mut stop => return Ok(totals),
                r = self.receive() => r,
            };
            let received = match received {
                Ok(r) => r,
                Err(e) if !until_empty => {
                    tracing::warn!(error = %format!("{e:#}"), "receive failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if received.is_empty() {
                if until_empty {
                    return Ok(totals);
                }
                if self.wait.is_zero() {
                    // Short polling: pause instead of asking again at once.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                continue;
            }
            totals.received += received.len();
            let messages: Vec<Message> = received.iter().map(|(m, _)| m.clone()).collect();
            match handle_messages(&self.db, &messages).await {
                Ok(handled) => {
                    totals.applied += handled.applied;
                    totals.duplicates += handled.duplicates;
                    totals.failed += handled.failed.len();
                    let done: Vec<&(Message, String)> = received
                        .iter()
                        .filter(|(m, _)| !handled.failed.contains(&m.id))
                        .collect();
                    self.delete(&done).await?;
                }
                Err(e) => {
                    totals.store_errors += 1;
                    tracing::warn!(error = %e, "store unavailable; the batch stays on the queue");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    async fn delete(&self, done: &[&(Message, String)]) -> anyhow::Result<()> {
        for chunk in done.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, (_, receipt))| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(receipt)
                        .build()
                        .expect("id and receipt handle are set")
                })
                .collect();
            self.client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(&e)))
                .context(
                    "cannot delete applied messages (they will be applied again, harmlessly)",
                )?;
        }
        Ok(())
    }
}
