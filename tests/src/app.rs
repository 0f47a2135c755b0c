//! `spawn_app()`: the whole local service (ingest, the read API, the dashboard) as `artflow
//! serve` runs it, on a fresh database, on port 0, with typed request helpers.

use std::sync::Arc;

use api::{ApiSettings, ApiState};

use crate::support::{Reply, TestDb, TestServer, http};

/// The secret test apps verify webhook signatures with.
pub const SECRET: &str = "test-webhook-secret";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    MySql,
}

pub struct TestApp {
    pub db: TestDb,
    pub api: ApiState,
    pub server: TestServer,
}

/// A served app on a fresh database; `None` (with a line saying so) when the backend is MySQL
/// and `TEST_MYSQL_URL` is not set.
pub async fn spawn_app(test: &str, backend: Backend, settings: ApiSettings) -> Option<TestApp> {
    let db = match backend {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::MySql => TestDb::mysql(test).await?,
    };
    let api = ApiState::new(db.db.clone(), settings);
    let ingest = ingest::IngestState::new(
        Arc::new(artflow::serve::local_queue(&api)),
        ingest::Auth::new(Some(SECRET.into()), None).expect("a secret is enough"),
    );
    let server = TestServer::start(artflow::serve::router(ingest, api.clone())).await;
    Some(TestApp { db, api, server })
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        http(&self.server.base, "GET", path, headers, b"")
            .await
            .expect("the server answers")
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        http(&self.server.base, method, path, headers, body)
            .await
            .expect("the server answers")
    }

    /// Posts a webhook body signed with [`SECRET`], as Jira does.
    pub async fn post_webhook(&self, body: &[u8]) -> Reply {
        let signature = ingest::auth::sign(SECRET.as_bytes(), body);
        self.request(
            "POST",
            "/webhooks/jira",
            &[
                ("content-type", "application/json"),
                ("x-hub-signature", &signature),
            ],
            body,
        )
        .await
    }
}
