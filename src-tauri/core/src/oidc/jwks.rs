//! A JWKS cache keyed by `jwks_uri`, refetched when a token names an unknown `kid` (key rotation), at most
//! once per `min_refetch` per URI so that a flood of bad tokens cannot make us hammer the issuer.
//!
//! Keys are parsed once, when fetched (while the user signs in), into the forms both verifiers take, rather
//! than from JSON on every check between the sign-in callback and the API call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use openidconnect::JsonWebKeySet;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::ring_key::RingJsonWebKey;
use crate::http::{HttpClient, HttpError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("the key set at {url} could not be read (HTTP {status}): {reason}")]
    Malformed { url: String, status: u16, reason: String },
}

/// An issuer's published keys, as `jsonwebtoken` and `openidconnect` read them.
#[derive(Debug)]
pub struct KeySet {
    /// The keys that parse, for [`crate::token::verify_signature`]; one odd key (an unsupported `kty`)
    /// must not hide the others.
    pub jwks: Vec<Jwk>,
    /// The same document as `openidconnect` reads it, RSA checked by ring.
    oidc: Vec<RingJsonWebKey>,
}

impl KeySet {
    /// Reads a JWKS document (`{"keys": [...]}`); keys that do not parse are left out.
    pub fn from_document(document: &Value) -> Self {
        let keys = document.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        Self {
            jwks: keys.iter().filter_map(|k| Jwk::deserialize(k).ok()).collect(),
            oidc: JsonWebKeySet::<RingJsonWebKey>::deserialize(document).map(|set| set.keys().clone()).unwrap_or_default(),
        }
    }

    /// The keys for `openidconnect`'s ID-token verifier, which takes a set of its own.
    pub(crate) fn for_openidconnect(&self) -> JsonWebKeySet<RingJsonWebKey> {
        JsonWebKeySet::new(self.oidc.clone())
    }
}

struct Entry {
    keys: Arc<KeySet>,
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
    pub async fn get(&self, url: &Url) -> Result<Arc<KeySet>, JwksError> {
        if let Some(entry) = self.entries.lock().await.get(url.as_str()) {
            return Ok(entry.keys.clone());
        }
        self.fetch(url).await
    }

    /// Refetches after an unknown `kid`, unless the last fetch is more recent than `min_refetch`;
    /// `None` means "rate-limited, the cached set stands".
    pub async fn refresh(&self, url: &Url) -> Result<Option<Arc<KeySet>>, JwksError> {
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

    async fn fetch(&self, url: &Url) -> Result<Arc<KeySet>, JwksError> {
        let resp = self.http.get(url, &[("accept", "application/json")]).await?;
        let malformed = |reason: String| JwksError::Malformed { url: url.to_string(), status: resp.status, reason };
        if !resp.is_success() {
            return Err(malformed("the server refused".into()));
        }
        let keys: Value = serde_json::from_str(&resp.body).map_err(|e| malformed(e.to_string()))?;
        if !keys.get("keys").is_some_and(Value::is_array) {
            return Err(malformed("there is no `keys` array".into()));
        }
        let keys = Arc::new(KeySet::from_document(&keys));
        self.entries
            .lock()
            .await
            .insert(url.to_string(), Entry { keys: keys.clone(), fetched_at: Instant::now() });
        Ok(keys)
    }
}
