//! Signing in at Entra ID v2.0: authorization code + PKCE through the system browser and a loopback
//! listener, device code, or password (ROPC) — or silently, by redeeming the refresh token a former sign-in
//! left in the keychain (`cache`, `refresh`). Each flow ends in an Entra token response whose ID token
//! `id_token::verify` then checks.

pub mod auth_code;
pub mod cache;
pub mod device_code;
pub mod id_token;
pub mod loopback;
pub mod password;
pub mod refresh;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::browser::Browser;
use crate::client_assertion::ClientCredential;
use crate::diagnose::{code, Diagnosis};
use crate::http::{parse_url, HttpClient};
use crate::oidc::Discovery;
use crate::profile::{EntraConfig, Flow};
use crate::report::{HttpRecord, Progress, Step};
use crate::secrets::Secret;
use crate::token_response::TokenResponse;
use loopback::{Expected, Loopback, LoopbackConfig, LoopbackError};

/// `{authority}/{tenant}/v2.0/.well-known/openid-configuration`
pub fn discovery_url(entra: &EntraConfig) -> Result<Url, crate::http::HttpError> {
    let raw = format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        entra.authority.trim_end_matches('/'),
        entra.tenant.trim()
    );
    parse_url(&raw)
}

/// What a sign-in produced: the token response (or why not), the token request as sent, and — for the
/// authorization-code flow — the nonce the ID token must carry.
pub struct SignIn {
    pub tokens: Result<TokenResponse, Diagnosis>,
    pub http: Option<HttpRecord>,
    pub nonce: Option<openidconnect::Nonce>,
}

/// The secrets a sign-in may need; each is fetched by the caller only when the profile needs it.
pub struct SignInSecrets {
    /// A confidential app's credential: its secret, or the signer of its client assertions.
    pub client: Option<ClientCredential>,
    pub password: Option<Secret>,
}

pub struct SignInContext<'a> {
    pub http: &'a HttpClient,
    pub discovery: &'a Discovery,
    pub entra: &'a EntraConfig,
    pub secrets: SignInSecrets,
    pub browser: &'a dyn Browser,
    pub loopback: LoopbackConfig,
    pub progress: &'a (dyn Fn(Progress) + Send + Sync),
    pub cancel: &'a CancellationToken,
}

/// The form fields a confidential app authenticates with at `token_endpoint`: the secret, or a client assertion
/// signed for this one request (Microsoft "Microsoft identity platform application authentication certificate
/// credentials": `client_assertion_type` and `client_assertion` replace `client_secret`).
pub(crate) fn client_fields(
    client: Option<&ClientCredential>,
    token_endpoint: &Url,
) -> Result<Vec<(&'static str, Secret)>, Diagnosis> {
    client.map(|c| c.form_fields(token_endpoint.as_str())).transpose().map(Option::unwrap_or_default)
}

pub async fn sign_in(cx: SignInContext<'_>) -> SignIn {
    let client_secret = cx.secrets.client.as_ref();
    match cx.entra.flow {
        Flow::AuthorizationCode => authorization_code(&cx).await,
        Flow::DeviceCode => {
            let progress = cx.progress;
            let (tokens, http) = device_code::run(
                cx.http,
                cx.discovery,
                cx.entra,
                client_secret,
                |p| {
                    progress(Progress::DeviceCode {
                        user_code: p.user_code,
                        verification_uri: p.verification_uri,
                        message: p.message,
                    })
                },
                cx.cancel,
            )
            .await;
            SignIn { tokens, http, nonce: None }
        }
        Flow::Password => {
            (cx.progress)(Progress::Warning { step: Step::Entra, message: password::WARNING.into() });
            let Some(pw) = cx.secrets.password.as_ref() else {
                return SignIn {
                    tokens: Err(Diagnosis::new(
                        code::ENTRA_PASSWORD_MISSING,
                        "The password flow needs the user's password, and none is stored.",
                        "Store it with `tokenhop-cli secret set NAME entra-password`, or set TOKENHOP_ENTRA_PASSWORD.",
                    )),
                    http: None,
                    nonce: None,
                };
            };
            let (tokens, http) = password::run(cx.http, cx.discovery, cx.entra, pw, client_secret).await;
            SignIn { tokens, http: Some(http), nonce: None }
        }
    }
}

async fn authorization_code(cx: &SignInContext<'_>) -> SignIn {
    let fail = |d: Diagnosis| SignIn { tokens: Err(d), http: None, nonce: None };
    let listener = match Loopback::bind(&cx.loopback).await {
        Ok(l) => l,
        Err(e) => return fail(loopback_diagnosis(&e)),
    };
    let pending = match auth_code::start(cx.discovery, cx.entra, listener.redirect_uri()) {
        Ok(p) => p,
        Err(d) => return fail(d),
    };
    let url = pending.authorize_url.to_string();
    // Discovery refused such documents already; the browser opens nothing but https (or http on loopback).
    if let Err(e) = parse_url(&url) {
        return fail(Diagnosis::new(
            code::ENTRA_DISCOVERY_MALFORMED,
            format!("The authorization endpoint is not a sign-in page TokenHop may open: {e}"),
            "Check the authority in the profile: it must serve Entra's v2.0 endpoints over https.",
        ));
    }
    match cx.browser.open(&url) {
        Ok(()) => (cx.progress)(Progress::BrowserOpened { url: url.clone() }),
        Err(reason) => (cx.progress)(Progress::BrowserFailed { url: url.clone(), reason }),
    }
    (cx.progress)(Progress::WaitingForSignIn { redirect_uri: listener.redirect_uri().to_owned() });
    let expected = Expected {
        state: pending.state.clone(),
        issuer: Some(cx.discovery.issuer.clone()),
        require_iss: cx.discovery.iss_parameter_supported,
    };
    let code = match listener.wait(expected, cx.cancel.clone()).await {
        Ok(code) => code,
        Err(e) => return fail(loopback_diagnosis(&e)),
    };
    (cx.progress)(Progress::CallbackReceived);
    (cx.progress)(Progress::Request { step: Step::Entra, url: cx.discovery.token_endpoint.to_string() });
    let (tokens, http) =
        auth_code::redeem(cx.http, cx.discovery, cx.entra, &pending, &code, cx.secrets.client.as_ref()).await;
    SignIn { tokens, http: Some(http), nonce: Some(pending.nonce) }
}

fn loopback_diagnosis(e: &LoopbackError) -> Diagnosis {
    match e {
        LoopbackError::PortInUse { port } => Diagnosis::new(
            code::LOOPBACK_PORT_IN_USE,
            format!("Port {port} on this machine's loopback address (127.0.0.1 or [::1]) is already in use, so TokenHop cannot receive the sign-in safely."),
            format!("Close the program using port {port}, or set `redirect_port = 0` in the profile so any free port is used (Entra ignores the port of http://localhost)."),
        ),
        LoopbackError::Bind(err) => Diagnosis::new(code::LOOPBACK_BIND, format!("TokenHop could not listen on 127.0.0.1: {err}"), "Check that local firewalls or sandboxes allow listening on loopback."),
        LoopbackError::Authorization { error, description } => {
            let (code, hint) = match error.as_str() {
                "access_denied" => (code::ENTRA_ACCESS_DENIED, "The user or a policy declined the sign-in. Sign in again and accept, or ask the Entra administrator about consent and assignment."),
                "consent_required" | "interaction_required" => (code::ENTRA_CONSENT_REQUIRED, "Sign in interactively (no prompt=none) and grant consent, or ask an administrator for admin consent."),
                _ => (code::ENTRA_AUTHORIZATION_ERROR, "Read Entra's description above; the AADSTS code names the cause."),
            };
            let d = Diagnosis::new(code, format!("Entra ended the sign-in with `{error}`: {description}"), hint);
            match description.find("AADSTS") {
                Some(_) => crate::diagnose::entra_error(400, &serde_json::json!({"error": error, "error_description": description}).to_string()),
                None => d,
            }
        }
        LoopbackError::IssuerMismatch { expected, got } => Diagnosis::new(
            code::ENTRA_ISSUER_MISMATCH,
            format!("The sign-in response came from {got}, not from {expected}."),
            "Another identity provider answered this sign-in (a mix-up attack, or two sign-ins at once). Close other sign-in tabs and start again.",
        ),
        LoopbackError::TimedOut { seconds, foreign_callbacks } if *foreign_callbacks > 0 => Diagnosis::new(
            code::ENTRA_STATE_MISMATCH,
            format!("No valid sign-in response arrived within {seconds} s; {foreign_callbacks} response(s) with a foreign state were refused."),
            "A browser tab from an older sign-in answered. Close old sign-in tabs and run again.",
        ),
        LoopbackError::TimedOut { seconds, .. } => Diagnosis::new(
            code::ENTRA_TIMEOUT,
            format!("No sign-in response arrived within {seconds} s."),
            "Finish the sign-in in the browser window TokenHop opened, or copy the sign-in URL into a browser if none opened.",
        ),
        LoopbackError::Cancelled => Diagnosis::new(code::CANCELLED, "The sign-in was cancelled.", "Run the chain again when ready."),
    }
}
