//! The curl export: a bash script that replays the chain from the run's Entra ID token, one curl command
//! per hop, variables at the top.
//!
//! Client secrets come from `TOKENHOP_IAS_CLIENT_SECRET` / `TOKENHOP_XSUAA_CLIENT_SECRET` (DESIGN §3)
//! unless the user opted in to writing them. JSON responses are read with `python3` (on every Linux
//! distribution and in Xcode's command-line tools), falling back to `jq` when python3 is missing. Secrets
//! and tokens reach curl through process substitution (`@<(...)`), never on its command line, where
//! other users could read them in `ps`. Each exchange is the request `crate::token_request` builds for the
//! chain, so Basic client authentication is encoded (or not) exactly as the chain sends it. Certificate clients
//! (`client_auth = "x509"`) get `--cert`/`--key` with PEM files the user names in
//! `TOKENHOP_<SERVICE>_CLIENT_CERT_FILE` / `…_KEY_FILE`. Only when the user asks for it
//! ([`super::ExportOptions::client_certificates`]) does the export also write the certificate and key as files
//! beside the script (0600, like every export file), and the script defaults to them and says so.

use std::fmt::Write as _;

use crate::token_request::{Input, Value};

use super::dotenv::quote;
use super::vars::{ServiceVars, Vars};
use super::{ExportCertificate, ExportCertificates, ExportFile};

const HELPERS: &str = r#"have() { command -v "$1" >/dev/null 2>&1; }
have curl || { echo "this script needs curl" >&2; exit 127; }
have python3 || have jq || { echo "this script needs python3 or jq to read JSON" >&2; exit 127; }

# json_field NAME <<<"$JSON": the member NAME of a JSON object, '' if absent.
json_field() {
  if have python3; then
    python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v, end="")' "$1"
  else
    jq -j --arg k "$1" '.[$k] // ""'
  fi
}

# form_encode VALUE: application/x-www-form-urlencoded; the value goes through stdin, not argv.
form_encode() {
  if have python3; then
    printf %s "$1" | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.stdin.read()), end="")'
  else
    printf %s "$1" | jq -sRj @uri
  fi
}

# basic_auth ID SECRET: the header line of RFC 6749 §2.3.1 (form-encode each, join with ':', base64).
basic_auth() {
  printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$(form_encode "$1")" "$(form_encode "$2")" | base64 | tr -d '\n')"
}

# bearer HEADER TOKEN: a header line carrying the token.
bearer() { printf '%s: Bearer %s\n' "$1" "$2"; }

# post_form NAME URL CURL_ARGS...: POSTs a form, prints the JSON answer, stops the script on an error.
post_form() {
  local name=$1 url=$2 response
  shift 2
  echo "$name: POST $url" >&2
  if ! response=$(curl --silent --show-error --fail-with-body "$@" "$url"); then
    echo "$name refused the request: $response" >&2
    exit 1
  fi
  printf '%s' "$response"
}
"#;

/// The script, and on request the certificate and key files of its certificate clients.
pub(super) fn render(vars: &Vars, certificates: Option<&ExportCertificates>) -> Vec<ExportFile> {
    let written = |prefix: &str| -> Option<&ExportCertificate> {
        let svc = if prefix == "IAS" { vars.ias.as_ref() } else { vars.xsuaa.as_ref() };
        let pair = certificates.and_then(|c| if prefix == "IAS" { c.ias.as_ref() } else { c.xsuaa.as_ref() });
        pair.filter(|_| svc.is_some_and(|s| s.request.client_certificate))
    };
    let file_of = |prefix: &str, ext: &str| format!("{}-{}-client.{ext}", vars.file_stem, prefix.to_lowercase());
    let mut files = vec![script(vars, &|p| written(p).is_some(), &file_of)];
    for prefix in ["IAS", "XSUAA"] {
        if let Some(pair) = written(prefix) {
            let contents = format!("{}\n", pair.certificate.trim_end());
            files.push(ExportFile { file_name: file_of(prefix, "crt"), contents, contains_tokens: true });
            let key = format!("{}\n", pair.key.expose_secret().trim_end());
            files.push(ExportFile { file_name: file_of(prefix, "key"), contents: key, contains_tokens: true });
        }
    }
    files
}

fn script(vars: &Vars, written: &dyn Fn(&str) -> bool, file_of: &dyn Fn(&str, &str) -> String) -> ExportFile {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "#!/usr/bin/env bash");
    let _ = writeln!(
        w,
        "# TokenHop: the chain of profile \"{}\" as curl commands, exported {}.",
        one_line(&vars.profile_name),
        vars.exported_at_human
    );
    let _ = writeln!(w, "#");
    let _ =
        writeln!(w, "# Each step is one curl command; the tokens it gets feed the next step. Progress goes to stderr,");
    let _ = writeln!(w, "# the last answer (the API's, or the last token response) to stdout.");
    let _ = writeln!(w, "# Needs bash, curl 7.76+, and python3 (or jq) to read JSON.");
    let env_secrets: Vec<String> = services(vars)
        .filter(|(_, s)| s.client_secret.is_none() && !s.request.client_certificate && !s.request.client_assertion)
        .map(|(p, _)| format!("TOKENHOP_{p}_CLIENT_SECRET"))
        .collect();
    if !env_secrets.is_empty() {
        let _ = writeln!(w, "# Client secrets are read from the environment: {}.", env_secrets.join(", "));
    }
    let cert_files: Vec<String> = services(vars)
        .filter(|(_, s)| s.request.client_certificate)
        .map(|(p, _)| format!("TOKENHOP_{p}_CLIENT_CERT_FILE and TOKENHOP_{p}_CLIENT_KEY_FILE"))
        .collect();
    let on_request: Vec<&str> = services(vars).filter(|(p, _)| written(p)).map(|(p, _)| p).collect();
    if !cert_files.is_empty() && on_request.len() < cert_files.len() {
        let _ = writeln!(
            w,
            "# Certificate clients (mutual TLS): curl reads the PEM certificate and private key from the files named"
        );
        let _ = writeln!(w, "# by {}. TokenHop keeps keys in the keychain and", cert_files.join(", "));
        let _ = writeln!(w, "# never writes them: save them yourself (chmod 600) and delete them afterwards.");
    }
    if !on_request.is_empty() {
        let _ = writeln!(
            w,
            "# Certificate clients (mutual TLS) of {}: at your request TokenHop wrote their certificate and PRIVATE KEY",
            on_request.join(" and ")
        );
        let _ = writeln!(
            w,
            "# beside this script (*-client.crt, *-client.key, readable by you only). Anyone with the key file can"
        );
        let _ = writeln!(
            w,
            "# act as the client: delete both files when you are done. TOKENHOP_<SERVICE>_CLIENT_CERT_FILE / _KEY_FILE"
        );
        let _ = writeln!(w, "# name other files.");
    }
    let _ = writeln!(
        w,
        "# Set ENTRA_ID_TOKEN to start from a fresh Entra ID token. It holds live tokens: keep it private."
    );
    let _ = writeln!(w, "set -euo pipefail\n");

    let _ = writeln!(w, "# --- Variables ---");
    if services(vars).any(|(p, _)| written(p)) {
        let _ = writeln!(w, "SCRIPT_DIR=$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")\" && pwd)");
    }
    match vars.token("entra_id_token").and_then(|t| t.value.as_ref()) {
        Some(t) => {
            let _ = writeln!(w, "ENTRA_ID_TOKEN=${{ENTRA_ID_TOKEN:-{}}}", quote(t.expose()));
        }
        None => {
            let _ = writeln!(
                w,
                "ENTRA_ID_TOKEN=${{ENTRA_ID_TOKEN:?set ENTRA_ID_TOKEN to an Entra ID token: the run produced none}}"
            );
        }
    }
    for (prefix, svc) in services(vars) {
        let _ = writeln!(w, "{prefix}_TOKEN_URL={}", quote(&svc.token_url));
        let _ = writeln!(w, "{prefix}_CLIENT_ID={}", quote(&svc.client_id));
        let env = format!("TOKENHOP_{prefix}_CLIENT_SECRET");
        if svc.request.client_certificate {
            for (var, what, ext) in [("CERT", "PEM client certificate", "crt"), ("KEY", "PEM private key", "key")] {
                let env = format!("TOKENHOP_{prefix}_CLIENT_{var}_FILE");
                if written(prefix) {
                    let beside = quote(&file_of(prefix, ext));
                    let _ = writeln!(w, "{prefix}_CLIENT_{var}_FILE=${{{env}:-\"$SCRIPT_DIR\"/{beside}}}");
                } else {
                    let _ = writeln!(
                        w,
                        "{prefix}_CLIENT_{var}_FILE=${{{env}:?set {env} to the file of the {prefix} {what}}}"
                    );
                }
            }
            continue;
        }
        if svc.request.client_assertion {
            let env = format!("TOKENHOP_{prefix}_CLIENT_ASSERTION");
            let _ = writeln!(
                w,
                "# {prefix} authenticates the client with a client assertion (private-key-jwt): a JWT signed with"
            );
            let _ = writeln!(w, "# the client's key for {prefix}_TOKEN_URL, used once. Sign a fresh one per run; TokenHop never writes the key.");
            let _ = writeln!(
                w,
                "{prefix}_CLIENT_ASSERTION=${{{env}:?set {env} to a client assertion freshly signed for the {prefix} token URL}}"
            );
            continue;
        }
        match &svc.client_secret {
            Some(secret) => {
                let _ = writeln!(w, "{prefix}_CLIENT_SECRET=${{{env}:-{}}}", quote(secret.expose_secret()));
            }
            None => {
                let _ = writeln!(w, "{prefix}_CLIENT_SECRET=${{{env}:?set {env} to the {prefix} client secret}}");
            }
        }
    }
    if vars.xsuaa.is_some() {
        if let Some(zid) = &vars.xsuaa_zid {
            let _ = writeln!(w, "XSUAA_ZID={}", quote(zid));
        }
    }
    if let Some(api) = &vars.api {
        let _ = writeln!(w, "API_URL={}", quote(&api.url));
    }
    let _ = writeln!(w, "\n# --- Helpers ---");
    w.push_str(HELPERS);

    let mut last = "ENTRA_ID_TOKEN";
    if let Some(ias) = &vars.ias {
        let _ = writeln!(w, "\n# --- IAS: exchange the Entra ID token (RFC 7523 jwt-bearer) ---");
        step(w, "IAS", ias, "ENTRA_ID_TOKEN", false, &["id_token", "access_token", "refresh_token"]);
        last = "IAS_RESPONSE";
    }
    if let Some(xsuaa) = &vars.xsuaa {
        let _ = writeln!(w, "\n# --- XSUAA: exchange the IAS ID token ---");
        step(w, "XSUAA", xsuaa, "IAS_ID_TOKEN", vars.xsuaa_zid.is_some(), &["access_token", "refresh_token"]);
        last = "XSUAA_RESPONSE";
    }
    match &vars.api {
        Some(api) => {
            let token = api.token_key.to_uppercase();
            let _ = writeln!(w, "\n# --- API: call it with the token ---");
            let _ = writeln!(w, "echo \"API: {} $API_URL\" >&2", api.method);
            let _ = writeln!(
                w,
                "curl --silent --show-error --fail-with-body --request {} \\\n  --header 'Accept: application/json' \\\n  --header @<(bearer {} \"${token}\") \\\n  \"$API_URL\"",
                api.method, api.header
            );
            let _ = writeln!(w, "echo >&2");
        }
        None => {
            let _ = writeln!(w, "\nprintf '%s\\n' \"${last}\"");
        }
    }
    ExportFile { file_name: format!("{}.sh", vars.file_stem), contents: s, contains_tokens: vars.has_live_values() }
}

/// IAS and XSUAA with their variable prefixes, in chain order.
fn services(vars: &Vars) -> impl Iterator<Item = (&'static str, &ServiceVars)> {
    [("IAS", vars.ias.as_ref()), ("XSUAA", vars.xsuaa.as_ref())].into_iter().filter_map(|(p, s)| s.map(|s| (p, s)))
}

/// One exchange: the request of [`crate::token_request`] as curl arguments. Secrets and tokens reach curl through
/// process substitution, other values inline.
fn step(w: &mut String, prefix: &str, svc: &ServiceVars, assertion: &str, zid_known: bool, tokens: &[&str]) {
    let var = |input: Input| match input {
        Input::ClientId => format!("{prefix}_CLIENT_ID"),
        Input::ClientSecret => format!("{prefix}_CLIENT_SECRET"),
        Input::ClientAssertion => format!("{prefix}_CLIENT_ASSERTION"),
        Input::Assertion => assertion.to_owned(),
        Input::RefreshToken => format!("{prefix}_REFRESH_TOKEN"),
        Input::Zid => "XSUAA_ZID".to_owned(),
    };
    let request = &svc.request;
    let mut args: Vec<String> = Vec::new();
    for (name, value) in &request.headers {
        match value {
            Value::Text(text) => args.push(format!("--header {}", quote(&format!("{name}: {text}")))),
            Value::Input(Input::Zid) if !zid_known => {}
            Value::Input(input) => args.push(format!("--header \"{name}: ${}\"", var(*input))),
        }
    }
    if request.client_certificate {
        args.push(format!("--cert \"${prefix}_CLIENT_CERT_FILE\" --key \"${prefix}_CLIENT_KEY_FILE\""));
    }
    if request.basic {
        args.push(format!("--header @<(basic_auth \"${prefix}_CLIENT_ID\" \"${prefix}_CLIENT_SECRET\")"));
    }
    for (name, value) in &request.form {
        match value {
            Value::Text(text) => args.push(format!("--data-urlencode {}", quote(&format!("{name}={text}")))),
            Value::Input(
                input @ (Input::ClientSecret | Input::ClientAssertion | Input::Assertion | Input::RefreshToken),
            ) => {
                args.push(format!("--data-urlencode {name}@<(printf %s \"${}\")", var(*input)));
            }
            Value::Input(input) => args.push(format!("--data-urlencode \"{name}=${}\"", var(*input))),
        }
    }
    let _ =
        writeln!(w, "{prefix}_RESPONSE=$(post_form {prefix} \"${prefix}_TOKEN_URL\" \\\n  {})", args.join(" \\\n  "));
    for t in tokens {
        let _ = writeln!(w, "{prefix}_{}=$(json_field {t} <<<\"${prefix}_RESPONSE\")", t.to_uppercase());
    }
    let first = tokens[0].to_uppercase();
    let _ = writeln!(w, "echo \"{prefix}: got {} (${{#{prefix}_{first}}} chars)\" >&2", tokens[0]);
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
