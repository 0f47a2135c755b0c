//! Where accepted events go. One trait, two implementations: [`SqsQueue`] here (AWS, or any
//! SQS-compatible endpoint through `AWS_ENDPOINT_URL_SQS`), and the in-process processor of
//! `artflow serve`. Either way, `Ok` means the event is durably stored.

use std::future::Future;
use std::pin::Pin;

use domain::IssueEvent;

/// The queue refused or could not be reached: the webhook gets a 503 so that Jira retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct QueueError(pub String);

pub type QueueFuture<'a> = Pin<Box<dyn Future<Output = Result<(), QueueError>> + Send + 'a>>;

pub trait Queue: Send + Sync + 'static {
    /// Stores the event durably; returns once it is.
    fn enqueue<'a>(&'a self, event: &'a IssueEvent) -> QueueFuture<'a>;
}

/// Amazon SQS (a standard queue; the processor is idempotent, so at-least-once is enough).
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> SqsQueue {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// A client from the environment's AWS configuration (region, credentials, and
    /// `AWS_ENDPOINT_URL_SQS` for emulators such as moto).
    pub async fn from_env(queue_url: impl Into<String>) -> SqsQueue {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        SqsQueue::new(aws_sdk_sqs::Client::new(&config), queue_url)
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

impl Queue for SqsQueue {
    fn enqueue<'a>(&'a self, event: &'a IssueEvent) -> QueueFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_string(event).expect("an event serializes");
            self.client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    QueueError(format!(
                        "SQS refused the event: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(&e)
                    ))
                })
        })
    }
}
