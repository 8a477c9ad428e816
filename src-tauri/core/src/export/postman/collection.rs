//! The Postman collection (format v2.1.0) that replays the chain from environment variables:
//! "Entra: sign in" (Postman's OAuth 2.0 helper, authorization code with PKCE), "IAS: exchange Entra
//! token", "XSUAA: exchange IAS token" and "API: call", each with a test script that asserts 200 and
//! stores the tokens it got back into the environment for the next request.

use serde::Serialize;
use uuid::Uuid;

use crate::export::vars::{ServiceVars, Vars, POSTMAN_SCHEMA};
use crate::token_request::{Input, Value};

use super::scripts;

#[derive(Serialize)]
pub(super) struct Collection {
    info: Info,
    item: Vec<Item>,
}

#[derive(Serialize)]
struct Info {
    #[serde(rename = "_postman_id")]
    id: Uuid,
    name: String,
    description: String,
    schema: &'static str,
}

#[derive(Serialize)]
struct Item {
    name: String,
    event: Vec<Event>,
    request: Request,
    response: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Event {
    listen: &'static str,
    script: Script,
}

#[derive(Serialize)]
struct Script {
    #[serde(rename = "type")]
    kind: &'static str,
    exec: Vec<String>,
}

#[derive(Serialize)]
struct Request {
    auth: Auth,
    method: &'static str,
    header: Vec<Pair>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Body>,
    url: Url,
    description: String,
}

#[derive(Serialize)]
struct Auth {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth2: Option<Vec<AuthAttribute>>,
}

#[derive(Serialize)]
struct AuthAttribute {
    key: &'static str,
    value: serde_json::Value,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Pair {
    key: String,
    value: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Body {
    mode: &'static str,
    urlencoded: Vec<Pair>,
}

#[derive(Serialize)]
struct Url {
    raw: String,
    host: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path: Vec<String>,
}

fn pair(key: &str, value: &str) -> Pair {
    Pair { key: key.to_owned(), value: value.to_owned(), kind: "text" }
}

fn var_url(var: &str) -> Url {
    let raw = format!("{{{{{var}}}}}");
    Url { raw: raw.clone(), host: vec![raw], path: vec![] }
}

fn events(prerequest: Vec<String>, test: Vec<String>) -> Vec<Event> {
    let mut out = Vec::new();
    if !prerequest.is_empty() {
        out.push(Event { listen: "prerequest", script: Script { kind: "text/javascript", exec: prerequest } });
    }
    out.push(Event { listen: "test", script: Script { kind: "text/javascript", exec: test } });
    out
}

const NO_AUTH: Auth = Auth { kind: "noauth", oauth2: None };

pub(super) fn build(vars: &Vars, id: Uuid) -> Collection {
    let mut item = vec![entra_sign_in(vars)];
    if let Some(ias) = &vars.ias {
        item.push(exchange(ExchangeSpec {
            name: "IAS: exchange Entra token",
            service: "IAS",
            prefix: "ias",
            svc: ias,
            assertion: "entra_id_token",
            tokens: &["id_token", "access_token", "refresh_token"],
            required: "id_token",
            what: "Exchanges the Entra ID token for IAS tokens (RFC 7523 jwt-bearer grant at IAS; `token_format=jwt` asks for a JWT access token instead of an opaque one).",
        }, vars.xsuaa.is_some()));
    }
    if let Some(xsuaa) = &vars.xsuaa {
        item.push(exchange(ExchangeSpec {
            name: "XSUAA: exchange IAS token",
            service: "XSUAA",
            prefix: "xsuaa",
            svc: xsuaa,
            assertion: "ias_id_token",
            tokens: &["access_token", "refresh_token"],
            required: "access_token",
            what: "Exchanges the IAS ID token for a BTP access token (RFC 7523 jwt-bearer grant at XSUAA; `X-zid` names the subaccount's zone).",
        }, false));
    }
    if let Some(api) = &vars.api {
        item.push(Item {
            name: "API: call".into(),
            event: events(vec![], scripts::expect_ok("The API")),
            request: Request {
                auth: NO_AUTH,
                method: api.method,
                header: vec![
                    pair(api.header, &format!("Bearer {{{{{}}}}}", api.token_key)),
                    pair("Accept", "application/json"),
                ],
                body: None,
                url: var_url("api_url"),
                description: format!("Calls the API with `{}: Bearer {{{{{}}}}}`.", api.header, api.token_key),
            },
            response: vec![],
        });
    }
    Collection {
        info: Info {
            id,
            name: format!("TokenHop · {}", vars.profile_name),
            description: description(vars),
            schema: POSTMAN_SCHEMA,
        },
        item,
    }
}

fn description(vars: &Vars) -> String {
    format!(
        "The Entra ID → SAP IAS → XSUAA → API chain of the TokenHop profile \"{}\", exported {}.\n\n\
         Select the environment exported with it, then send the requests in order (or run the collection): each \
         request's test script stores the tokens it got in the environment for the next one. The environment already \
         holds the tokens of the TokenHop run; to start from scratch, use \"Entra: sign in\" first.\n\n\
         Client secrets are only in the environment if you chose to export them; otherwise fill in `ias_client_secret` \
         and `xsuaa_client_secret` and enable them.{}",
        vars.profile_name,
        vars.exported_at_human,
        certificate_note(vars)
    )
}

/// Postman sends a client certificate only if one is configured for the host (Settings → Certificates → Add
/// Certificate: host and port, CRT and KEY files); the collection cannot carry it.
fn certificate_note(vars: &Vars) -> String {
    let hosts: Vec<String> = [vars.ias.as_ref(), vars.xsuaa.as_ref()]
        .into_iter()
        .flatten()
        .filter(|s| s.request.client_certificate)
        .map(|s| {
            url::Url::parse(&s.token_url)
                .ok()
                .and_then(|u| u.host_str().map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(443))))
                .unwrap_or_else(|| s.token_url.clone())
        })
        .collect();
    if hosts.is_empty() {
        return String::new();
    }
    format!(
        "\n\nCertificate clients (mutual TLS): Postman keeps client certificates per host, not in collections. Add the \
         certificate and key files under Settings → Certificates → Add Certificate for {}. TokenHop keeps the key in the \
         keychain and never exports it.",
        hosts.join(" and ")
    )
}

fn entra_sign_in(vars: &Vars) -> Item {
    let s = |key, value: &str| AuthAttribute { key, value: value.into(), kind: "string" };
    let mut oauth2 = vec![
        s("grant_type", "authorization_code_with_pkce"),
        s("authUrl", "{{entra_auth_url}}"),
        s("accessTokenUrl", "{{entra_token_url}}"),
        s("clientId", "{{entra_client_id}}"),
        s("scope", "{{entra_scopes}}"),
        s("redirect_uri", "{{entra_redirect_uri}}"),
        s("challengeAlgorithm", "S256"),
        s("client_authentication", "body"),
        s("addTokenTo", "header"),
        s("tokenName", "Entra ID (TokenHop)"),
        AuthAttribute { key: "useBrowser", value: false.into(), kind: "boolean" },
    ];
    // Postman's OAuth 2.0 helper sends a client secret; it cannot sign client assertions.
    if vars.entra.confidential && !vars.entra.client_assertion {
        oauth2.insert(4, s("clientSecret", "{{entra_client_secret}}"));
    }
    Item {
        name: "Entra: sign in".into(),
        event: events(vec![], scripts::check_discovery()),
        request: Request {
            auth: Auth { kind: "oauth2", oauth2: Some(oauth2) },
            method: "GET",
            header: vec![],
            body: None,
            url: Url {
                raw: "{{entra_authority}}/{{entra_tenant}}/v2.0/.well-known/openid-configuration".into(),
                host: vec!["{{entra_authority}}".into()],
                path: ["{{entra_tenant}}", "v2.0", ".well-known", "openid-configuration"].map(String::from).to_vec(),
            },
            description: "Signs in to Entra ID with Postman's OAuth 2.0 helper (authorization code with PKCE, \
                          redirect `http://localhost`, which the Entra app must list under \"Mobile and desktop \
                          applications\"). In the Authorization tab choose **Get New Access Token**, sign in, then copy \
                          the `id_token` Postman shows into the environment variable `entra_id_token`: that is what \
                          IAS exchanges. The request itself only fetches Entra's OpenID configuration."
                .into(),
        },
        response: vec![],
    }
}

struct ExchangeSpec<'a> {
    name: &'static str,
    service: &'static str,
    prefix: &'static str,
    svc: &'a ServiceVars,
    assertion: &'static str,
    tokens: &'static [&'static str],
    required: &'static str,
    what: &'static str,
}

/// One exchange: the request of [`crate::token_request`] with Postman variables in place of its inputs.
fn exchange(spec: ExchangeSpec<'_>, set_zid: bool) -> Item {
    let p = spec.prefix;
    let request = &spec.svc.request;
    let variable = |input: Input| match input {
        Input::ClientId => format!("{{{{{p}_client_id}}}}"),
        Input::ClientSecret => format!("{{{{{p}_client_secret}}}}"),
        Input::ClientAssertion => format!("{{{{{p}_client_assertion}}}}"),
        Input::Assertion => format!("{{{{{}}}}}", spec.assertion),
        Input::RefreshToken => format!("{{{{{p}_refresh_token}}}}"),
        Input::Zid => "{{xsuaa_zid}}".to_owned(),
    };
    let value = |v: &Value| match v {
        Value::Text(text) => text.clone(),
        Value::Input(input) => variable(*input),
    };
    let mut header = vec![pair("Accept", "application/json")];
    let mut prerequest = Vec::new();
    for (name, v) in &request.headers {
        header.push(pair(name, &value(v)));
        if *v == Value::Input(Input::Zid) {
            prerequest.extend(scripts::drop_empty_zid());
        }
    }
    let body = request.form.iter().map(|(name, v)| pair(name, &value(v))).collect();
    let (auth, auth_note) = match request.basic {
        true => {
            prerequest.extend(scripts::basic_auth(p));
            let why = if request.announces_encoded_credentials() {
                "announced with `X-CF-ENCODED-CREDENTIALS: true`: XSUAA compares Basic credentials as sent unless that \
                 header is present"
            } else {
                "as IAS asks"
            };
            (NO_AUTH, format!(
                "Client authentication: HTTP Basic from `{{{{{p}_client_id}}}}` and `{{{{{p}_client_secret}}}}`, URL-encoded \
                 before base64 by the pre-request script, {why}; Postman's Basic Auth helper does not encode them."
            ))
        }
        false if request.client_assertion => (
            NO_AUTH,
            format!(
                "Client authentication: a client assertion (private_key_jwt) in `{{{{{p}_client_assertion}}}}`: a JWT signed \
                 with the client's key for this token URL, which is used once. Sign a fresh one before each request; \
                 TokenHop keeps the key in the keychain and never exports it."
            ),
        ),
        false => (
            NO_AUTH,
            "Client authentication: `client_id` and `client_secret` in the form body (client_secret_post).".to_owned(),
        ),
    };
    Item {
        name: spec.name.into(),
        event: events(prerequest, scripts::store_tokens(spec.service, p, spec.required, spec.tokens, set_zid)),
        request: Request {
            auth,
            method: "POST",
            header,
            body: Some(Body { mode: "urlencoded", urlencoded: body }),
            url: var_url(&format!("{p}_token_url")),
            description: format!("{}\n\n{auth_note}", spec.what),
        },
        response: vec![],
    }
}
