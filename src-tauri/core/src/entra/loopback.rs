//! The loopback redirect listener of RFC 8252 §7.3, after `oauth2cli`: bind, build the redirect URI from the
//! port actually bound, take exactly one callback whose `state` matches, answer the browser with a tiny page,
//! close the port, give up on timeout or cancel.
//!
//! It binds 127.0.0.1 (and [::1] on the same port for `localhost`, so a browser resolving `localhost` to ::1
//! still arrives) — never 0.0.0.0. Another program holding that port on [::1] would receive the code, so a
//! taken [::1] port is an error for a fixed port and a reason to try another pair for port 0; only a machine
//! without IPv6 leaves IPv4 alone. It opens no browser: that is the caller's job.

use std::future::IntoFuture;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::profile::RedirectHost;
use crate::secrets::Secret;

/// Defaults: `localhost`, any free port, five minutes.
#[derive(Debug, Clone)]
pub struct LoopbackConfig {
    /// The host written into the redirect URI; Entra accepts `localhost` without manifest edits.
    pub host: RedirectHost,
    /// 0 picks a free port.
    pub port: u16,
    /// How long to wait for the user to finish signing in.
    pub timeout: Duration,
}

impl Default for LoopbackConfig {
    fn default() -> Self {
        Self { host: RedirectHost::Localhost, port: 0, timeout: Duration::from_secs(300) }
    }
}

/// How many port pairs a `port = 0` bind tries before it gives up.
const PORT_PAIR_ATTEMPTS: usize = 8;

/// What must be true of the callback.
#[derive(Debug)]
pub struct Expected {
    pub state: Secret,
    /// RFC 9207 §2.4: an `iss` in the response — a success or an error — must equal this issuer.
    pub issuer: Option<String>,
    /// The server advertises `authorization_response_iss_parameter_supported`: a response without `iss`
    /// is refused too.
    pub require_iss: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// Another program holds the port the profile fixes, on 127.0.0.1 or [::1].
    #[error("port {port} on this machine's loopback address is already in use")]
    PortInUse { port: u16 },
    #[error("could not listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    /// The authorization server redirected back with `error=…`.
    #[error("the sign-in ended with `{error}`: {description}")]
    Authorization { error: String, description: String },
    /// A callback arrived whose `iss` is not the issuer of this sign-in (RFC 9207 mix-up defence).
    #[error("the sign-in response came from `{got}`, not from `{expected}`")]
    IssuerMismatch { expected: String, got: String },
    #[error("no sign-in response arrived within {seconds} s")]
    TimedOut { seconds: u64, foreign_callbacks: usize },
    #[error("the sign-in was cancelled")]
    Cancelled,
}

/// A bound listener waiting for its one callback.
pub struct Loopback {
    listeners: Vec<TcpListener>,
    port: u16,
    redirect_uri: String,
    timeout: Duration,
}

impl Loopback {
    pub async fn bind(config: &LoopbackConfig) -> Result<Self, LoopbackError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Self::bind_pair(config).await {
                // Port 0: the free IPv4 port is taken on [::1] by someone else; another pair will do.
                Err(LoopbackError::PortInUse { .. }) if config.port == 0 && attempts < PORT_PAIR_ATTEMPTS => continue,
                other => return other,
            }
        }
    }

    async fn bind_pair(config: &LoopbackConfig) -> Result<Self, LoopbackError> {
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let first = TcpListener::bind(v4).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => LoopbackError::PortInUse { port: config.port },
            _ => LoopbackError::Bind(e),
        })?;
        let port = first.local_addr().map_err(LoopbackError::Bind)?.port();
        let mut listeners = vec![first];
        if config.host == RedirectHost::Localhost {
            match TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
                Ok(v6) => listeners.push(v6),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err(LoopbackError::PortInUse { port }),
                // No IPv6 on this machine: a browser cannot reach [::1] either, so IPv4 alone is safe.
                Err(e) => tracing::debug!(error = %e, "no [::1] listener; IPv4 only"),
            }
        }
        let redirect_uri = format!("http://{}:{port}", config.host.as_str());
        Ok(Self { listeners, port, redirect_uri, timeout: config.timeout })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses actually listened on: 127.0.0.1, and [::1] for `localhost` — never a wildcard.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().filter_map(|l| l.local_addr().ok()).collect()
    }

    /// `http://localhost:{port}` — what goes into the authorization request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Serves until one valid callback, an error callback, the timeout or `cancel`; then closes the port.
    pub async fn wait(self, expected: Expected, cancel: CancellationToken) -> Result<Secret, LoopbackError> {
        let (tx, mut rx) = mpsc::channel(1);
        let shared = Arc::new(Shared { expected, tx, done: Mutex::new(false), foreign: Mutex::new(0) });
        let router = Router::new().fallback(callback).with_state(shared.clone());
        let servers = Servers(
            self.listeners.into_iter().map(|l| tokio::spawn(axum::serve(l, router.clone()).into_future())).collect(),
        );
        let outcome = tokio::select! {
            Some(result) = rx.recv() => result,
            _ = tokio::time::sleep(self.timeout) => Err(LoopbackError::TimedOut {
                seconds: self.timeout.as_secs(),
                foreign_callbacks: *shared.foreign.lock().unwrap(),
            }),
            _ = cancel.cancelled() => Err(LoopbackError::Cancelled),
        };
        // Dropping the accept loops closes the port; the connection that carried the callback finishes its page.
        servers.close().await;
        outcome
    }
}

/// The accept loops of one wait. Dropped — also when the caller drops `wait` on cancel — they stop, so
/// the port never outlives the sign-in.
struct Servers(Vec<tokio::task::JoinHandle<std::io::Result<()>>>);

impl Servers {
    /// Stops the accept loops and waits until their listeners are closed.
    async fn close(mut self) {
        for server in std::mem::take(&mut self.0) {
            server.abort();
            let _ = server.await;
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for server in &self.0 {
            server.abort();
        }
    }
}

struct Shared {
    expected: Expected,
    tx: mpsc::Sender<Result<Secret, LoopbackError>>,
    done: Mutex<bool>,
    foreign: Mutex<usize>,
}

#[derive(serde::Deserialize)]
struct Params {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(shared): State<Arc<Shared>>, uri: Uri, Query(params): Query<Params>) -> Response {
    if uri.path() != "/" || (params.state.is_none() && params.code.is_none() && params.error.is_none()) {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This address only receives the sign-in response of TokenHop.",
        );
    }
    let state_ok = params.state.as_deref().is_some_and(|s| constant_time_eq(s, shared.expected.state.expose_secret()));
    if !state_ok {
        // Another sign-in's response (a stale tab, or a forged request): refuse it and keep waiting for ours.
        *shared.foreign.lock().unwrap() += 1;
        tracing::warn!("ignored a sign-in response whose state does not belong to the sign-in in progress");
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in response is not for TokenHop's current sign-in",
            "It belongs to an older or another sign-in. Return to TokenHop and start the sign-in again if it is still waiting.",
        );
    }
    {
        let mut done = shared.done.lock().unwrap();
        if *done {
            return page(
                StatusCode::GONE,
                "Already received",
                "TokenHop already has this sign-in. You can close this tab.",
            );
        }
        *done = true;
    }
    // RFC 9207 §2.4: checked before anything else in the response, errors included.
    let expected = &shared.expected;
    let mix_up = match (params.iss.as_deref(), expected.issuer.as_deref()) {
        (Some(got), Some(issuer)) if got != issuer => Some(got),
        (None, Some(_)) if expected.require_iss => Some("(no iss parameter)"),
        _ => None,
    };
    let result = match (mix_up, &params.error, &params.code) {
        (Some(got), _, _) => Err(LoopbackError::IssuerMismatch {
            expected: expected.issuer.clone().unwrap_or_default(),
            got: got.to_owned(),
        }),
        (None, Some(error), _) => Err(LoopbackError::Authorization {
            error: error.clone(),
            description: params.error_description.clone().unwrap_or_default(),
        }),
        (None, None, Some(code)) => Ok(Secret::new(code.clone())),
        (None, None, None) => Err(LoopbackError::Authorization {
            error: "invalid_response".into(),
            description: "the response carried neither a code nor an error".into(),
        }),
    };
    let response = match &result {
        Ok(_) => {
            page(StatusCode::OK, "Signed in", "Return to TokenHop: it continues the chain. You can close this tab.")
        }
        Err(e) => {
            page(StatusCode::BAD_REQUEST, "Sign-in failed", &format!("{e}. Return to TokenHop for what to do next."))
        }
    };
    let _ = shared.tx.send(result).await;
    response
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>TokenHop — {t}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.5\">\
         <h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONNECTION, "close"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}
