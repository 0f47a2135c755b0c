//! The in-memory cache of rendered responses. Each entry is kept with the data version it was
//! rendered at: an ART's version changes with every aggregate write under it (the processor
//! increments a counter on each) and with every configuration change. The versions are read with
//! one query at most once per `freshness` (a second by default), so a busy dashboard costs the
//! database one small query a second, and a change shows within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use sea_orm::ConnectionTrait;

use crate::read::{self, ReadError};

/// A rendered response.
#[derive(Debug, Clone)]
pub struct Cached {
    pub body: Bytes,
    pub content_type: &'static str,
    /// A strong validator: a hash of the body.
    pub etag: String,
    /// For CSV pages: the cursor of the next page.
    pub next_cursor: Option<String>,
}

impl Cached {
    pub fn new(body: Bytes, content_type: &'static str) -> Cached {
        Cached {
            etag: format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body)),
            body,
            content_type,
            next_cursor: None,
        }
    }
}

/// The data versions read at one moment.
#[derive(Debug, Default)]
pub struct Versions {
    taken: Option<Instant>,
    /// Of the whole store (every ART).
    pub global: u64,
    /// Of each ART, by lowercase abbreviation.
    arts: HashMap<String, u64>,
}

/// Responses larger than this are not kept.
const MAX_ENTRY: usize = 4 * 1024 * 1024;
/// The cache's whole size; when full, it starts over.
const MAX_TOTAL: usize = 64 * 1024 * 1024;

pub struct Cache {
    freshness: Duration,
    versions: RwLock<Arc<Versions>>,
    refreshing: tokio::sync::Mutex<()>,
    entries: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, (u64, Arc<Cached>)>,
    bytes: usize,
}

impl Cache {
    pub fn new(freshness: Duration) -> Cache {
        Cache {
            freshness,
            versions: RwLock::new(Arc::new(Versions::default())),
            refreshing: tokio::sync::Mutex::new(()),
            entries: RwLock::new(Entries::default()),
        }
    }

    /// Makes the next read look at the database's versions again.
    pub fn invalidate(&self) {
        *self.versions.write().expect("not poisoned") = Arc::new(Versions::default());
    }

    fn current(&self) -> Option<Arc<Versions>> {
        let v = self.versions.read().expect("not poisoned").clone();
        v.taken
            .is_some_and(|t| t.elapsed() < self.freshness)
            .then_some(v)
    }

    /// The versions, read again when older than the freshness (by one request at a time).
    pub async fn versions(&self, db: &impl ConnectionTrait) -> Result<Arc<Versions>, ReadError> {
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(v) = self.current() {
            return Ok(v);
        }
        let list = read::versions(db).await?;
        let mut all = xxhash_rust::xxh3::Xxh3::new();
        let mut arts = HashMap::with_capacity(list.len());
        for a in list {
            all.update(&a.id.to_le_bytes());
            all.update(&a.version.to_le_bytes());
            arts.insert(a.abbreviation.to_lowercase(), a.version);
        }
        let v = Arc::new(Versions {
            taken: Some(Instant::now()),
            global: all.digest(),
            arts,
        });
        *self.versions.write().expect("not poisoned") = v.clone();
        Ok(v)
    }

    /// The version of one ART, or None when no ART has the abbreviation.
    pub async fn art_version(
        &self,
        db: &impl ConnectionTrait,
        abbreviation: &str,
    ) -> Result<Option<u64>, ReadError> {
        Ok(self
            .versions(db)
            .await?
            .arts
            .get(&abbreviation.to_lowercase())
            .copied())
    }

    /// The response kept for `key` at `version`, or a new one rendered by `render`.
    pub async fn get_or_compute<F, Fut>(
        &self,
        key: String,
        version: u64,
        render: F,
    ) -> Result<Arc<Cached>, ReadError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Cached, ReadError>>,
    {
        if let Some((v, e)) = self.entries.read().expect("not poisoned").map.get(&key)
            && *v == version
        {
            return Ok(e.clone());
        }
        let entry = Arc::new(render().await?);
        let size = entry.body.len() + key.len();
        if size <= MAX_ENTRY {
            let mut entries = self.entries.write().expect("not poisoned");
            if entries.bytes + size > MAX_TOTAL {
                *entries = Entries::default();
            }
            if let Some((_, old)) = entries.map.insert(key.clone(), (version, entry.clone())) {
                entries.bytes -= old.body.len() + key.len();
            }
            entries.bytes += size;
        }
        Ok(entry)
    }
}
