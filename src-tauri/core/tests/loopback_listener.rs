//! The loopback listener on its own (RFC 8252 §7.3): it binds loopback only, serves idle extra connections
//! without blocking, ignores `/favicon.ico` and foreign paths, refuses foreign `state`s and keeps waiting,
//! takes exactly one callback, and frees its port on success, timeout and cancel.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use tokenhop_core::entra::loopback::{Expected, Loopback, LoopbackConfig, LoopbackError};
use tokenhop_core::profile::RedirectHost;
use tokenhop_core::Secret;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const STATE: &str = "state-of-this-sign-in";

fn config(host: RedirectHost, timeout: Duration) -> LoopbackConfig {
    LoopbackConfig { host, port: 0, timeout }
}

fn expected(issuer: Option<&str>) -> Expected {
    Expected { state: Secret::new(STATE), issuer: issuer.map(String::from), require_iss: issuer.is_some() }
}

/// Binds, starts waiting in the background; returns the base URL (on 127.0.0.1) and the wait.
async fn listen(
    issuer: Option<&str>,
    timeout: Duration,
) -> (String, u16, JoinHandle<Result<Secret, LoopbackError>>, CancellationToken) {
    let lb = Loopback::bind(&config(RedirectHost::Localhost, timeout)).await.expect("binds");
    let port = lb.port();
    let cancel = CancellationToken::new();
    let wait = tokio::spawn(lb.wait(expected(issuer), cancel.clone()));
    (format!("http://127.0.0.1:{port}"), port, wait, cancel)
}

async fn status(url: &str) -> Result<u16, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .map(|r| r.status().as_u16())
}

/// Whether the port becomes free within five seconds: waits for the event rather than a fixed sleep.
async fn port_is_free(port: u16) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if tokio::net::TcpListener::bind(("127.0.0.1", port)).await.is_ok() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn it_binds_loopback_addresses_only() {
    for host in [RedirectHost::Localhost, RedirectHost::Loopback] {
        let lb = Loopback::bind(&config(host, Duration::from_secs(1))).await.unwrap();
        let addrs = lb.local_addrs();
        assert!(!addrs.is_empty());
        for addr in &addrs {
            assert!(addr.ip().is_loopback(), "{addr} is loopback, never a wildcard");
            assert_eq!(addr.port(), lb.port(), "one port for every address");
        }
        assert!(lb.redirect_uri().ends_with(&format!(":{}", lb.port())), "redirect URI from the bound port");
    }
}

/// This machine's address on its default route, if it has one (no packet is sent).
fn outward_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:9").ok()?;
    socket.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[tokio::test]
async fn it_is_not_reachable_on_other_interfaces() {
    let Some(ip) = outward_ip() else {
        // CI machines have a network interface: there, its absence means the test cannot do its job.
        assert!(std::env::var_os("CI").is_none(), "CI must have a non-loopback address for this test");
        eprintln!("NOT CHECKED: no non-loopback interface on this machine; the local_addrs test covers the bind");
        return;
    };
    let (_, port, wait, cancel) = listen(None, Duration::from_secs(5)).await;
    let outside = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(SocketAddr::new(ip, port))).await;
    assert!(!matches!(outside, Ok(Ok(_))), "port {port} must not accept connections on {ip}");
    cancel.cancel();
    let _ = wait.await;
}

#[tokio::test]
async fn idle_connections_do_not_block_the_callback() {
    let (base, _, wait, _) = listen(None, Duration::from_secs(5)).await;
    // Browsers open speculative connections and send nothing on them; one sends half a request.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(base.trim_start_matches("http://")).await.unwrap());
    }
    idle[0].write_all(b"GET /?code=partial HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let ok = status(&format!("{base}/?code=the-code&state={STATE}")).await.unwrap();
    assert_eq!(ok, 200);
    let code = wait.await.unwrap().expect("the callback is taken");
    assert_eq!(code.expose_secret(), "the-code");
}

#[tokio::test]
async fn favicon_and_foreign_paths_get_404_and_do_not_end_the_wait() {
    let (base, _, wait, _) = listen(None, Duration::from_secs(5)).await;
    assert_eq!(status(&format!("{base}/favicon.ico")).await.unwrap(), 404);
    assert_eq!(
        status(&format!("{base}/other?code=x&state={STATE}")).await.unwrap(),
        404,
        "a callback on another path is not ours"
    );
    assert_eq!(status(&format!("{base}/")).await.unwrap(), 404, "the bare root carries no response");
    assert!(!wait.is_finished(), "still waiting");
    assert_eq!(status(&format!("{base}/?code=c&state={STATE}")).await.unwrap(), 200);
    assert_eq!(wait.await.unwrap().unwrap().expose_secret(), "c");
}

#[tokio::test]
async fn a_foreign_state_is_refused_and_the_right_one_still_accepted() {
    let (base, _, wait, _) = listen(None, Duration::from_secs(5)).await;
    assert_eq!(status(&format!("{base}/?code=stolen&state=another-sign-in")).await.unwrap(), 400);
    assert_eq!(status(&format!("{base}/?code=stolen")).await.unwrap(), 400, "no state at all is foreign too");
    assert_eq!(status(&format!("{base}/?code=mine&state={STATE}")).await.unwrap(), 200);
    assert_eq!(wait.await.unwrap().unwrap().expose_secret(), "mine");
}

#[tokio::test]
async fn only_foreign_states_end_in_a_timeout_that_counts_them() {
    let (base, port, wait, _) = listen(None, Duration::from_millis(800)).await;
    status(&format!("{base}/?code=x&state=old-tab")).await.unwrap();
    match wait.await.unwrap() {
        Err(LoopbackError::TimedOut { foreign_callbacks, .. }) => assert_eq!(foreign_callbacks, 1),
        other => panic!("expected a timeout, got {:?}", other.map(|_| "a code")),
    }
    assert!(port_is_free(port).await, "the port is freed on timeout");
}

#[tokio::test]
async fn after_the_callback_the_port_is_closed() {
    let (base, port, wait, _) = listen(None, Duration::from_secs(5)).await;
    assert_eq!(status(&format!("{base}/?code=c&state={STATE}")).await.unwrap(), 200);
    wait.await.unwrap().unwrap();
    let again = status(&format!("{base}/?code=c&state={STATE}")).await.expect_err("connection refused");
    assert!(again.is_connect(), "{again:?}");
    assert!(port_is_free(port).await);
}

#[tokio::test]
async fn an_error_callback_ends_the_wait_with_the_error() {
    let (base, _, wait, _) = listen(None, Duration::from_secs(5)).await;
    let url = format!("{base}/?error=access_denied&error_description=declined&state={STATE}");
    assert_eq!(status(&url).await.unwrap(), 400, "the browser is told the sign-in failed");
    match wait.await.unwrap() {
        Err(LoopbackError::Authorization { error, description }) => {
            assert_eq!((error.as_str(), description.as_str()), ("access_denied", "declined"))
        }
        other => panic!("expected the authorization error, got {:?}", other.map(|_| "a code")),
    }
}

#[tokio::test]
async fn an_iss_other_than_the_expected_issuer_is_a_mix_up() {
    let (base, _, wait, _) = listen(Some("https://login.example/t/v2.0"), Duration::from_secs(5)).await;
    assert_eq!(status(&format!("{base}/?code=c&state={STATE}&iss=https%3A%2F%2Fevil.example")).await.unwrap(), 400);
    assert!(matches!(wait.await.unwrap(), Err(LoopbackError::IssuerMismatch { .. })));

    let (base, _, wait, _) = listen(Some("https://login.example/t/v2.0"), Duration::from_secs(5)).await;
    assert_eq!(
        status(&format!("{base}/?code=c&state={STATE}&iss=https%3A%2F%2Flogin.example%2Ft%2Fv2.0")).await.unwrap(),
        200
    );
    assert_eq!(wait.await.unwrap().unwrap().expose_secret(), "c");
}

#[tokio::test]
async fn cancel_ends_the_wait_and_frees_the_port() {
    let (_, port, wait, cancel) = listen(None, Duration::from_secs(30)).await;
    cancel.cancel();
    assert!(matches!(wait.await.unwrap(), Err(LoopbackError::Cancelled)));
    assert!(port_is_free(port).await);
}

#[tokio::test]
async fn dropping_the_wait_frees_the_port() {
    let (_, port, wait, _) = listen(None, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    wait.abort();
    let _ = wait.await;
    assert!(port_is_free(port).await, "a caller that drops the wait (select! on cancel) must not leak the port");
}

#[tokio::test]
async fn a_taken_port_is_reported_with_its_number() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = Loopback::bind(&LoopbackConfig { port, ..config(RedirectHost::Localhost, Duration::from_secs(1)) })
        .await
        .err()
        .expect("in use");
    assert!(matches!(err, LoopbackError::PortInUse { port: p } if p == port), "{err:?}");
    assert!(err.to_string().contains(&port.to_string()));
}

#[tokio::test]
async fn a_fixed_port_held_by_another_program_on_ipv6_loopback_is_refused() {
    // Another program listens on [::1]:port only; a browser resolving localhost to ::1 would give it the code.
    let squatter = std::net::TcpListener::bind("[::1]:0").expect("this machine has IPv6 loopback");
    let port = squatter.local_addr().unwrap().port();
    let result =
        Loopback::bind(&LoopbackConfig { port, ..config(RedirectHost::Localhost, Duration::from_secs(1)) }).await;
    match result {
        Err(LoopbackError::PortInUse { port: p }) => assert_eq!(p, port),
        Err(other) => panic!("expected PortInUse, got {other:?}"),
        Ok(lb) => panic!("bound {:?} although [::1]:{port} belongs to another program", lb.local_addrs()),
    }
}

#[tokio::test]
async fn an_error_response_from_another_issuer_is_a_mix_up_too() {
    let (base, _, wait, _) = listen(Some("https://login.example/t/v2.0"), Duration::from_secs(5)).await;
    let url = format!("{base}/?error=access_denied&error_description=x&state={STATE}&iss=https%3A%2F%2Fevil.example");
    assert_eq!(status(&url).await.unwrap(), 400);
    match wait.await.unwrap() {
        Err(LoopbackError::IssuerMismatch { got, .. }) => assert_eq!(got, "https://evil.example"),
        other => panic!("RFC 9207 §2.4 applies to error responses: {:?}", other.map(|_| "a code")),
    }
}

#[tokio::test]
async fn an_iss_is_checked_even_when_the_server_does_not_advertise_it() {
    let issuer = "https://login.example/t/v2.0";
    let listen_unadvertised = || async {
        let lb = Loopback::bind(&config(RedirectHost::Localhost, Duration::from_secs(5))).await.unwrap();
        let base = format!("http://127.0.0.1:{}", lb.port());
        let expected = Expected { state: Secret::new(STATE), issuer: Some(issuer.into()), require_iss: false };
        (base, tokio::spawn(lb.wait(expected, CancellationToken::new())))
    };
    let (base, wait) = listen_unadvertised().await;
    assert_eq!(status(&format!("{base}/?code=c&state={STATE}&iss=https%3A%2F%2Fevil.example")).await.unwrap(), 400);
    assert!(
        matches!(wait.await.unwrap(), Err(LoopbackError::IssuerMismatch { .. })),
        "a present iss is always checked"
    );

    let (base, wait) = listen_unadvertised().await;
    assert_eq!(
        status(&format!("{base}/?code=c&state={STATE}")).await.unwrap(),
        200,
        "no iss is fine when not advertised"
    );
    assert_eq!(wait.await.unwrap().unwrap().expose_secret(), "c");
}
