//! What the engine readies while the user signs in: a connection to the API, so its call after the callback
//! reuses it instead of connecting (on a real BTP host, a TLS handshake off the chain). The API here is an
//! axum server that records each request with the client's end of the connection it came on.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::Router;
use common::*;
use tokenhop_core::report::Step;

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    /// The client's end of the connection: equal for requests on the same connection.
    connection: SocketAddr,
    request_line: String,
    authorization: Option<String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// An API that answers every request `200 {}` on kept-alive connections, recording what it saw.
async fn recording_api() -> (String, Log) {
    async fn record(
        State(log): State<Log>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        req: Request,
    ) -> axum::Json<serde_json::Value> {
        let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(String::from);
        let request_line = format!("{} {} {:?}", req.method(), req.uri(), req.version());
        log.lock().unwrap().push(Seen { connection: peer, request_line, authorization });
        axum::Json(serde_json::json!({}))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/me", listener.local_addr().unwrap());
    let seen = Log::default();
    let app = Router::new().fallback(record).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    (url, seen)
}

#[tokio::test]
async fn the_api_connection_opened_during_sign_in_carries_the_call() {
    let mut h = start().await;
    let (url, seen) = recording_api().await;
    h.profile.api.as_mut().unwrap().url = url;
    let report = h.run().await;
    assert!(report.ok, "{}", summary(&report));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "a preconnect and the call: {seen:?}");
    let (preconnect, call) = (&seen[0], &seen[1]);
    assert_eq!(preconnect.request_line, "HEAD / HTTP/1.1", "the preconnect asks for nothing in particular");
    assert_eq!(preconnect.authorization, None, "the preconnect carries no credentials");
    assert_eq!(call.request_line, "GET /api/me HTTP/1.1");
    assert!(call.authorization.as_deref().is_some_and(|a| a.starts_with("Bearer ey")), "the call carries the token");
    assert_eq!(call.connection, preconnect.connection, "the call reuses the preconnected connection: {seen:?}");
}

#[tokio::test]
async fn the_api_is_preconnected_before_the_user_has_signed_in() {
    let mut h = start().await;
    let (url, seen) = recording_api().await;
    h.profile.api.as_mut().unwrap().url = url;
    h.engine = engine_with(Default::default(), idle_browser(h.browser.clone()));
    let cancel = tokio_util::sync::CancellationToken::new();
    let run = run_profile(&h.engine, &h.profile, &h.secrets, None, cancel.clone());
    let watch = async {
        for _ in 0..100 {
            if !seen.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cancel.cancel();
    };
    let (report, ()) = tokio::join!(run, watch);
    assert_fails(&report, Step::Entra, "cancelled");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|s| s.request_line.as_str()).collect::<Vec<_>>(),
        ["HEAD / HTTP/1.1"],
        "only the preconnect"
    );
}

#[tokio::test]
async fn a_run_that_stops_before_the_api_does_not_touch_it() {
    let mut h = start().await;
    let (url, seen) = recording_api().await;
    h.profile.api.as_mut().unwrap().url = url.clone();
    let report = h.run_until(Some(Step::Xsuaa)).await;
    assert!(report.ok, "{}", summary(&report));
    // Rather than sleep: a request of our own, sent after the run, marks the point by which a preconnect
    // spawned at the run's start (before the sign-in and two exchanges) would long have arrived.
    let sentinel = url.replace("/api/me", "/sentinel");
    reqwest::get(&sentinel).await.expect("the recording API answers");
    let lines: Vec<String> = seen.lock().unwrap().iter().map(|s| s.request_line.clone()).collect();
    assert_eq!(lines, ["GET /sentinel HTTP/1.1"], "no request to an API the run does not call");
}
