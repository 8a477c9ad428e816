//! The one HTTP client every request of the engine goes through.
//!
//! rustls with the OS trust store (corporate CAs work), proxy from the environment (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) but never for loopback hosts, connect and read timeouts, a cap on the response size, no redirects (a token endpoint that redirects is misconfigured,
//! and following it could send credentials elsewhere), and `http://` only for loopback hosts.
//! It does not retry: IAS locks a client after five failed authentications.

use std::net::IpAddr;
use std::time::Duration;

use url::Url;

/// The response bodies we read are tokens and small JSON documents; anything past this is refused.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// Time for the whole request, headers and body.
    pub timeout: Duration,
    pub body_limit: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_secs(10), timeout: Duration::from_secs(30), body_limit: DEFAULT_BODY_LIMIT }
    }
}

/// A failed request, classified so the diagnosis can say what to check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL does not parse.
    #[error("`{url}` is not a valid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// `http://` to a host that is not loopback.
    #[error("`{url}` uses http:// for a host that is not on this machine")]
    Insecure { url: String },
    /// The host name did not resolve.
    #[error("could not resolve the host of {url}")]
    Dns { url: String, #[source] source: reqwest::Error },
    /// TCP connection refused or unreachable.
    #[error("could not connect to {url}")]
    Connect { url: String, #[source] source: reqwest::Error },
    /// TLS handshake or certificate failure.
    #[error("the TLS connection to {url} failed: {detail}")]
    Tls { url: String, detail: String },
    /// No complete answer in time.
    #[error("{url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    /// The body is larger than we accept.
    #[error("the response from {url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// Anything else reqwest reports.
    #[error("the request to {url} failed: {detail}")]
    Other { url: String, detail: String },
}

/// A response read in full (up to the limit).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| ct.contains("json"))
    }
}

/// Checks scheme and host: `https` anywhere, `http` only for loopback (RFC 8252 §8.3 spirit).
pub fn parse_url(raw: &str) -> Result<Url, HttpError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| HttpError::InvalidUrl { url: raw.to_owned(), reason: e.to_string() })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(HttpError::Insecure { url: raw.to_owned() }),
        other => Err(HttpError::InvalidUrl { url: raw.to_owned(), reason: format!("unsupported scheme `{other}`") }),
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The engine's HTTP client. Cheap to clone (connections are pooled and kept alive).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: HttpConfig,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder().no_proxy();
        for proxy in proxies_from_env(|name| std::env::var(name).ok()) {
            builder = builder.proxy(proxy);
        }
        let inner = builder
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("TokenHop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Other { url: String::new(), detail: e.to_string() })?;
        Ok(Self { inner, config })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// GET a URL and read the body.
    pub async fn get(&self, url: &Url, headers: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        let mut req = self.inner.get(url.clone());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(url, req).await
    }

    /// POST an `application/x-www-form-urlencoded` body.
    pub async fn post_form(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        let body = form_urlencode(form);
        let mut req = self
            .inner
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(url, req).await
    }

    /// Any method, for the API call.
    pub async fn request(
        &self,
        method: reqwest::Method,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, HttpError> {
        let mut req = self.inner.request(method, url.clone());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(url, req).await
    }

    /// Opens a kept-alive connection to `url`'s origin before its first real request, as a browser's
    /// preconnect does: the TCP (and TLS) handshake then happens while the user signs in, not during the chain.
    /// reqwest cannot connect without a request, so this sends `HEAD /` with no credentials and ignores the
    /// answer; if it fails, the real request connects and reports the failure itself.
    pub async fn preconnect(&self, url: &Url) {
        let origin = url.origin().ascii_serialization();
        let Ok(root) = Url::parse(&origin) else { return };
        match self.inner.head(root).send().await {
            Ok(resp) => tracing::debug!(%origin, status = resp.status().as_u16(), "preconnected"),
            Err(e) => tracing::debug!(%origin, error = %error_chain(&e), "preconnect failed"),
        }
    }

    async fn send(&self, url: &Url, req: reqwest::RequestBuilder) -> Result<HttpResponse, HttpError> {
        let mut resp = req.send().await.map_err(|e| self.classify(url, e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let limit = self.config.body_limit;
        if resp.content_length().is_some_and(|len| len as usize > limit) {
            return Err(HttpError::TooLarge { url: url.to_string(), limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(url, e))? {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::TooLarge { url: url.to_string(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
    }

    fn classify(&self, url: &Url, e: reqwest::Error) -> HttpError {
        let url_s = url.to_string();
        if e.is_timeout() {
            return HttpError::Timeout { url: url_s, seconds: self.config.timeout.as_secs() };
        }
        let chain = error_chain(&e);
        let lower = chain.to_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return HttpError::Tls { url: url_s, detail: chain };
        }
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            return HttpError::Dns { url: url_s, source: e };
        }
        if e.is_connect() {
            return HttpError::Connect { url: url_s, source: e };
        }
        HttpError::Other { url: url_s, detail: chain }
    }
}

/// Hosts no proxy ever sees: this machine's own services (the sandbox, a local IdP) get tokens and client
/// secrets over plain http, which a proxy would receive in cleartext. `NO_PROXY` can add to it, not remove.
const LOOPBACK_HOSTS: &str = "localhost,127.0.0.0/8,::1";

/// The proxies the environment names, as curl reads them (the lower-case name first for `http_proxy`),
/// each bypassed for `NO_PROXY` and for loopback. None under CGI (`REQUEST_METHOD` set), where
/// `HTTP_PROXY` may come from a request header (httpoxy).
fn proxies_from_env(var: impl Fn(&str) -> Option<String>) -> Vec<reqwest::Proxy> {
    let first = |names: &[&str]| names.iter().find_map(|n| var(n)).filter(|v| !v.trim().is_empty());
    let no_proxy = match first(&["NO_PROXY", "no_proxy"]) {
        Some(list) => format!("{list},{LOOPBACK_HOSTS}"),
        None => LOOPBACK_HOSTS.to_owned(),
    };
    let bypass = || reqwest::NoProxy::from_string(&no_proxy);
    let cgi = var("REQUEST_METHOD").is_some();
    let candidates = [
        ("https", first(&["HTTPS_PROXY", "https_proxy"])),
        ("http", first(&["http_proxy", "HTTP_PROXY"]).filter(|_| !cgi)),
        ("all", first(&["ALL_PROXY", "all_proxy"])),
    ];
    candidates
        .into_iter()
        .filter_map(|(scheme, url)| {
            let url = url?;
            let proxy = match scheme {
                "https" => reqwest::Proxy::https(url.as_str()),
                "http" => reqwest::Proxy::http(url.as_str()),
                _ => reqwest::Proxy::all(url.as_str()),
            };
            match proxy {
                Ok(proxy) => Some(proxy.no_proxy(bypass())),
                Err(e) => {
                    tracing::warn!(error = %e, "ignoring a proxy variable that is not a URL");
                    None
                }
            }
        })
        .collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `application/x-www-form-urlencoded` serialization (WHATWG URL §5.2).
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// RFC 6749 §2.3.1: form-urlencode id and secret *before* base64 — real IAS and XSUAA secrets contain `+ / =`.
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(client_id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_before_base64() {
        use base64::Engine;
        let header = basic_auth("sb-app!t12", "a+b/c=");
        let decoded = base64::engine::general_purpose::STANDARD.decode(&header["Basic ".len()..]).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "sb-app%21t12:a%2Bb%2Fc%3D", "RFC 6749 §2.3.1 encoding");
    }

    #[test]
    fn http_is_refused_except_for_loopback() {
        let cases = [
            ("https://acme.accounts.ondemand.com", true),
            ("http://127.0.0.1:8080/x", true),
            ("http://localhost:1", true),
            ("http://[::1]:1", true),
            ("http://acme.accounts.ondemand.com", false),
            ("ftp://localhost", false),
            ("not a url", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(parse_url(raw).is_ok(), ok, "{raw}");
        }
    }
}
