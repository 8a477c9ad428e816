//! A JWKS cache keyed by `jwks_uri`. Keys are kept for [`MAX_AGE`], so that a key the issuer stops
//! publishing stops being trusted, and refetched when a token names a `kid` the cached set lacks (key
//! rotation, possibly just after the keys were prefetched): once per `kid` within `min_refetch`, so that a
//! token naming a key that does not exist cannot make us hammer the issuer.
//!
//! Keys are parsed once, when fetched (while the user signs in), into the forms both verifiers take, rather
//! than from JSON on every check between the sign-in callback and the API call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use openidconnect::core::CoreJsonWebKey;
use openidconnect::JsonWebKeySet;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::http::{HttpClient, HttpError};

/// How long a fetched key set is trusted before it is fetched again.
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);

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
    /// The same document as `openidconnect` reads it.
    oidc: Vec<CoreJsonWebKey>,
}

impl KeySet {
    /// Reads a JWKS document (`{"keys": [...]}`); keys that do not parse are left out.
    pub fn from_document(document: &Value) -> Self {
        let keys = document.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        Self {
            jwks: keys.iter().filter_map(|k| Jwk::deserialize(k).ok()).collect(),
            oidc: keys.iter().filter_map(|k| CoreJsonWebKey::deserialize(k).ok()).collect(),
        }
    }

    /// The keys for `openidconnect`'s ID-token verifier, which takes a set of its own.
    pub(crate) fn for_openidconnect(&self) -> JsonWebKeySet<CoreJsonWebKey> {
        JsonWebKeySet::new(self.oidc.clone())
    }

    /// Whether a key with this `kid` is published.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.jwks.iter().any(|k| k.common.key_id.as_deref() == Some(kid))
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
    max_age: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// When each (`jwks_uri`, `kid`) last made us refetch.
    looked_for: Mutex<HashMap<(String, String), Instant>>,
}

impl JwksCache {
    /// A cache that refetches for the same unknown `kid` at most once per `min_refetch`.
    pub fn new(http: HttpClient, min_refetch: Duration) -> Self {
        Self { http, min_refetch, max_age: MAX_AGE, entries: Mutex::default(), looked_for: Mutex::default() }
    }

    /// The same, trusting a fetched set for `max_age` instead of [`MAX_AGE`].
    pub fn with_max_age(self, max_age: Duration) -> Self {
        Self { max_age, ..self }
    }

    /// The cached key set, fetched on first use and once it is older than the maximum age.
    pub async fn get(&self, url: &Url) -> Result<Arc<KeySet>, JwksError> {
        self.get_with(url, &[]).await
    }

    /// [`Self::get`], fetching with `headers`: IAS takes `x-client_id`, `x-app_tid` and `x-azp` with its keys
    /// request, as SAP's security libraries send them, and may check the audience online.
    pub async fn get_with(&self, url: &Url, headers: &[(&str, &str)]) -> Result<Arc<KeySet>, JwksError> {
        if let Some(entry) = self.entries.lock().await.get(url.as_str()) {
            if entry.fetched_at.elapsed() < self.max_age {
                return Ok(entry.keys.clone());
            }
        }
        self.fetch(url, headers).await
    }

    /// The key set after a token named `kid` (`None`: no kid) that the cached set lacks: refetched, unless
    /// this `kid` was already looked for within `min_refetch`. `None` means "looked for recently, the cached
    /// set stands".
    pub async fn refresh(&self, url: &Url, kid: Option<&str>) -> Result<Option<Arc<KeySet>>, JwksError> {
        self.refresh_with(url, kid, &[]).await
    }

    /// [`Self::refresh`], fetching with `headers` (see [`Self::get_with`]).
    pub async fn refresh_with(
        &self,
        url: &Url,
        kid: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Option<Arc<KeySet>>, JwksError> {
        let now = Instant::now();
        {
            let mut looked_for = self.looked_for.lock().await;
            looked_for.retain(|_, at| now.duration_since(*at) < self.min_refetch);
            let key = (url.to_string(), kid.unwrap_or_default().to_owned());
            if looked_for.contains_key(&key) {
                return Ok(None);
            }
            looked_for.insert(key, now);
        }
        // Another run may have fetched the key meanwhile.
        if let (Some(kid), Some(entry)) = (kid, self.entries.lock().await.get(url.as_str())) {
            if entry.keys.has_kid(kid) && entry.fetched_at.elapsed() < self.max_age {
                return Ok(Some(entry.keys.clone()));
            }
        }
        self.fetch(url, headers).await.map(Some)
    }

    async fn fetch(&self, url: &Url, headers: &[(&str, &str)]) -> Result<Arc<KeySet>, JwksError> {
        let mut all = vec![("accept", "application/json")];
        all.extend_from_slice(headers);
        let resp = self.http.get(url, &all).await?;
        let malformed = |reason: String| JwksError::Malformed { url: url.to_string(), status: resp.status, reason };
        if !resp.is_success() {
            return Err(malformed("the server refused".into()));
        }
        let keys: Value = serde_json::from_str(&resp.body).map_err(|e| malformed(e.to_string()))?;
        if !keys.get("keys").is_some_and(Value::is_array) {
            return Err(malformed("there is no `keys` array".into()));
        }
        let keys = Arc::new(KeySet::from_document(&keys));
        self.entries.lock().await.insert(url.to_string(), Entry { keys: keys.clone(), fetched_at: Instant::now() });
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpConfig;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A JWKS endpoint on loopback that serves whatever `keys` holds and counts its requests.
    async fn jwks_server(keys: Arc<std::sync::Mutex<Value>>) -> (Url, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let (keys, counter) = (keys.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::Json(keys.lock().unwrap().clone())
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/keys", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    fn document(kids: &[&str]) -> Value {
        let keys: Vec<Value> = kids
            .iter()
            .map(|kid| serde_json::json!({ "kty": "RSA", "kid": kid, "use": "sig", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB" }))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    fn cache(min_refetch: Duration) -> JwksCache {
        JwksCache::new(HttpClient::new(HttpConfig::default()).unwrap(), min_refetch)
    }

    #[tokio::test]
    async fn a_kid_that_appeared_after_the_prefetch_is_fetched_at_once() {
        let published = Arc::new(std::sync::Mutex::new(document(&["old"])));
        let (url, _) = jwks_server(published.clone()).await;
        let jwks = cache(Duration::from_secs(30));
        assert!(jwks.get(&url).await.unwrap().has_kid("old"), "the prefetch");

        *published.lock().unwrap() = document(&["new", "old"]);
        let fresh = jwks.refresh(&url, Some("new")).await.unwrap();
        assert!(fresh.is_some_and(|k| k.has_kid("new")), "a rotation right after the prefetch must be seen");
    }

    #[tokio::test]
    async fn the_same_unknown_kid_is_looked_for_once_per_window_and_other_kids_still_are() {
        let (url, hits) = jwks_server(Arc::new(std::sync::Mutex::new(document(&["k1"])))).await;
        let jwks = cache(Duration::from_secs(600));
        jwks.get(&url).await.unwrap();
        assert!(jwks.refresh(&url, Some("ghost")).await.unwrap().is_some(), "the first miss refetches");
        assert!(jwks.refresh(&url, Some("ghost")).await.unwrap().is_none(), "the same kid again does not");
        assert!(jwks.refresh(&url, Some("other")).await.unwrap().is_some(), "another kid may refetch");
        assert_eq!(hits.load(Ordering::SeqCst), 3, "one fetch, then one per distinct missing kid");
    }

    #[tokio::test]
    async fn a_key_the_issuer_stops_publishing_stops_being_trusted_after_the_maximum_age() {
        let published = Arc::new(std::sync::Mutex::new(document(&["old", "new"])));
        let (url, hits) = jwks_server(published.clone()).await;
        let jwks = cache(Duration::from_secs(30)).with_max_age(Duration::from_millis(50));
        assert!(jwks.get(&url).await.unwrap().has_kid("old"));
        *published.lock().unwrap() = document(&["new"]);
        assert!(jwks.get(&url).await.unwrap().has_kid("old"), "within the maximum age the cached set stands");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!jwks.get(&url).await.unwrap().has_kid("old"), "a withdrawn key must stop being trusted");
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}
