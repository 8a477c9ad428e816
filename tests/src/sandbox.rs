//! Serving something in-process on a loopback port for one test: typically the `tokenhop_sandbox` router.
//!
//! The server runs on its own thread with its own Tokio runtime, so the blocking test code (WebDriver calls)
//! never stalls it. Dropping the `LocalServer` stops the server and joins the thread. It knows nothing about
//! what it serves: the caller passes a function that serves on the bound listener, for instance
//! `|listener| async move { axum::serve(listener, router).await.unwrap() }`.

use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

pub struct LocalServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LocalServer {
    /// Binds `127.0.0.1:0` and runs `serve(listener)` until the `LocalServer` is dropped.
    pub fn start<F, Fut>(serve: F) -> LocalServer
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("binding a loopback port");
        std_listener.set_nonblocking(true).expect("a non-blocking listener for Tokio");
        let addr = std_listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("local-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a Tokio runtime for the local server");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(std_listener).expect("adopting the listener");
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("spawning the local server thread");
        LocalServer { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
