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
