//! The `.http` export for the VS Code REST Client and the JetBrains HTTP Client: file variables
//! (`@name = value`) at the top, then one request per hop, chained with request variables
//! (`# @name ias` and `{{ias.response.body.$.id_token}}`), so sending them in order replays the chain
//! from the run's Entra ID token.
//!
//! Client secrets are written only if the user opted in; otherwise they are read from the process
//! environment (`{{$processEnv TOKENHOP_IAS_CLIENT_SECRET}}`, a REST Client feature). With an opted-in
//! secret, Basic client authentication is precomputed exactly as RFC 6749 §2.3.1 wants; from the
//! environment the client's own `Basic id:secret` encoding is used, which is only right when the secret
//! has no characters that form encoding would change (the file says so).

use std::fmt::Write as _;

use base64::Engine as _;

use crate::profile::ClientAuth;

use super::vars::{form_encode, ServiceVars, Vars, JWT_BEARER};
use super::ExportFile;

pub(super) fn render(vars: &Vars) -> ExportFile {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "# TokenHop: the chain of profile \"{}\", exported {}.", vars.profile_name.replace(['\n', '\r'], " "), vars.exported_at_human);
    let _ = writeln!(w, "# VS Code REST Client / JetBrains HTTP Client. Send the requests in order: each uses the previous answer.");
    let _ = writeln!(w, "# It holds live tokens: keep it private.\n");

    let _ = writeln!(w, "@entra_id_token = {}", value(vars.token("entra_id_token").map(|t| t.value()).unwrap_or("")));
    let mut notes = Vec::new();
    for (name, svc) in services(vars) {
        let _ = writeln!(w, "@{name}_token_url = {}", value(&svc.token_url));
        let _ = writeln!(w, "@{name}_client_id = {}", value(&svc.client_id));
        match (&svc.client_secret, svc.client_auth) {
            (Some(secret), ClientAuth::Basic) => {
                let raw = format!("{}:{}", form_encode(&svc.client_id), form_encode(secret.expose_secret()));
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
                let _ = writeln!(w, "# Basic client authentication, id and secret form-encoded before base64 (RFC 6749 §2.3.1).");
                let _ = writeln!(w, "@{name}_authorization = Basic {b64}");
            }
            (Some(secret), ClientAuth::Post) => {
                let _ = writeln!(w, "@{name}_client_secret = {}", form_encode(secret.expose_secret()));
            }
            (None, auth) => {
                let env = format!("TOKENHOP_{}_CLIENT_SECRET", name.to_uppercase());
                let _ = writeln!(w, "@{name}_client_secret = {{{{$processEnv {env}}}}}");
                notes.push((name, env, auth));
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
    for (name, env, auth) in notes {
        let _ = writeln!(w, "# {name}_client_secret comes from ${env} (REST Client); in JetBrains, put it in http-client.private.env.json.");
        if auth == ClientAuth::Basic {
            let _ = writeln!(w, "# Basic auth sends it unencoded: if it holds characters other than letters, digits and -._*, give its form-encoded value.");
        }
    }

    let mut previous = "entra_id_token".to_owned();
    if let Some(ias) = &vars.ias {
        request(w, "IAS: exchange the Entra ID token", "ias", ias, &previous, &[]);
        previous = "ias.response.body.$.id_token".to_owned();
    }
    if let Some(xsuaa) = &vars.xsuaa {
        let zid: Vec<String> = vars.xsuaa_zid.iter().map(|_| "X-zid: {{xsuaa_zid}}".to_owned()).collect();
        request(w, "XSUAA: exchange the IAS ID token", "xsuaa", xsuaa, &previous, &zid);
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

/// One jwt-bearer request (RFC 7523 §2.1) named `name`, with the assertion taken from `assertion`.
fn request(w: &mut String, title: &str, name: &str, svc: &ServiceVars, assertion: &str, headers: &[String]) {
    let _ = writeln!(w, "\n### {title}");
    let _ = writeln!(w, "# @name {name}");
    let _ = writeln!(w, "POST {{{{{name}_token_url}}}}");
    let _ = writeln!(w, "Content-Type: application/x-www-form-urlencoded");
    let _ = writeln!(w, "Accept: application/json");
    let mut body = vec![format!("grant_type={}", form_encode(JWT_BEARER)), format!("assertion={{{{{assertion}}}}}")];
    match (svc.client_auth, svc.client_secret.is_some()) {
        (ClientAuth::Basic, true) => {
            let _ = writeln!(w, "Authorization: {{{{{name}_authorization}}}}");
        }
        (ClientAuth::Basic, false) => {
            let _ = writeln!(w, "Authorization: Basic {{{{{name}_client_id}}}}:{{{{{name}_client_secret}}}}");
        }
        (ClientAuth::Post, _) => {
            body.push(format!("client_id={}", form_encode(&svc.client_id)));
            body.push(format!("client_secret={{{{{name}_client_secret}}}}"));
        }
    }
    for h in headers {
        let _ = writeln!(w, "{h}");
    }
    body.extend(svc.extra.iter().map(|(k, v)| format!("{k}={}", form_encode(v))));
    let _ = writeln!(w, "\n{}", body.join("&"));
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn variable_values_cannot_break_the_line_or_expand_variables() {
        assert_eq!(value("https://acme.accounts.ondemand.com/oauth2/token"), "https://acme.accounts.ondemand.com/oauth2/token");
        assert_eq!(value("sb-x!t1\n### injected\nGET https://evil"), "sb-x!t1%0A### injected%0AGET https://evil");
        assert_eq!(value("{{$processEnv HOME}}"), "%7B%7B$processEnv HOME%7D%7D");
        assert_eq!(value("a\r\u{2028}b"), "a%0D%E2%80%A8b");
    }
}
