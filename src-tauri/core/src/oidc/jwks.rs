//! A JWKS cache keyed by `jwks_uri`, refetched when a token names an unknown `kid` (key rotation), at most
//! once per `min_refetch` per URI so that a flood of bad tokens cannot make us hammer the issuer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::http::{HttpClient, HttpError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("the key set at {url} could not be read (HTTP {status}): {reason}")]
    Malformed { url: String, status: u16, reason: String },
}

struct Entry {
    keys: Arc<Value>,
    fetched_at: Instant,
}

/// Shared by all runs of an app session, so keys are fetched once.
pub struct JwksCache {
    http: HttpClient,
    min_refetch: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl JwksCache {
    pub fn new(http: HttpClient, min_refetch: Duration) -> Self {
        Self { http, min_refetch, entries: Mutex::new(HashMap::new()) }
    }

    /// The cached key set, fetched on first use.
    pub async fn get(&self, url: &Url) -> Result<Arc<Value>, JwksError> {
        if let Some(entry) = self.entries.lock().await.get(url.as_str()) {
            return Ok(entry.keys.clone());
        }
        self.fetch(url).await
    }

    /// Refetches after an unknown `kid`, unless the last fetch is more recent than `min_refetch`;
    /// `None` means "rate-limited, the cached set stands".
    pub async fn refresh(&self, url: &Url) -> Result<Option<Arc<Value>>, JwksError> {
        let recent = self
            .entries
            .lock()
            .await
            .get(url.as_str())
            .is_some_and(|e| e.fetched_at.elapsed() < self.min_refetch);
        if recent {
            return Ok(None);
        }
        self.fetch(url).await.map(Some)
    }

    async fn fetch(&self, url: &Url) -> Result<Arc<Value>, JwksError> {
        let resp = self.http.get(url, &[("accept", "application/json")]).await?;
        let malformed = |reason: String| JwksError::Malformed { url: url.to_string(), status: resp.status, reason };
        if !resp.is_success() {
            return Err(malformed("the server refused".into()));
        }
        let keys: Value = serde_json::from_str(&resp.body).map_err(|e| malformed(e.to_string()))?;
        if !keys.get("keys").is_some_and(Value::is_array) {
            return Err(malformed("there is no `keys` array".into()));
        }
        let keys = Arc::new(keys);
        self.entries
            .lock()
            .await
            .insert(url.to_string(), Entry { keys: keys.clone(), fetched_at: Instant::now() });
        Ok(keys)
    }
}
