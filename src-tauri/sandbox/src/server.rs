//! Starting and stopping a sandbox: four axum servers on 127.0.0.1 (Entra with the control endpoint,
//! IAS, XSUAA, API), each on its own origin, sharing one `Shared` state.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::{middleware, Router};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::issued::{Issued, Service};
use crate::mtls::{ClientCredential, Pki, TlsListener, TlsPeer};
use crate::state::{SandboxUrls, Shared, Store};
use crate::{api, control, entra, ias, keys, transport, xsuaa};

/// How long the demo clients' certificates are valid: BTP's default for certificates it manages is 7 days
/// (SAP Help "Implementing Custom Token Retrieval … with mTLS").
const DEMO_CERTIFICATE_LIFETIME: Duration = Duration::from_secs(7 * 86_400);

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
    /// The certificate authority or TLS configuration of `x509` could not be set up.
    #[error("could not set up the sandbox's TLS: {0}")]
    Tls(#[source] std::io::Error),
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
        // Certificate bindings: IAS over TLS on its own port, and XSUAA's certificate host beside the plain one.
        let (pki, ias, xsuaa_cert) = if config.x509 {
            let pki = Pki::generate().map_err(SandboxError::Tls)?;
            let (cert_l, cert_url) = bind("XSUAA certificate host", 0).await?;
            (
                Some(pki),
                ias.replacen("http://", "https://", 1),
                Some((cert_l, cert_url.replacen("http://", "https://", 1))),
            )
        } else {
            (None, ias, None)
        };
        let urls = SandboxUrls {
            entra: format!("{authority}/{}/v2.0", config.tenant_id),
            authority,
            ias,
            xsuaa,
            xsuaa_cert: xsuaa_cert.as_ref().map(|(_, url)| url.clone()),
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
            pki,
        });
        if let Some(pki) = &shared.pki {
            let now = SystemTime::now() - Duration::from_secs(60);
            for client in [&shared.config.ias_client_id, &shared.config.xsuaa_client_id] {
                pki.issue_client(client, now, DEMO_CERTIFICATE_LIFETIME).map_err(SandboxError::Tls)?;
            }
        }
        let with_faults = |router: Router, service: Service| {
            router.layer(middleware::from_fn_with_state((shared.clone(), service), transport::apply))
        };
        let mut servers = vec![
            (
                entra_l,
                with_faults(entra::router(shared.clone()).merge(control::router(shared.clone())), Service::Entra),
            ),
            (xsuaa_l, with_faults(xsuaa::router(shared.clone()), Service::Xsuaa)),
            (api_l, with_faults(api::router(shared.clone()), Service::Api)),
        ];
        let mut tls_servers = Vec::new();
        match (&shared.pki, xsuaa_cert) {
            (Some(pki), Some((cert_l, _))) => {
                let counter = pki.client_handshakes.clone();
                let ias_tls =
                    TlsListener::new(ias_l, pki.server_config(false).map_err(SandboxError::Tls)?, counter.clone())
                        .map_err(SandboxError::Tls)?;
                let cert_tls = TlsListener::new(cert_l, pki.server_config(true).map_err(SandboxError::Tls)?, counter)
                    .map_err(SandboxError::Tls)?;
                tls_servers.push((ias_tls, with_faults(ias::router(shared.clone()), Service::Ias)));
                tls_servers.push((cert_tls, with_faults(xsuaa::router(shared.clone()), Service::Xsuaa)));
            }
            _ => servers.push((ias_l, with_faults(ias::router(shared.clone()), Service::Ias))),
        }
        let shutdown_signal = |mut stopped: watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|down| *down).await;
        };
        let mut tasks: Vec<JoinHandle<()>> = servers
            .into_iter()
            .map(|(listener, router)| {
                let signal = shutdown_signal(stopped.clone());
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(signal).await {
                        tracing::warn!(error = %e, "sandbox server stopped with an error");
                    }
                })
            })
            .collect();
        for (listener, router) in tls_servers {
            let signal = shutdown_signal(stopped.clone());
            tasks.push(tokio::spawn(async move {
                let service = router.into_make_service_with_connect_info::<TlsPeer>();
                if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(signal).await {
                    tracing::warn!(error = %e, "sandbox TLS server stopped with an error");
                }
            }));
        }
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

    /// The CA that issued the TLS server certificates and the demo clients' certificates (PEM), when the sandbox
    /// serves certificate bindings (`SandboxConfig::x509`).
    pub fn ca_pem(&self) -> Option<String> {
        self.shared.pki.as_ref().map(Pki::ca_pem)
    }

    /// Issues a client certificate from the sandbox CA for `client_id`, valid from `not_before` for `valid`
    /// (tests issue expired ones); the token endpoints accept it for that client. `None` without `x509`.
    pub fn issue_client_certificate(
        &self,
        client_id: &str,
        not_before: SystemTime,
        valid: Duration,
    ) -> Option<ClientCredential> {
        self.shared.pki.as_ref()?.issue_client(client_id, not_before, valid).ok()
    }

    /// A new certificate from the sandbox CA for a demo client, valid for a week from a minute ago, and its key:
    /// what an X.509 binding of that client carries. `None` without `x509`.
    pub fn demo_client_certificate(&self, client_id: &str) -> Option<ClientCredential> {
        let not_before = SystemTime::now() - Duration::from_secs(60);
        self.issue_client_certificate(client_id, not_before, DEMO_CERTIFICATE_LIFETIME)
    }

    /// An X.509 service key of a demo client (`ias_client_id` or `xsuaa_client_id`), as BTP hands it out: a new
    /// certificate from the sandbox CA and its key. `None` without `x509` or for another client.
    pub fn x509_service_key(&self, client_id: &str) -> Option<serde_json::Value> {
        let config = &self.shared.config;
        let urls = &self.shared.urls;
        let credential = self.demo_client_certificate(client_id)?;
        if client_id == config.xsuaa_client_id {
            Some(serde_json::json!({ "credentials": {
                "clientid": client_id, "credential-type": "x509", "certificate": credential.certificate, "key": credential.key,
                "url": urls.xsuaa, "certurl": urls.xsuaa_cert, "uaadomain": "127.0.0.1", "xsappname": config.xsuaa_xsappname,
                "identityzone": "sandbox", "tenantid": config.xsuaa_zid,
            }}))
        } else if client_id == config.ias_client_id {
            Some(serde_json::json!({ "credentials": {
                "clientid": client_id, "credential-type": "X509_GENERATED", "certificate": credential.certificate, "key": credential.key,
                "url": urls.ias, "domains": ["127.0.0.1"], "app_tid": config.ias_tenant_id,
            }}))
        } else {
            None
        }
    }

    /// The demo clients' key for client assertions (`private_key_jwt`) and its self-signed certificate: registered
    /// on the Entra app (a confidential one accepts it beside its secret), trusted by the IAS application through its
    /// JSON Web Key Set.
    pub fn private_key_jwt_credential(&self) -> ClientCredential {
        let keys = self.shared.keys();
        ClientCredential { certificate: keys.client_certificate.clone(), key: keys.client.private_pem.clone() }
    }

    /// The `kid` under which the IAS application's trusted JSON Web Key Set lists [`Self::private_key_jwt_credential`]'s
    /// key: what a profile's `[ias] assertion_kid` names.
    pub fn private_key_jwt_kid(&self) -> String {
        self.shared.keys().client.kid.clone()
    }

    /// A key and certificate that no service here trusts: "signed with the wrong key".
    pub fn unregistered_key_credential(&self) -> ClientCredential {
        let keys = self.shared.keys();
        ClientCredential { certificate: keys.rogue_certificate.clone(), key: keys.rogue.private_pem.clone() }
    }

    /// The profile whose clients authenticate with client assertions: IAS always, Entra when the app is
    /// confidential (`SandboxConfig::entra_confidential`). The key and certificate are
    /// [`Self::private_key_jwt_credential`].
    pub fn private_key_jwt_profile_toml(&self, name: &str) -> String {
        self.profile_toml(name)
            .replace("confidential = true\n", "confidential = true\nclient_auth = \"private-key-jwt\"\n")
            .replace("client_auth = \"post\"", "client_auth = \"private-key-jwt\"")
    }

    /// TLS handshakes completed with a client certificate so far (0 without `x509`): a client that reuses its
    /// connections across runs adds none after the first.
    pub fn client_certificate_handshakes(&self) -> u64 {
        self.shared.pki.as_ref().map_or(0, |p| p.client_handshakes.load(Ordering::Relaxed))
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
        crate::profile::profile_toml(&self.shared.config, &self.shared.urls, name, None)
    }

    /// The matching profile for certificate bindings: `client_auth = "x509"` at IAS and XSUAA, XSUAA's
    /// `cert_url`, and `ca_file` naming where the caller wrote [`Sandbox::ca_pem`]. Plain [`Self::profile_toml`]
    /// without `x509`.
    pub fn x509_profile_toml(&self, name: &str, ca_file: &str) -> String {
        crate::profile::profile_toml(&self.shared.config, &self.shared.urls, name, Some(ca_file))
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
