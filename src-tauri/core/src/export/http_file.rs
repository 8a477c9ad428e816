//! The `.http` export for the VS Code REST Client and the JetBrains HTTP Client: file variables
//! (`@name = value`) at the top, then one request per hop, chained with request variables
//! (`# @name ias` and `{{ias.response.body.$.id_token}}`), so sending them in order replays the chain
//! from the run's Entra ID token.
//!
//! Client secrets are written only if the user opted in; otherwise they are read from the process
//! environment (`{{$processEnv TOKENHOP_IAS_CLIENT_SECRET}}`, a REST Client feature). Each exchange is the
//! request `crate::token_request` builds for the chain. With an opted-in secret, Basic client authentication is
//! precomputed exactly as the chain encodes it; from the environment the client's own `Basic id:secret` is used,
//! which equals the chain's unencoded Basic and, for URL-encoded Basic, is right unless the secret holds `+` or `%`
//! (the file says so).

use std::fmt::Write as _;

use crate::token_request::{basic_header, Input, Value};

use super::vars::{form_encode, ServiceVars, Vars};
use super::ExportFile;

pub(super) fn render(vars: &Vars) -> ExportFile {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "# TokenHop: the chain of profile \"{}\", exported {}.",
        vars.profile_name.replace(['\n', '\r'], " "),
        vars.exported_at_human
    );
    let _ = writeln!(
        w,
        "# VS Code REST Client / JetBrains HTTP Client. Send the requests in order: each uses the previous answer."
    );
    let _ = writeln!(w, "# It holds live tokens: keep it private.\n");

    let _ = writeln!(w, "@entra_id_token = {}", value(vars.token("entra_id_token").map(|t| t.value()).unwrap_or("")));
    let mut notes = Vec::new();
    for (name, svc) in services(vars) {
        let _ = writeln!(w, "@{name}_token_url = {}", value(&svc.token_url));
        let _ = writeln!(w, "@{name}_client_id = {}", value(&svc.client_id));
        if svc.request.client_certificate {
            let _ = writeln!(
                w,
                "# {name} authenticates the client by certificate (mutual TLS), with no secret. Neither client sends a"
            );
            let _ = writeln!(w, "# certificate by itself: in VS Code REST Client, set \"rest-client.certificates\" for this host (cert and key");
            let _ = writeln!(w, "# file paths); in JetBrains, the environment's \"SSLConfiguration\" → \"clientCertificate\". TokenHop keeps the key");
            let _ = writeln!(w, "# in the keychain and never writes it.");
            continue;
        }
        if svc.request.client_assertion {
            let env = format!("TOKENHOP_{}_CLIENT_ASSERTION", name.to_uppercase());
            let _ = writeln!(w, "@{name}_client_assertion = {{{{$processEnv {env}}}}}");
            let _ = writeln!(
                w,
                "# {name} authenticates the client with a client assertion (private-key-jwt): a JWT signed with the"
            );
            let _ = writeln!(
                w,
                "# client's key for this token URL, used once. Sign a fresh one for each request and put it in ${env}"
            );
            let _ = writeln!(w, "# (JetBrains: http-client.private.env.json). TokenHop keeps the key in the keychain and never writes it.");
            continue;
        }
        match (&svc.client_secret, svc.request.basic) {
            (Some(secret), true) => {
                let header = basic_header(&svc.client_id, secret.expose_secret());
                let announced = if svc.request.announces_encoded_credentials() {
                    ", as X-CF-ENCODED-CREDENTIALS announces"
                } else {
                    ""
                };
                let _ =
                    writeln!(w, "# Basic client authentication, id and secret URL-encoded before base64{announced}.");
                let _ = writeln!(w, "@{name}_authorization = {header}");
            }
            (Some(secret), false) => {
                let _ = writeln!(w, "@{name}_client_secret = {}", form_encode(secret.expose_secret()));
            }
            (None, basic) => {
                let env = format!("TOKENHOP_{}_CLIENT_SECRET", name.to_uppercase());
                let _ = writeln!(w, "@{name}_client_secret = {{{{$processEnv {env}}}}}");
                notes.push((name, env, basic));
            }
        }
    }
    if vars.xsuaa.is_some() {
        if let Some(zid) = &vars.xsuaa_zid {
            let _ = writeln!(w, "@xsuaa_zid = {}", value(zid));
        }
    }
    if let Some(api) = &vars.api {
        let _ = writeln!(w, "@api_url = {}", value(&api.url));
    }
    for (name, env, basic) in notes {
        let _ = writeln!(w, "# {name}_client_secret comes from ${env} (REST Client); in JetBrains, put it in http-client.private.env.json.");
        if basic {
            let _ = writeln!(w, "# Basic auth here must be URL-encoded: if the id or secret holds + or %, give their URL-encoded values.");
        } else {
            let _ = writeln!(w, "# It goes into the form body as is: if it holds characters other than letters, digits and -._*, give its form-encoded value.");
        }
    }

    let mut previous = "entra_id_token".to_owned();
    if let Some(ias) = &vars.ias {
        request(w, "IAS: exchange the Entra ID token", "ias", ias, &previous, false);
        previous = "ias.response.body.$.id_token".to_owned();
    }
    if let Some(xsuaa) = &vars.xsuaa {
        request(w, "XSUAA: exchange the IAS ID token", "xsuaa", xsuaa, &previous, vars.xsuaa_zid.is_some());
    }
    if let Some(api) = &vars.api {
        let token = match api.token_key {
            "xsuaa_access_token" => "xsuaa.response.body.$.access_token",
            "ias_id_token" => "ias.response.body.$.id_token",
            _ => "entra_id_token",
        };
        let _ = writeln!(w, "\n### API: call it with the token");
        let _ = writeln!(w, "# @name api");
        let _ = writeln!(w, "{} {{{{api_url}}}}", api.method);
        let _ = writeln!(w, "Accept: application/json");
        let _ = writeln!(w, "{}: Bearer {{{{{token}}}}}", api.header);
    }
    ExportFile { file_name: format!("{}.http", vars.file_stem), contents: s, contains_tokens: vars.has_live_values() }
}

/// A value for a file variable line (`@name = value`): control characters and the braces of `{{…}}`
/// (which both clients would expand, `{{$processEnv …}}` included) are percent-encoded, so a value can neither
/// start a line of its own nor pull in the environment. The variables are URLs, client IDs, tokens and GUIDs,
/// used in URLs and form bodies, where `%XX` reads back as the character.
pub(super) fn value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_control() || matches!(c, '{' | '}' | '\u{2028}' | '\u{2029}') {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf).bytes().for_each(|b| out.push_str(&format!("%{b:02X}")));
        } else {
            out.push(c);
        }
    }
    out
}

fn services(vars: &Vars) -> impl Iterator<Item = (&'static str, &ServiceVars)> {
    [("ias", vars.ias.as_ref()), ("xsuaa", vars.xsuaa.as_ref())].into_iter().filter_map(|(p, s)| s.map(|s| (p, s)))
}

/// One exchange named `name`: the request of [`crate::token_request`] in REST Client syntax, the assertion taken
/// from `assertion`.
fn request(w: &mut String, title: &str, name: &str, svc: &ServiceVars, assertion: &str, zid_known: bool) {
    let _ = writeln!(w, "\n### {title}");
    let _ = writeln!(w, "# @name {name}");
    let _ = writeln!(w, "POST {{{{{name}_token_url}}}}");
    let _ = writeln!(w, "Content-Type: application/x-www-form-urlencoded");
    let _ = writeln!(w, "Accept: application/json");
    let request = &svc.request;
    for (header, value) in &request.headers {
        match value {
            Value::Text(text) => {
                let _ = writeln!(w, "{header}: {text}");
            }
            Value::Input(Input::Zid) if !zid_known => {}
            Value::Input(input) => {
                let _ = writeln!(w, "{header}: {}", variable(name, *input));
            }
        }
    }
    match (request.basic, svc.client_secret.is_some()) {
        (true, true) => {
            let _ = writeln!(w, "Authorization: {{{{{name}_authorization}}}}");
        }
        // REST Client and JetBrains base64-encode `id:secret` as they are.
        (true, false) => {
            let _ = writeln!(w, "Authorization: Basic {{{{{name}_client_id}}}}:{{{{{name}_client_secret}}}}");
        }
        (false, _) => {}
    }
    let body: Vec<String> = request
        .form
        .iter()
        .map(|(field, value)| match value {
            Value::Text(text) => format!("{field}={}", form_encode(text)),
            Value::Input(Input::ClientId) => format!("{field}={}", form_encode(&svc.client_id)),
            Value::Input(Input::Assertion) => format!("{field}={{{{{assertion}}}}}"),
            Value::Input(input) => format!("{field}={}", variable(name, *input)),
        })
        .collect();
    let _ = writeln!(w, "\n{}", body.join("&"));
}

/// The REST Client variable that holds an input of exchange `name`.
fn variable(name: &str, input: Input) -> String {
    match input {
        Input::ClientId => format!("{{{{{name}_client_id}}}}"),
        Input::ClientSecret => format!("{{{{{name}_client_secret}}}}"),
        Input::ClientAssertion => format!("{{{{{name}_client_assertion}}}}"),
        Input::Assertion => format!("{{{{{name}_assertion}}}}"),
        Input::RefreshToken => format!("{{{{{name}_refresh_token}}}}"),
        Input::Zid => "{{xsuaa_zid}}".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn variable_values_cannot_break_the_line_or_expand_variables() {
        assert_eq!(
            value("https://acme.accounts.ondemand.com/oauth2/token"),
            "https://acme.accounts.ondemand.com/oauth2/token"
        );
        assert_eq!(value("sb-x!t1\n### injected\nGET https://evil"), "sb-x!t1%0A### injected%0AGET https://evil");
        assert_eq!(value("{{$processEnv HOME}}"), "%7B%7B$processEnv HOME%7D%7D");
        assert_eq!(value("a\r\u{2028}b"), "a%0D%E2%80%A8b");
    }
}
