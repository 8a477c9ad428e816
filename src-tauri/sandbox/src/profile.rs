//! The TokenHop profile (DESIGN §3) that points at a running sandbox. No secret ever appears in it:
//! the app and CLI get the demo client secrets from the sandbox itself or from the environment.

use crate::config::SandboxConfig;
use crate::state::SandboxUrls;

/// A TOML basic string (quotes and backslashes escaped, control characters as `\uXXXX`).
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The profile of a sandbox. With `ca_file` (a sandbox serving certificate bindings, and where its CA was written),
/// IAS and XSUAA authenticate with client certificates (`client_auth = "x509"`, XSUAA at its certificate host).
pub(crate) fn profile_toml(config: &SandboxConfig, urls: &SandboxUrls, name: &str, ca_file: Option<&str>) -> String {
    let x509 = ca_file.zip(urls.xsuaa_cert.as_deref());
    let ca_line = x509.map(|(ca, _)| format!("ca_file = {}\n", quoted(ca))).unwrap_or_default();
    let ias_auth = if x509.is_some() { "x509" } else { "post" };
    let xsuaa_auth = x509
        .map(|(_, cert_url)| format!("client_auth = \"x509\"\ncert_url = {}\n", quoted(cert_url)))
        .unwrap_or_default();
    let redirect_host = if config.entra_redirect_uris.iter().any(|u| u.starts_with("http://localhost")) {
        "localhost"
    } else {
        "127.0.0.1"
    };
    format!(
        "name = {name}\n{ca_line}\n\
         [entra]\nauthority = {authority}\ntenant = {tenant}\nclient_id = {entra_client}\nflow = \"authorization-code\"\n\
         scopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]\nredirect_host = {redirect_host}\n\
         redirect_port = 0\nconfidential = {confidential}\n\n\
         [ias]\nurl = {ias}\nclient_id = {ias_client}\nclient_auth = \"{ias_auth}\"\ntoken_format = \"jwt\"\n\n\
         [xsuaa]\nurl = {xsuaa}\nclient_id = {xsuaa_client}\n{xsuaa_auth}\n\
         [api]\nurl = {api}\nheader = \"authorization\"\n",
        name = quoted(name),
        authority = quoted(&urls.authority),
        tenant = quoted(&config.tenant_id),
        entra_client = quoted(&config.entra_client_id),
        redirect_host = quoted(redirect_host),
        confidential = config.entra_confidential,
        ias = quoted(&urls.ias),
        ias_client = quoted(&config.ias_client_id),
        xsuaa = quoted(&urls.xsuaa),
        xsuaa_client = quoted(&config.xsuaa_client_id),
        api = quoted(&urls.api),
    )
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(quoted(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
