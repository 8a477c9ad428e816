//! What the engine readies while the user signs in: a connection to the API, so its call after the callback
//! reuses it instead of connecting (on a real BTP host, a TLS handshake off the chain). The API here is a
//! bare HTTP/1.1 server that records each request with the connection it came on.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tokenhop_core::report::Step;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    connection: usize,
    request_line: String,
    authorization: Option<String>,
}

/// An API that answers every request `200 {}` on kept-alive connections, recording what it saw.
async fn recording_api() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/me", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for connection in 0.. {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        let mut chunk = [0u8; 4096];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end);
                    let mut lines = head.lines();
                    let request_line = lines.next().unwrap_or_default().to_owned();
                    let authorization = lines
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v.trim().to_owned());
                    let head_only = request_line.starts_with("HEAD ");
                    log.lock().unwrap().push(Seen { connection, request_line, authorization });
                    let body = if head_only { "" } else { "{}" };
                    let response =
                        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{body}");
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
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
    h.profile.api.as_mut().unwrap().url = url;
    let report = h.run_until(Some(Step::Xsuaa)).await;
    assert!(report.ok, "{}", summary(&report));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(seen.lock().unwrap().is_empty(), "no request to an API the run does not call: {:?}", seen.lock().unwrap());
}
