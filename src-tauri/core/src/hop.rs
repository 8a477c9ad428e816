//! One token request at IAS or XSUAA, as the chain's exchanges and the refreshes of [`crate::refresh`] both
//! send it: the client its authentication needs (a secret from the keychain, or the client certificate over
//! mutual TLS once it passed the checks of [`crate::certificate`], or a client assertion signed with the
//! client's key, [`crate::client_assertion`]), the request of [`crate::token_request`],
//! and the checks of what comes back ([`crate::token_checks`]).

use crate::certificate::{load_identity, load_signing_key};
use crate::client_assertion::{AssertionSigner, Flavor};
use crate::diagnose::{code, Diagnose, Diagnosis};
use crate::engine::{Engine, Net, Run, RunRequest};
use crate::exchange;
use crate::http::{http_failure, parse_url, HttpClient};
use crate::report::{Check, Progress, Step, StepOutcome};
use crate::secrets::{Secret, SecretKind};
use crate::service::Service;
use crate::token_checks::{add_tokens, service_checks, verify_outcome};
use crate::token_request::{Inputs, TokenRequest};

/// What the hop before handed over: the assertion of an exchange, or the refresh token of a refresh.
#[derive(Default)]
pub(crate) struct Handed<'a> {
    pub assertion: Option<&'a str>,
    pub refresh_token: Option<&'a Secret>,
    /// The subaccount's zone for XSUAA's `X-zid`.
    pub zid: Option<&'a str>,
}

/// Sends `request` with the client its authentication needs, then decodes and checks the tokens. `issuer` is
/// the service's URL from the profile, whose keys sign what it answers (also for certificate clients, whose
/// requests go to another host).
pub(crate) async fn send_checked(
    run: &Run<'_>,
    request: &TokenRequest,
    issuer: &str,
    handed: Handed<'_>,
) -> StepOutcome {
    let Run { engine, net, req, progress } = run;
    let service = request.service;
    let step = step_of(service);
    let url = match parse_url(&request.url) {
        Ok(u) => u,
        Err(e) => return StepOutcome::failed(step, http_failure(service.name(), &e)),
    };
    let auth = match authenticate(run, request) {
        Ok(auth) => auth,
        Err(d) => return StepOutcome::failed(step, d),
    };
    progress(Progress::Request { step, url: url.to_string() });
    let inputs = Inputs {
        client_secret: auth.secret.as_ref(),
        client_assertion: auth.assertion.as_ref(),
        assertion: handed.assertion,
        refresh_token: handed.refresh_token,
        zid: handed.zid,
    };
    let (result, http) = exchange::send(&auth.client, request, &url, &inputs).await;
    let mut out = StepOutcome::new(step);
    out.http = Some(http);
    out.checks = auth.checks;
    let tokens = match result {
        Ok(t) => t,
        Err(d) => {
            out.error = Some(d);
            return out;
        }
    };
    add_tokens(&mut out, &tokens, None);
    if let Ok(issuer) = parse_url(issuer) {
        let client_id = (service == Service::Ias).then_some(request.client_id.as_str());
        verify_outcome(&net.jwks, &mut out, &service.keys_url(&issuer), client_id).await;
    }
    service_checks(engine.now(), req.profile, &mut out);
    out.ok = out.error.is_none();
    out
}

/// How a request authenticates: the client it is sent with, the secret or fresh assertion it carries, and the
/// checks of the certificate behind it.
struct Authenticated {
    client: HttpClient,
    secret: Option<Secret>,
    assertion: Option<Secret>,
    checks: Vec<Check>,
}

/// The credential `request` needs: a client assertion signed now, the client presenting the certificate, or the
/// client secret.
fn authenticate(run: &Run<'_>, request: &TokenRequest) -> Result<Authenticated, Diagnosis> {
    let Run { engine, net, req, .. } = run;
    let service = request.service;
    if request.client_assertion {
        let signer = assertion_signer(engine, req, service)?;
        let checks = signer.certificate().map(certificate_check).into_iter().collect();
        let assertion = signer.sign(&request.url)?;
        Ok(Authenticated { client: net.http.clone(), secret: None, assertion: Some(assertion), checks })
    } else if request.client_certificate {
        let (client, check) = certificate_client(engine, net, req, service)?;
        Ok(Authenticated { client, secret: None, assertion: None, checks: vec![check] })
    } else {
        let secret = req.required_secret(secret_kind(service))?;
        Ok(Authenticated { client: net.http.clone(), secret: Some(secret), assertion: None, checks: Vec::new() })
    }
}

pub(crate) fn step_of(service: Service) -> Step {
    match service {
        Service::Ias => Step::Ias,
        Service::Xsuaa => Step::Xsuaa,
    }
}

fn secret_kind(service: Service) -> SecretKind {
    match service {
        Service::Ias => SecretKind::IasClientSecret,
        Service::Xsuaa => SecretKind::XsuaaClientSecret,
    }
}

/// The HTTP client that presents the service's client certificate, once the certificate and key from the
/// keychain passed their checks, and a check that shows the certificate's validity ([`certificate_check`]).
fn certificate_client(
    engine: &Engine,
    net: &Net,
    req: &RunRequest<'_>,
    service: Service,
) -> Result<(HttpClient, Check), Diagnosis> {
    let (cert_kind, key_kind) = match service {
        Service::Ias => (SecretKind::IasClientCertificate, SecretKind::IasClientKey),
        Service::Xsuaa => (SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey),
    };
    let certificate = req.secret(cert_kind)?.ok_or_else(|| missing_certificate(cert_kind, req.slug))?;
    let key = req.secret(key_kind)?.ok_or_else(|| missing_certificate(key_kind, req.slug))?;
    let identity = load_identity(certificate.expose_secret(), &key, engine.now()).map_err(|e| {
        let mut d = e.diagnosis();
        d.message = format!("{} client certificate: {}", service.name(), d.message);
        d
    })?;
    let check = certificate_check(&identity.facts);
    let client = engine.identity_client(net, &identity).map_err(|e| http_failure(service.name(), &e))?;
    Ok((client, check))
}

/// The certificate's validity as a check, failed (a warning) when it expires soon (`CertificateFacts::expires_soon`).
fn certificate_check(facts: &crate::certificate::CertificateFacts) -> Check {
    Check::new("client_certificate", !facts.expires_soon, facts.validity_sentence())
}

/// The signer of `private-key-jwt` clients: the key from the keychain (required) and its certificate (optional
/// at IAS, which finds the key through the JSON Web Key Set it trusts), checked as a certificate credential is.
fn assertion_signer(engine: &Engine, req: &RunRequest<'_>, service: Service) -> Result<AssertionSigner, Diagnosis> {
    let (cert_kind, key_kind, client_id) = match service {
        Service::Ias => (
            SecretKind::IasClientCertificate,
            SecretKind::IasClientKey,
            req.profile.ias.as_ref().map(|i| i.client_id.as_str()),
        ),
        Service::Xsuaa => (
            SecretKind::XsuaaClientCertificate,
            SecretKind::XsuaaClientKey,
            req.profile.xsuaa.as_ref().map(|x| x.client_id.as_str()),
        ),
    };
    let key = req.secret(key_kind)?.ok_or_else(|| missing_key(key_kind, cert_kind, req.slug))?;
    let certificate = req.secret(cert_kind)?;
    let key = load_signing_key(&key, certificate.as_ref().map(Secret::expose_secret), engine.now()).map_err(|e| {
        let mut d = e.diagnosis();
        d.message = format!("{} client assertion key: {}", service.name(), d.message);
        d
    })?;
    let kid = req.profile.ias.as_ref().filter(|_| service == Service::Ias).and_then(|i| i.assertion_kid.as_deref());
    Ok(AssertionSigner::new(key, client_id.unwrap_or_default(), Flavor::Ias, engine.clock.clone())?.with_kid(kid))
}

/// No key stored for a `private-key-jwt` client.
pub(crate) fn missing_key(key_kind: SecretKind, cert_kind: SecretKind, slug: &str) -> Diagnosis {
    Diagnosis::new(
        code::SECRETS_MISSING,
        format!("No {key_kind} is stored for this profile, and `client_auth = \"private-key-jwt\"` signs with it."),
        format!(
            "Store the RSA private key (PEM) with `tokenhop-cli secret set {slug} {key_kind}` and its certificate as \
             {cert_kind}, or set {} for this run.",
            key_kind.env_var()
        ),
    )
}

fn missing_certificate(kind: SecretKind, slug: &str) -> Diagnosis {
    Diagnosis::new(
        code::SECRETS_MISSING,
        format!("No {kind} is stored for this profile, and `client_auth = \"x509\"` needs it."),
        format!(
            "Apply the X.509 service key with `tokenhop-cli profile key {slug} --ias|--xsuaa FILE`, which stores the certificate \
             and key in the keychain, or set {} (PEM) for this run.",
            kind.env_var()
        ),
    )
}
