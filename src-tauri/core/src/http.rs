//! The one HTTP client every request of the engine goes through.
//!
//! rustls with the OS trust store (corporate CAs work; `SSL_CERT_FILE` / `SSL_CERT_DIR`, when set, replace it, as
//! `rustls-native-certs` reads them), extra CA roots from a profile's `ca_file`, a client certificate for mutual
//! TLS (a client per identity, derived from this one), proxy from the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`) but never for loopback hosts, connect and read timeouts, a cap on the response size,
//! no redirects (a token endpoint that redirects is misconfigured,
//! and following it could send credentials elsewhere), and `http://` only for loopback hosts.
//! It does not retry: IAS locks a client after five failed authentications.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::certificate::ClientIdentity;
use crate::diagnose::{code, Diagnosis};

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
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            body_limit: DEFAULT_BODY_LIMIT,
        }
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
    Dns {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// TCP connection refused or unreachable.
    #[error("could not connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// TLS handshake or certificate failure.
    #[error("the TLS connection to {host} failed: {reason}")]
    Tls { url: String, host: String, reason: TlsFailure, detail: String },
    /// The profile's `ca_file` cannot be read or holds no certificate.
    #[error("the CA file {path} cannot be used: {reason}")]
    CaFile { path: String, reason: String },
    /// The client certificate and key could not be handed to the TLS client.
    #[error("the client certificate could not be loaded into the TLS client: {reason}")]
    ClientIdentity { reason: String },
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

/// Why a TLS handshake failed, as far as rustls says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server's certificate chains to no trusted root.
    UnknownCa,
    /// The server's certificate has expired (or is not yet valid).
    Expired,
    /// The server's certificate is not issued for the host name.
    WrongHost,
    /// The server asked for a client certificate and none was sent.
    ClientCertificateRequired,
    /// The server refused the client certificate that was sent.
    ClientCertificateRefused,
    /// Anything else (protocol, cipher suites, a reset handshake).
    Other,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnknownCa => "its certificate is issued by a CA this computer does not trust",
            Self::Expired => "its certificate has expired or is not yet valid",
            Self::WrongHost => "its certificate is not issued for this host name",
            Self::ClientCertificateRequired => "it requires a client certificate, and none was sent",
            Self::ClientCertificateRefused => "it refused the client certificate",
            Self::Other => "the handshake failed",
        })
    }
}

/// Trust and identity of a client beyond the defaults.
#[derive(Clone, Default)]
struct Tls {
    extra_roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
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
    let url =
        Url::parse(raw.trim()).map_err(|e| HttpError::InvalidUrl { url: raw.to_owned(), reason: e.to_string() })?;
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
    tls: Arc<Tls>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("extra_roots", &self.extra_roots.len())
            .field("identity", &self.identity.is_some())
            .finish()
    }
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        Self::build(config, Tls::default())
    }

    fn build(config: HttpConfig, tls: Tls) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder().no_proxy();
        for proxy in proxies_from_env(|name| std::env::var(name).ok()) {
            builder = builder.proxy(proxy);
        }
        let mut builder = builder
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("TokenHop/", env!("CARGO_PKG_VERSION")));
        for root in &tls.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(identity) = &tls.identity {
            builder = builder.identity(identity.clone());
        }
        let inner = builder.build().map_err(|e| HttpError::Other { url: String::new(), detail: error_chain(&e) })?;
        Ok(Self { inner, config, tls: Arc::new(tls) })
    }

    /// A client that also trusts the CA certificates in `pem`, read from the file at `path` (named in errors).
    pub fn with_ca_pem(&self, path: &Path, pem: &[u8]) -> Result<Self, HttpError> {
        let shown = || path.display().to_string();
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| HttpError::CaFile { path: shown(), reason: error_chain(&e) })?;
        if roots.is_empty() {
            return Err(HttpError::CaFile { path: shown(), reason: "it holds no PEM certificate".into() });
        }
        let mut tls = (*self.tls).clone();
        tls.extra_roots.extend(roots);
        Self::build(self.config.clone(), tls)
    }

    /// A client that presents `identity` when a server asks for a client certificate (mutual TLS), with this
    /// client's trust. A new connection pool: the identity is part of the TLS session.
    pub fn with_identity(&self, identity: &ClientIdentity) -> Result<Self, HttpError> {
        let identity = reqwest::Identity::from_pem(&identity.combined_pem())
            .map_err(|e| HttpError::ClientIdentity { reason: error_chain(&e) })?;
        let mut tls = (*self.tls).clone();
        tls.identity = Some(identity);
        Self::build(self.config.clone(), tls)
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
        let host = url.host_str().map(|h| match url.port() {
            Some(port) => format!("{h}:{port}"),
            None => h.to_owned(),
        });
        let host = host.unwrap_or_default();
        if let Some(tls) = rustls_error(&e) {
            let reason = tls_failure(tls, self.tls.identity.is_some());
            return HttpError::Tls { url: url_s, host, reason, detail: chain };
        }
        let lower = chain.to_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return HttpError::Tls { url: url_s, host, reason: TlsFailure::Other, detail: chain };
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

/// The rustls error behind a failed request, wherever hyper and `std::io` wrapped it.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // `io::Error::source` skips the error it wraps: look inside.
        if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(tls) = rustls_error(inner) {
                return Some(tls);
            }
        }
        current = err.source();
    }
    None
}

/// What a rustls error means for the user. The server's alerts about certificates are about ours only when we
/// `presented` one: with a client certificate in TLS 1.3 the server judges it after our side of the handshake,
/// and answers with `bad_certificate`, `unknown_ca`, `decrypt_error` (a signature that does not verify), ….
fn tls_failure(e: &rustls::Error, presented: bool) -> TlsFailure {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension) => {
            TlsFailure::UnknownCa
        }
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => TlsFailure::Expired,
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => TlsFailure::WrongHost,
        E::AlertReceived(A::CertificateRequired) if !presented => TlsFailure::ClientCertificateRequired,
        E::AlertReceived(
            A::BadCertificate
            | A::UnknownCA
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::UnsupportedCertificate
            | A::AccessDenied
            | A::CertificateUnknown
            | A::DecryptError
            | A::CertificateRequired,
        ) if presented => TlsFailure::ClientCertificateRefused,
        _ => TlsFailure::Other,
    }
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

/// A request that got no usable answer at all.
pub fn http_failure(service: &str, err: &HttpError) -> Diagnosis {
    use HttpError as E;
    let (code, hint) = match err {
        E::InvalidUrl { .. } => (code::HTTP_INVALID_URL, "Fix the URL in the profile: it must be a full URL such as https://acme.accounts.ondemand.com."),
        E::Insecure { .. } => (code::HTTP_INSECURE_URL, "Use https:// — plain http:// is only allowed for services on this machine (127.0.0.1, localhost)."),
        E::Dns { .. } => (code::HTTP_DNS, "Check the host name in the profile for typos, and that this computer is on the network (VPN?) where the host resolves."),
        E::Connect { .. } => (code::HTTP_CONNECT, "Nothing accepted the connection: check the URL and port, the VPN, and any proxy (HTTPS_PROXY)."),
        E::Tls { reason, host, .. } => return tls_diagnosis(service, err, *reason, host),
        E::CaFile { .. } => (code::HTTP_CA_FILE, "Point the profile's `ca_file` at a readable PEM file of CA certificates, or remove it."),
        E::ClientIdentity { .. } => (code::TLS_CLIENT_IDENTITY, "Apply the service key again with `tokenhop-cli profile key`, which stores the certificate and key together."),
        E::Timeout { .. } => (code::HTTP_TIMEOUT, "The service did not answer in time: check the network, proxy, and the service's status; then try again."),
        E::TooLarge { .. } => (code::HTTP_TOO_LARGE, "The response is far larger than a token response; the URL probably points at something else."),
        _ => (code::HTTP_ERROR, "Check the URL, the network and the proxy settings."),
    };
    Diagnosis::new(code, format!("{service}: {err}"), hint)
}

/// A failed TLS handshake: which host, why, and what to check.
fn tls_diagnosis(service: &str, err: &HttpError, reason: TlsFailure, host: &str) -> Diagnosis {
    use TlsFailure as T;
    let (code, hint) = match reason {
        T::UnknownCa => (
            code::TLS_UNKNOWN_CA,
            "This computer does not trust the CA that issued the server's certificate. Behind a TLS-inspecting proxy, or for a private CA, add its root certificate to the OS trust store, point SSL_CERT_FILE at a PEM bundle holding it, or name it in the profile's `ca_file`.",
        ),
        T::Expired => (code::TLS_EXPIRED, "The server's certificate is outside its validity period: check this computer's clock; otherwise the service must renew its certificate."),
        T::WrongHost => (code::TLS_WRONG_HOST, "The server's certificate is for another host name: check the host in the profile's URL (a proxy or a custom domain may answer in its place)."),
        T::ClientCertificateRequired => (
            code::TLS_CLIENT_CERTIFICATE_REQUIRED,
            "This endpoint authenticates clients by certificate. Use `client_auth = \"x509\"` with the binding's certificate and              key (`tokenhop-cli profile key`), or the non-certificate URL with a client secret.",
        ),
        T::ClientCertificateRefused => (
            code::TLS_CLIENT_CERTIFICATE_REFUSED,
            "The server did not accept the client certificate: it is not issued by a CA the service trusts, has expired or was revoked, or belongs to another binding. Create a new service key and apply it with `tokenhop-cli profile key`.",
        ),
        T::Other => (code::HTTP_TLS, "Check the URL and any proxy between this computer and the service; the detail names what failed."),
    };
    let detail = match err {
        HttpError::Tls { detail, .. } => detail.as_str(),
        _ => "",
    };
    Diagnosis::new(code, format!("{service}: the TLS connection to {host} failed: {reason}."), hint)
        .with_raw(detail.to_owned())
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
    fn tls_errors_name_the_reason_and_blame_our_certificate_only_when_we_sent_one() {
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        let cases = [
            (E::InvalidCertificate(C::UnknownIssuer), false, TlsFailure::UnknownCa),
            (E::InvalidCertificate(C::Expired), true, TlsFailure::Expired),
            (E::InvalidCertificate(C::NotValidForName), false, TlsFailure::WrongHost),
            (E::AlertReceived(A::CertificateRequired), false, TlsFailure::ClientCertificateRequired),
            (E::AlertReceived(A::BadCertificate), true, TlsFailure::ClientCertificateRefused),
            (E::AlertReceived(A::DecryptError), true, TlsFailure::ClientCertificateRefused),
            (E::AlertReceived(A::DecryptError), false, TlsFailure::Other),
            (E::AlertReceived(A::HandshakeFailure), true, TlsFailure::Other),
        ];
        for (error, presented, want) in cases {
            assert_eq!(tls_failure(&error, presented), want, "{error:?} (client certificate sent: {presented})");
        }
        let wrapped = std::io::Error::other(E::InvalidCertificate(C::UnknownIssuer));
        assert!(rustls_error(&wrapped).is_some(), "found inside an io::Error, whose source() skips it");
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
