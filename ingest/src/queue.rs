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

/// One line for an SQS error: the service's code and message, or the transport's reason (never
/// the SDK's debug dump of the raw response).
pub fn sqs_error<E, R>(e: &aws_sdk_sqs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_sqs::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message().unwrap_or("no message")
            )
        }
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

impl SqsQueue {
    /// Checks that the queue exists and answers, so that a wrong URL stops a server at start.
    pub async fn check(&self) -> Result<(), QueueError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| QueueError(format!("SQS queue {}: {}", self.queue_url, sqs_error(&e))))
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
                .map_err(|e| QueueError(format!("SQS refused the event: {}", sqs_error(&e))))
        })
    }
}
