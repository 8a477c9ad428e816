//! Starting and stopping a sandbox: four axum servers on 127.0.0.1 (Entra with the control endpoint,
//! IAS, XSUAA, API), each on its own origin, sharing one `Shared` state.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{middleware, Router};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::issued::{Issued, Service};
use crate::state::{SandboxUrls, Shared, Store};
use crate::{api, control, entra, ias, keys, transport, xsuaa};

/// Why a sandbox did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A port was taken or not allowed.
    #[error("could not listen on 127.0.0.1:{port} for the sandbox {service}")]
    Bind {
        service: &'static str,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The base port leaves no room for the four services.
    #[error("base port {0} is too high: the sandbox needs four consecutive ports")]
    PortRange(u16),
    /// The key generation task failed.
    #[error("could not generate the sandbox signing keys")]
    Keys,
}

/// A running sandbox. Dropping it stops the servers too; `shutdown` waits until their ports are closed.
pub struct Sandbox {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(service: &'static str, port: u16) -> Result<(TcpListener, String), SandboxError> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|source| SandboxError::Bind { service, port, source })?;
    let bound = listener.local_addr().map_err(|source| SandboxError::Bind { service, port, source })?;
    Ok((listener, format!("http://127.0.0.1:{}", bound.port())))
}

impl Sandbox {
    /// Generates (or reuses) the keys, binds the four ports and starts serving.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let sandbox = Self::start_before_keys(config).await?;
        sandbox.generate_keys().await?;
        Ok(sandbox)
    }

    /// Binds the four ports and serves at once, before the signing keys exist: requests wait for them,
    /// and the first to need them (or [`Sandbox::generate_keys`]) generates them. For the app, whose
    /// window should not share the CPU with RSA key generation while it starts.
    pub async fn start_before_keys(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let ports: [u16; 4] = match config.base_port {
            None => [0; 4],
            Some(p) if p > u16::MAX - 3 => return Err(SandboxError::PortRange(p)),
            Some(p) => [p, p + 1, p + 2, p + 3],
        };
        let (entra_l, authority) = bind("Entra ID", ports[0]).await?;
        let (ias_l, ias) = bind("IAS", ports[1]).await?;
        let (xsuaa_l, xsuaa) = bind("XSUAA", ports[2]).await?;
        let (api_l, api) = bind("API", ports[3]).await?;
        let urls = SandboxUrls {
            entra: format!("{authority}/{}/v2.0", config.tenant_id),
            authority,
            ias,
            xsuaa,
            api: format!("{api}/api/me"),
        };
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            faults: Faults::new(&config.faults),
            config,
            urls,
            store: Mutex::new(Store::default()),
            issued: Mutex::new(Issued::default()),
            clock_skew: AtomicI64::new(0),
            shutdown: stopped.clone(),
            control_token: control::new_token(),
        });
        let with_faults = |router: Router, service: Service| {
            router.layer(middleware::from_fn_with_state((shared.clone(), service), transport::apply))
        };
        let servers = [
            (
                entra_l,
                with_faults(entra::router(shared.clone()).merge(control::router(shared.clone())), Service::Entra),
            ),
            (ias_l, with_faults(ias::router(shared.clone()), Service::Ias)),
            (xsuaa_l, with_faults(xsuaa::router(shared.clone()), Service::Xsuaa)),
            (api_l, with_faults(api::router(shared.clone()), Service::Api)),
        ];
        let tasks = servers
            .into_iter()
            .map(|(listener, router)| {
                let mut stopped = stopped.clone();
                tokio::spawn(async move {
                    let signal = async move {
                        let _ = stopped.wait_for(|down| *down).await;
                    };
                    if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(signal).await {
                        tracing::warn!(error = %e, "sandbox server stopped with an error");
                    }
                })
            })
            .collect();
        tracing::debug!(urls = ?shared.urls, "sandbox started");
        Ok(Sandbox { shared, stop, tasks })
    }

    /// Generates the signing keys unless they exist (in this process); returns once they do.
    pub async fn generate_keys(&self) -> Result<(), SandboxError> {
        keys::ready().await.map(drop).ok_or(SandboxError::Keys)
    }

    pub fn urls(&self) -> &SandboxUrls {
        &self.shared.urls
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// A handle to set and clear faults while the sandbox runs.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// A snapshot of what the sandbox issued and received so far.
    pub fn last_issued(&self) -> Issued {
        self.shared.issued().clone()
    }

    /// Revokes every Entra sign-in of `username` made until now, as an admin's "Revoke sessions" or a
    /// password change does: their refresh tokens are then refused with AADSTS50173. `false` for an
    /// unknown user.
    pub fn revoke_sign_ins(&self, username: &str) -> bool {
        self.shared.revoke_sign_ins(username)
    }

    /// Moves the sandbox clock forward (codes, tokens and lockouts expire without sleeping).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock_skew.fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }

    /// The bearer token of the control endpoint (`Authorization: Bearer <token>` on `/_sandbox/*`); new for
    /// every sandbox, so that only whoever started it can break it on purpose.
    pub fn control_token(&self) -> &str {
        &self.shared.control_token
    }

    /// The matching TokenHop profile (DESIGN §3).
    pub fn profile_toml(&self, name: &str) -> String {
        crate::profile::profile_toml(&self.shared.config, &self.shared.urls, name)
    }

    /// Stops serving; returns once every port is closed.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("urls", &self.shared.urls).finish_non_exhaustive()
    }
}
