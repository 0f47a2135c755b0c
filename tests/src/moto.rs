//! A real SQS endpoint for tests: moto's server (`pip install 'moto[server]'`) on a free port,
//! stopped when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};

pub struct Moto {
    child: Option<Child>,
    pub endpoint: String,
    pub port: u16,
}

impl Moto {
    /// Starts moto_server; `None`, with a line saying the test was skipped, when it is not
    /// installed (CI installs it).
    pub fn start(test: &str) -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!(
                    "skipped {test}: moto_server cannot start ({e}); pip install 'moto[server]'"
                );
                return None;
            }
        };
        let moto = Moto {
            child: Some(child),
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(moto)
    }

    /// An SQS client for this endpoint (fixed test credentials, us-east-1).
    pub fn client(&self) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    /// Creates a queue and returns its URL.
    pub async fn queue(&self, name: &str) -> String {
        self.client()
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("moto creates a queue")
            .queue_url()
            .expect("a queue URL")
            .to_owned()
    }

    /// Every message on the queue now (received and deleted).
    pub async fn drain(&self, queue_url: &str) -> Vec<String> {
        let client = self.client();
        let mut out = Vec::new();
        loop {
            let got = client
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            let messages = got.messages();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                out.push(m.body().unwrap_or_default().to_owned());
                client
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    /// Stops the server (to test what happens when the queue is unavailable).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}
