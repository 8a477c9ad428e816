//! A realistic finished run for the export tests: the profile, the `RunReport` the chain would produce
//! (JWT-shaped tokens with the claims the real services put in them), and pinned time and ids.
//!
//! Included by the other `export_*` tests with `#[path]`; compiled alone it has no tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use tokenhop_core::export::{ExportOptions, ExportSecrets, IdSource};
use tokenhop_core::profile::{
    ApiConfig, ApiHeader, ClientAuth, EntraConfig, Flow, HttpMethod, IasConfig, Profile, RedirectHost, TokenFormat,
    XsuaaConfig,
};
use tokenhop_core::report::{SignatureStatus, TokenString};
use tokenhop_core::{RunReport, Secret, Step, StepOutcome, TokenView};

pub const NOW: OffsetDateTime = datetime!(2026-11-14 09:30:00 UTC);
/// Unix time of [`NOW`].
pub const T0: i64 = 1_794_648_600;
pub const TENANT: &str = "6f1d2c3b-0000-4000-8000-00000000a1b2";
pub const APP_TID: &str = "9a8b7c6d-1111-4222-8333-444455556666";
/// A secret as real IAS and XSUAA issue them: `+`, `/`, `=` need form encoding (RFC 6749 §2.3.1).
pub const IAS_SECRET: &str = "Zx+9k/Qm=Lw3~pR";
pub const XSUAA_SECRET: &str = "a1b2$c3d4+e5f6/g7h8=";

pub fn profile(ias_auth: ClientAuth, xsuaa_auth: ClientAuth) -> Profile {
    Profile {
        schema_version: 1,
        name: "ACME dev".into(),
        environment: Some("dev".into()),
        remember_sign_in: None,
        keep_refresh_tokens: None,
        ca_file: None,
        entra: EntraConfig {
            authority: "https://login.microsoftonline.com".into(),
            tenant: TENANT.into(),
            client_id: "3c1e4a5b-7d8e-4f90-a1b2-c3d4e5f60718".into(),
            flow: Flow::AuthorizationCode,
            scopes: ["openid", "profile", "email", "offline_access"].map(String::from).to_vec(),
            redirect_host: RedirectHost::Localhost,
            redirect_port: 0,
            confidential: false,
            client_auth: None,
            username: None,
        },
        ias: Some(IasConfig {
            url: "https://acme.accounts.ondemand.com".into(),
            client_id: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f".into(),
            client_auth: ias_auth,
            token_format: TokenFormat::Jwt,
            scope: None,
            resource: None,
            assertion_kid: None,
        }),
        xsuaa: Some(XsuaaConfig {
            url: "https://acme-dev.authentication.eu10.hana.ondemand.com".into(),
            client_id: "sb-acme-orders!t12345".into(),
            client_auth: xsuaa_auth,
            cert_url: (xsuaa_auth == ClientAuth::X509)
                .then(|| "https://acme-dev.authentication.cert.eu10.hana.ondemand.com".into()),
            scope: None,
            zid: None,
            trust_client_id: None,
        }),
        api: Some(ApiConfig {
            url: "https://acme-dev-orders.cfapps.eu10.hana.ondemand.com/api/orders".into(),
            header: ApiHeader::XApprouterAuthorization,
            method: HttpMethod::Get,
        }),
    }
}

/// A JWT-shaped token (header, claims, a fake signature): what the exports see is only its text.
pub fn jwt(claims: &Value) -> String {
    // Through a BTreeMap so the text does not depend on serde_json's `preserve_order` feature.
    let b64 = |v: &Value| {
        let sorted: BTreeMap<&String, &Value> = v.as_object().expect("claims are an object").iter().collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_string(&sorted).unwrap())
    };
    format!("{}.{}.c2lnbmF0dXJl", b64(&json!({"alg": "RS256", "kid": "k1", "typ": "JWT"})), b64(claims))
}

fn outcome(step: Step, tokens: Vec<(&str, String, Option<Value>)>) -> StepOutcome {
    let mut o = StepOutcome::new(step);
    o.ok = true;
    o.elapsed_ms = 120;
    o.tokens = tokens.iter().map(|(n, t, _)| ((*n).to_owned(), TokenString(t.clone()))).collect::<BTreeMap<_, _>>();
    for (name, raw, claims) in tokens {
        if let Some(c) = &claims {
            o.claims.insert(name.to_owned(), c.clone());
        }
        o.views.push(TokenView {
            name: name.to_owned(),
            raw: TokenString(raw),
            header: claims.as_ref().map(|_| json!({"alg": "RS256", "kid": "k1"})),
            expires_at: claims.as_ref().and_then(|c| c["exp"].as_i64()),
            issued_at: claims.as_ref().and_then(|c| c["iat"].as_i64()),
            claims,
            signature: SignatureStatus::Unverified { reason: "test".into() },
        });
    }
    o
}

pub fn report() -> RunReport {
    let entra_id = json!({"iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"), "ver": "2.0", "aud": "3c1e4a5b-7d8e-4f90-a1b2-c3d4e5f60718", "tid": TENANT, "oid": "u-1", "sub": "s-1", "preferred_username": "ada@acme.example", "email": "ada@acme.example", "iat": T0, "exp": T0 + 3600});
    let ias_id = json!({"iss": "https://acme.accounts.ondemand.com", "sub": "P000123", "aud": ["0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f", "sb-acme-orders!t12345"], "app_tid": APP_TID, "email": "ada@acme.example", "iat": T0 + 2, "exp": T0 + 3602});
    let ias_access = json!({"iss": "https://acme.accounts.ondemand.com", "sub": "P000123", "aud": "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f", "iat": T0 + 2, "exp": T0 + 3602});
    let xsuaa_access = json!({"iss": "https://acme-dev.authentication.eu10.hana.ondemand.com/oauth/token", "zid": APP_TID, "scope": ["orders!t12345.Read"], "user_name": "ada@acme.example", "origin": "sap.custom", "iat": T0 + 3, "exp": T0 + 43203});
    RunReport {
        ok: true,
        profile: "ACME dev".into(),
        started_at: "2026-11-14T09:29:40Z".into(),
        steps: vec![
            outcome(
                Step::Entra,
                vec![
                    ("id_token", jwt(&entra_id), Some(entra_id.clone())),
                    ("refresh_token", "0.AXEA-entra-refresh".into(), None),
                ],
            ),
            outcome(
                Step::Ias,
                vec![
                    ("id_token", jwt(&ias_id), Some(ias_id.clone())),
                    ("access_token", jwt(&ias_access), Some(ias_access.clone())),
                    ("refresh_token", "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c".into(), None),
                ],
            ),
            outcome(
                Step::Xsuaa,
                vec![
                    ("access_token", jwt(&xsuaa_access), Some(xsuaa_access.clone())),
                    ("refresh_token", "9c8d7e6f5a4b-r".into(), None),
                ],
            ),
            outcome(Step::Api, vec![]),
        ],
    }
}

pub fn options() -> ExportOptions {
    ExportOptions { now: NOW, ids: IdSource::seeded(42), secrets: None, client_certificates: None }
}

pub fn options_with_secrets() -> ExportOptions {
    ExportOptions {
        now: NOW,
        ids: IdSource::seeded(42),
        client_certificates: None,
        secrets: Some(ExportSecrets {
            entra: None,
            ias: Some(Secret::new(IAS_SECRET)),
            xsuaa: Some(Secret::new(XSUAA_SECRET)),
        }),
    }
}
