//! Issue 23 item 5: with a proxy in the environment, requests to loopback hosts never go through it (a
//! token for `http://localhost:…` would reach the proxy in cleartext), while others still do.
//!
//! The process environment is global, so this binary holds this one test alone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokenhop_core::http::{HttpClient, HttpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// A "proxy" that counts the connections it gets and answers each with 502.
async fn counting_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.read(&mut [0u8; 4096]).await;
            let _ =
                stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        }
    });
    (url, seen)
}

async fn direct_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(|| async { "direct" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

#[tokio::test]
async fn loopback_requests_bypass_the_proxy_from_the_environment() {
    let (proxy, seen) = counting_proxy().await;
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        std::env::remove_var(name);
    }
    for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
        std::env::set_var(name, &proxy);
    }
    let port = direct_server().await;
    let http = HttpClient::new(HttpConfig::default()).unwrap();

    for host in ["127.0.0.1", "localhost"] {
        let url = Url::parse(&format!("http://{host}:{port}/token")).unwrap();
        let resp = http.get(&url, &[]).await.expect("answered");
        assert_eq!((resp.status, resp.body.as_str()), (200, "direct"), "{host} is reached directly");
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the proxy must never see loopback traffic");

    let elsewhere = Url::parse("https://tokenhop.invalid/token").unwrap();
    let _ = http.get(&elsewhere, &[]).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "other hosts still go through the proxy");
}
