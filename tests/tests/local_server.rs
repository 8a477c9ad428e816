//! The harness's `LocalServer`: what it serves is reachable, and dropping it frees the port.
//!
//! An integration test rather than a unit test of the library, so that `cargo xtask e2e` runs it with the other
//! targets of this crate (the xtask selects the e2e suite by its test targets; see `xtask/src/suites.rs`).

use tokenhop_e2e::LocalServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn served_answer_is_reachable_and_the_port_is_released_on_drop() {
    let server = LocalServer::start(|listener| async move {
        loop {
            let (mut socket, _) = listener.accept().await.expect("accept");
            // Read the request first: an answer that arrives before the request is sent makes the client
            // fail with "unexpected message" (it did on a loaded machine).
            let mut request = Vec::new();
            let mut chunk = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut chunk).await.expect("read") {
                    0 => break,
                    n => request.extend_from_slice(&chunk[..n]),
                }
            }
            let body = "hello";
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            socket.write_all(reply.as_bytes()).await.expect("write");
        }
    });
    let text = reqwest::blocking::get(server.url()).and_then(|r| r.text()).expect("GET the local server");
    assert_eq!(text, "hello", "the test server must answer what it was told to serve");
    let addr = server.addr();
    drop(server);
    std::net::TcpListener::bind(addr).expect("the port must be free again once the server is dropped");
}
