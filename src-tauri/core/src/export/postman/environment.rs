//! The Postman environment file: `{id, name, values[{key, value, type, enabled}], _postman_variable_scope,
//! _postman_exported_at, _postman_exported_using}`, as Postman exports it.
//!
//! Tokens and opted-in client secrets are typed `secret` (Postman masks them). A client secret the user
//! did not opt in to is still listed, empty and disabled, so the collection's `{{ias_client_secret}}`
//! has a visible place to be filled in; disabled variables carry both `"enabled": false` (Postman) and
//! `"disabled": true` (newman, which ignores `enabled`).

use serde::Serialize;
use uuid::Uuid;

use crate::export::vars::{Vars, EXPORTED_USING};
use crate::secrets::Secret;

#[derive(Serialize)]
pub(super) struct Environment {
    id: Uuid,
    name: String,
    values: Vec<Value>,
    #[serde(rename = "_postman_variable_scope")]
    scope: &'static str,
    #[serde(rename = "_postman_exported_at")]
    exported_at: String,
    #[serde(rename = "_postman_exported_using")]
    exported_using: &'static str,
}

#[derive(Serialize)]
struct Value {
    key: String,
    value: String,
    #[serde(rename = "type")]
    kind: &'static str,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
}

impl Value {
    fn plain(key: &str, value: &str) -> Self {
        Self { key: key.to_owned(), value: value.to_owned(), kind: "default", enabled: true, disabled: None }
    }

    fn secret(key: &str, value: &str) -> Self {
        Self { key: key.to_owned(), value: value.to_owned(), kind: "secret", enabled: true, disabled: None }
    }

    /// A client secret: its value on opt-in, else an empty, disabled placeholder.
    fn client_secret(key: &str, secret: Option<&Secret>) -> Self {
        match secret {
            Some(s) => Self::secret(key, s.expose_secret()),
            None => {
                Self { key: key.to_owned(), value: String::new(), kind: "secret", enabled: false, disabled: Some(true) }
            }
        }
    }
}

pub(super) fn build(vars: &Vars, id: Uuid) -> Environment {
    let e = &vars.entra;
    let mut values = vec![
        Value::plain("entra_authority", &e.authority),
        Value::plain("entra_tenant", &e.tenant),
        Value::plain("entra_client_id", &e.client_id),
        Value::plain("entra_auth_url", &e.auth_url),
        Value::plain("entra_token_url", &e.token_url),
        Value::plain("entra_scopes", &e.scopes),
        Value::plain("entra_redirect_uri", &e.redirect_uri),
    ];
    if e.confidential && !e.client_assertion {
        values.push(Value::client_secret("entra_client_secret", e.client_secret.as_ref()));
    }
    for (prefix, svc) in [("ias", &vars.ias), ("xsuaa", &vars.xsuaa)] {
        let Some(svc) = svc else { continue };
        values.push(Value::plain(&format!("{prefix}_url"), &svc.url));
        values.push(Value::plain(&format!("{prefix}_token_url"), &svc.token_url));
        values.push(Value::plain(&format!("{prefix}_client_id"), &svc.client_id));
        if svc.request.client_assertion {
            // Signed fresh for each request: an empty, disabled placeholder (see the request's description).
            values.push(Value::client_secret(&format!("{prefix}_client_assertion"), None));
        } else {
            values.push(Value::client_secret(&format!("{prefix}_client_secret"), svc.client_secret.as_ref()));
        }
    }
    if vars.xsuaa.is_some() {
        values.push(Value::plain("xsuaa_zid", vars.xsuaa_zid.as_deref().unwrap_or("")));
    }
    if let Some(api) = &vars.api {
        values.push(Value::plain("api_url", &api.url));
        values.push(Value::plain("api_header", api.header));
    }
    values.extend(vars.tokens.iter().map(|t| Value::secret(&t.key, t.value())));
    values.extend(
        vars.tokens
            .iter()
            .filter_map(|t| t.expires_at.as_ref().map(|at| Value::plain(&format!("{}_expires_at", t.key), at))),
    );
    Environment {
        id,
        name: format!("{} · TokenHop {}", vars.profile_name, vars.exported_at_human),
        values,
        scope: "environment",
        exported_at: vars.exported_at.clone(),
        exported_using: EXPORTED_USING,
    }
}
