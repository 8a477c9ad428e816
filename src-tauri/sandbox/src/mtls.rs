//! The sandbox's own PKI and TLS listeners, for X.509 bindings (`SandboxConfig::x509`).
//!
//! A CA generated in memory at start (rcgen) issues a server certificate for 127.0.0.1 and a client certificate
//! for each demo client; it remembers which certificate it issued to which client ID. Two listeners use it:
//! - XSUAA's certificate host (the key's `certurl`, `https://<subdomain>.authentication.cert.<landscape>`):
//!   a client certificate from this CA is required in the handshake (SAP Help "Implementing Custom Token
//!   Retrieval from SAP Authorization and Trust Management Service with mTLS");
//! - IAS over TLS, where a client certificate is optional: IAS serves certificate and secret clients at the
//!   tenant's own host (inferred from SAP's libraries, which call the tenant's token endpoint with the certificate).
//!
//! The token endpoints then accept a certificate only for the client ID it was issued to (the `client_id` in
//! the body), as a binding's certificate authenticates exactly its own client. Nothing here touches disk.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client certificate and its key, as a binding carries them (PEM).
#[derive(Clone)]
pub struct ClientCredential {
    pub certificate: String,
    pub key: String,
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredential").field("key", &"***").finish_non_exhaustive()
    }
}

/// The sandbox CA, its server certificate, and the client certificates it issued.
pub(crate) struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
    /// SHA-256 of an issued client certificate's DER → the client ID it authenticates.
    issued: Mutex<HashMap<[u8; 32], String>>,
    /// TLS handshakes completed with a client certificate, on every listener: a client that keeps its connection
    /// (and its identity) across requests adds one per host, not one per request.
    pub(crate) client_handshakes: Arc<AtomicU64>,
}

fn rcgen_failed(e: rcgen::Error) -> std::io::Error {
    std::io::Error::other(format!("the sandbox PKI could not issue a certificate: {e}"))
}

impl Pki {
    pub(crate) fn generate() -> std::io::Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_failed)?;
        params.distinguished_name = name("TokenHop Sandbox CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca =
            CertifiedIssuer::self_signed(params, KeyPair::generate().map_err(rcgen_failed)?).map_err(rcgen_failed)?;

        let server_key = KeyPair::generate().map_err(rcgen_failed)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_failed)?;
        params.distinguished_name = name("127.0.0.1");
        params.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&server_key, &ca).map_err(rcgen_failed)?;
        Ok(Self {
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_der(),
            ca,
            issued: Mutex::new(HashMap::new()),
            client_handshakes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The CA certificate clients must trust, PEM.
    pub(crate) fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// Issues a client certificate for `client_id`, valid from `not_before` for `valid`, and remembers it.
    pub(crate) fn issue_client(
        &self,
        client_id: &str,
        not_before: SystemTime,
        valid: Duration,
    ) -> std::io::Result<ClientCredential> {
        let key = KeyPair::generate().map_err(rcgen_failed)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_failed)?;
        let mut dn = name(client_id);
        dn.push(DnType::OrganizationalUnitName, "TokenHop Sandbox Clients");
        params.distinguished_name = dn;
        params.not_before = not_before.into();
        params.not_after = (not_before + valid).into();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca).map_err(rcgen_failed)?;
        let digest: [u8; 32] = Sha256::digest(cert.der()).into();
        self.issued.lock().unwrap_or_else(|p| p.into_inner()).insert(digest, client_id.to_owned());
        Ok(ClientCredential { certificate: cert.pem(), key: key.serialize_pem() })
    }

    /// The client ID a presented certificate was issued to, if this CA issued it.
    pub(crate) fn client_of(&self, der: &[u8]) -> Option<String> {
        let digest: [u8; 32] = Sha256::digest(der).into();
        self.issued.lock().unwrap_or_else(|p| p.into_inner()).get(&digest).cloned()
    }

    /// The TLS server configuration: this CA's server certificate, and client certificates from this CA either
    /// `required` (XSUAA's certificate host) or optional (IAS).
    pub(crate) fn server_config(&self, required: bool) -> std::io::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.der().clone()).map_err(std::io::Error::other)?;
        let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        let verifier = if required { builder.build() } else { builder.allow_unauthenticated().build() }
            .map_err(std::io::Error::other)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.server_chain.clone(), key)
            .map_err(std::io::Error::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// Who is at the other end of a TLS connection: the address and the client certificate it presented, if any.
#[derive(Clone, Debug)]
pub(crate) struct TlsPeer {
    #[allow(dead_code)] // shown in Debug output
    pub remote: SocketAddr,
    pub client_certificate: Option<CertificateDer<'static>>,
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsPeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener that completes the TLS handshake before handing a connection to axum. Handshakes run in
/// their own tasks (a stalled client blocks no one) and fail quietly: a refused client certificate ends there.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, TlsPeer)>,
    local: SocketAddr,
}

impl TlsListener {
    pub(crate) fn new(
        tcp: TcpListener,
        config: Arc<ServerConfig>,
        client_handshakes: Arc<AtomicU64>,
    ) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, remote) = tokio::select! {
                    accepted = tcp.accept() => match accepted {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                    _ = tx.closed() => return,
                };
                let (acceptor, tx, counter) = (acceptor.clone(), tx.clone(), client_handshakes.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(tls)) => {
                            let client_certificate = tls
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| c.clone().into_owned());
                            if client_certificate.is_some() {
                                counter.fetch_add(1, Ordering::Relaxed);
                            }
                            let _ = tx.send((tls, TlsPeer { remote, client_certificate })).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%remote, error = %e, "sandbox TLS handshake failed"),
                        Err(_) => tracing::debug!(%remote, "sandbox TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { ready, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = TlsPeer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(TlsPeer { remote: self.local, client_certificate: None })
    }
}

/// What a request's TLS connection says about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Presented {
    /// Plain HTTP, or TLS without a client certificate.
    Nothing,
    /// A certificate this CA issued to this client ID.
    Client(String),
    /// A certificate this CA did not issue (or no longer knows).
    Unknown,
}

/// The client certificate of the connection `extensions` belong to (axum's `ConnectInfo` of a [`TlsListener`]).
pub(crate) fn presented(shared: &crate::state::Shared, extensions: &axum::http::Extensions) -> Presented {
    let peer = extensions.get::<axum::extract::ConnectInfo<TlsPeer>>();
    match (peer.and_then(|p| p.0.client_certificate.as_ref()), &shared.pki) {
        (Some(der), Some(pki)) => pki.client_of(der).map_or(Presented::Unknown, Presented::Client),
        (Some(_), None) => Presented::Unknown,
        (None, _) => Presented::Nothing,
    }
}
