//! The one variable model every export format renders: endpoints and client ids from the profile, tokens
//! and their expiry from the run, client secrets only if opted in. Keeping it in one place means the
//! Postman environment, the curl script, the `.http` file and the `.env` always agree on names and values.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::profile::{slugify, Profile};
use crate::report::{RunReport, Step, StepOutcome, TokenString};
use crate::secrets::Secret;
use crate::token_request::TokenRequest;

use super::ExportOptions;

/// The Postman `info.schema` of collection format v2.1.0.
pub(super) const POSTMAN_SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";
pub(super) const EXPORTED_USING: &str = concat!("TokenHop/", env!("CARGO_PKG_VERSION"));

/// Everything an export says, by name.
pub(super) struct Vars {
    pub profile_name: String,
    /// `<profile slug>-<UTC yyyymmdd-hhmmss>`: the stem of every file name.
    pub file_stem: String,
    /// RFC 3339 UTC with milliseconds, as Postman writes `_postman_exported_at`.
    pub exported_at: String,
    /// `2026-11-14 09:30 UTC`, for names and headers meant for people.
    pub exported_at_human: String,
    pub entra: EntraVars,
    pub ias: Option<ServiceVars>,
    pub xsuaa: Option<ServiceVars>,
    /// Sent to XSUAA as `X-zid`: the profile's, else the IAS ID token's `app_tid`.
    pub xsuaa_zid: Option<String>,
    pub api: Option<ApiVars>,
    pub tokens: Vec<TokenVar>,
}

pub(super) struct EntraVars {
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
    pub auth_url: String,
    pub token_url: String,
    /// Space-separated, as the `scope` parameter wants them.
    pub scopes: String,
    pub redirect_uri: String,
    /// A Web/confidential registration: it has a client secret, or a certificate credential.
    pub confidential: bool,
    /// The confidential app authenticates with client assertions (`private-key-jwt`), not its secret.
    pub client_assertion: bool,
    pub client_secret: Option<Secret>,
}

/// IAS or XSUAA: the exchange request exactly as the chain builds it, and the client secret if opted in.
pub(super) struct ServiceVars {
    pub url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Built by [`crate::token_request`], the builder the chain sends from; renderers only change its syntax.
    pub request: TokenRequest,
}

pub(super) struct ApiVars {
    pub url: String,
    /// `authorization` or `x-approuter-authorization`.
    pub header: &'static str,
    pub method: &'static str,
    /// The token the API gets, as the chain passes it on: XSUAA's access token, else IAS's or Entra's
    /// ID token.
    pub token_key: &'static str,
}

/// A token of the run, named `<step>_<token>` (`ias_id_token`). `value` is `None` when the run did not
/// get that far; the Postman collection fills it in when replayed.
pub(super) struct TokenVar {
    pub key: String,
    pub value: Option<TokenString>,
    pub expires_at: Option<String>,
}

impl TokenVar {
    pub fn value(&self) -> &str {
        self.value.as_ref().map(TokenString::expose).unwrap_or("")
    }
}

/// The tokens each hop is expected to yield, in display order; others the run produced come after.
const EXPECTED: [(Step, &[&str]); 3] = [
    (Step::Entra, &["id_token"]),
    (Step::Ias, &["id_token", "access_token", "refresh_token"]),
    (Step::Xsuaa, &["access_token", "refresh_token"]),
];
const ORDER: [&str; 3] = ["id_token", "access_token", "refresh_token"];

impl Vars {
    pub fn collect(profile: &Profile, report: &RunReport, options: &ExportOptions) -> Self {
        let now = options.now.to_offset(time::UtcOffset::UTC);
        let secrets = options.secrets.as_ref();
        let slug = match slugify(&profile.name) {
            s if s.is_empty() => "tokenhop".to_owned(),
            s => s,
        };
        let stamp = now.format(format_description!("[year][month][day]-[hour][minute][second]")).unwrap_or_default();
        let e = &profile.entra;
        let base = format!("{}/{}", e.authority.trim_end_matches('/'), e.tenant);
        let port = if e.redirect_port == 0 { String::new() } else { format!(":{}", e.redirect_port) };
        let entra = EntraVars {
            authority: e.authority.clone(),
            tenant: e.tenant.clone(),
            client_id: e.client_id.clone(),
            auth_url: format!("{base}/oauth2/v2.0/authorize"),
            token_url: format!("{base}/oauth2/v2.0/token"),
            scopes: e.scopes.join(" "),
            redirect_uri: format!("http://{}{port}", e.redirect_host.as_str()),
            confidential: e.confidential,
            client_assertion: e.client_auth.is_some_and(|a| a.uses_assertion()),
            client_secret: secrets
                .and_then(|s| s.entra.clone())
                .filter(|_| e.confidential && !e.client_auth.is_some_and(|a| a.uses_assertion())),
        };
        let service = |url: &str, request: TokenRequest, client_secret: Option<Secret>| ServiceVars {
            url: url.to_owned(),
            token_url: request.url.clone(),
            client_id: request.client_id.clone(),
            client_secret,
            request,
        };
        let ias = profile
            .ias
            .as_ref()
            .map(|c| service(&c.url, TokenRequest::ias_jwt_bearer(c), secrets.and_then(|s| s.ias.clone())));
        let xsuaa = profile
            .xsuaa
            .as_ref()
            .map(|c| service(&c.url, TokenRequest::xsuaa_jwt_bearer(c), secrets.and_then(|s| s.xsuaa.clone())));
        let xsuaa_zid = profile.xsuaa.as_ref().and_then(|c| c.zid.clone()).or_else(|| {
            let claims = report.step(Step::Ias)?.claims.get("id_token")?;
            claims.get("app_tid")?.as_str().map(str::to_owned)
        });
        let api = profile.api.as_ref().map(|a| ApiVars {
            url: a.url.clone(),
            header: a.header.header_name(),
            method: match a.method {
                crate::profile::HttpMethod::Get => "GET",
                crate::profile::HttpMethod::Post => "POST",
            },
            token_key: if profile.xsuaa.is_some() {
                "xsuaa_access_token"
            } else if profile.ias.is_some() {
                "ias_id_token"
            } else {
                "entra_id_token"
            },
        });
        let configured = |step: Step| match step {
            Step::Entra => true,
            Step::Ias => profile.ias.is_some(),
            Step::Xsuaa => profile.xsuaa.is_some(),
            Step::Api => false,
        };
        let tokens = EXPECTED
            .iter()
            .filter(|(step, _)| configured(*step) || report.step(*step).is_some())
            .flat_map(|(step, expected)| tokens_of(*step, expected, report.step(*step)))
            .collect();
        Self {
            profile_name: profile.name.clone(),
            file_stem: format!("{slug}-{stamp}"),
            exported_at: rfc3339_millis(now),
            exported_at_human: now
                .format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
                .unwrap_or_default(),
            entra,
            ias,
            xsuaa,
            xsuaa_zid,
            api,
            tokens,
        }
    }

    pub fn token(&self, key: &str) -> Option<&TokenVar> {
        self.tokens.iter().find(|t| t.key == key)
    }

    /// True when any token has a value, or a client secret was opted in.
    pub fn has_live_values(&self) -> bool {
        self.tokens.iter().any(|t| t.value.is_some()) || self.has_secrets()
    }

    pub fn has_secrets(&self) -> bool {
        self.entra.client_secret.is_some()
            || [&self.ias, &self.xsuaa].into_iter().flatten().any(|s| s.client_secret.is_some())
    }
}

/// The expected tokens of a hop (empty if missing), then whatever else it produced.
fn tokens_of(step: Step, expected: &[&str], outcome: Option<&StepOutcome>) -> Vec<TokenVar> {
    let mut names: Vec<&str> = expected.to_vec();
    if let Some(o) = outcome {
        let mut extra: Vec<&str> = o.tokens.keys().map(String::as_str).filter(|n| !names.contains(n)).collect();
        extra.sort_by_key(|n| (ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()), *n));
        names.extend(extra);
    }
    names
        .into_iter()
        .map(|name| {
            let value = outcome.and_then(|o| o.tokens.get(name)).filter(|t| !t.expose().is_empty()).cloned();
            let expires_at = outcome
                .and_then(|o| o.views.iter().find(|v| v.name == name))
                .and_then(|v| v.expires_at)
                .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
                .and_then(|t| t.format(&Rfc3339).ok());
            TokenVar { key: format!("{step}_{name}"), value, expires_at }
        })
        .collect()
}

fn rfc3339_millis(t: OffsetDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .unwrap_or_default()
}

pub(super) use crate::token_request::url_encode as form_encode;
