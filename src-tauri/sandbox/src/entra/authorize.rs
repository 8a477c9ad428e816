//! The authorize endpoint (RFC 6749 §4.1.1, PKCE RFC 7636 §4.3): a sign-in page on GET, and on POST
//! of that page a consent-free redirect to the loopback redirect URI with `code` and `state`.
//!
//! Errors that make the redirect URI untrustworthy (unknown tenant or client, unregistered redirect URI)
//! are shown as a page; the others go back to the redirect URI as `error`/`error_description`
//! (RFC 6749 §4.1.2.1), as Entra does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use super::check_tenant;
use super::errors::EntraError;
use crate::faults::Fault;
use crate::html;
use crate::state::{parse_form, random_token, AuthCode, EntraGrant, Form, Shared};

/// Parameters of the authorize request that survived the checks that need no redirect.
struct Checked {
    redirect_uri: String,
    state: Option<String>,
}

/// True if `uri` matches a registered redirect URI. Loopback registrations (`http://localhost`,
/// `http://127.0.0.1`) match on any port, as Entra does for desktop apps; others match exactly.
pub(crate) fn redirect_registered(registered: &[String], uri: &str) -> bool {
    let Ok(sent) = Url::parse(uri) else { return false };
    registered.iter().any(|r| {
        let Ok(reg) = Url::parse(r) else { return false };
        let loopback = matches!(reg.host_str(), Some("localhost") | Some("127.0.0.1"));
        if reg.scheme() == "http" && loopback {
            sent.scheme() == "http"
                && sent.host_str() == reg.host_str()
                && sent.path() == reg.path()
                && sent.query().is_none()
                && sent.fragment().is_none()
        } else {
            sent == reg
        }
    })
}

/// The checks that decide whether the redirect URI can be trusted with an answer.
fn check_client(shared: &Shared, tenant: &str, params: &Form) -> Result<Checked, EntraError> {
    let config = &shared.config;
    check_tenant(shared, tenant)?;
    let client_id = params.get("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    if client_id != &config.entra_client_id {
        return Err(EntraError::unknown_client(client_id, &config.tenant_domain));
    }
    let redirect_uri = params.get("redirect_uri").ok_or_else(|| EntraError::missing_parameter("redirect_uri"))?;
    if !redirect_registered(&config.entra_redirect_uris, redirect_uri) {
        return Err(EntraError::redirect_mismatch(redirect_uri, client_id));
    }
    Ok(Checked { redirect_uri: redirect_uri.clone(), state: params.get("state").cloned() })
}

/// The checks whose failures are reported to the redirect URI.
fn check_request(params: &Form) -> Result<(), EntraError> {
    match params.get("response_type").map(String::as_str) {
        None => return Err(EntraError::missing_parameter("response_type")),
        Some("code") => {}
        Some(other) => {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_response_type",
                700054,
                format!("response_type '{other}' is not enabled for the application."),
            ))
        }
    }
    if params.get("scope").is_none_or(|s| s.trim().is_empty()) {
        return Err(EntraError::missing_parameter("scope"));
    }
    if let Some(method) = params.get("code_challenge_method") {
        if method != "S256" && method != "plain" {
            return Err(EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50040,
                format!(
                    "The code_challenge_method '{method}' is not supported. Supported values are 'plain' and 'S256'."
                ),
            ));
        }
    }
    if params.get("prompt").map(String::as_str) == Some("none") {
        return Err(EntraError::login_required());
    }
    Ok(())
}

/// A 302 to the redirect URI with these query parameters added.
fn redirect(shared: &Shared, checked: &Checked, pairs: &[(&str, String)]) -> Response {
    let mut target = Url::parse(&checked.redirect_uri).expect("checked redirect URI parses");
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = &checked.state {
            let state =
                if shared.faults.is_set(&Fault::WrongState) { format!("{state}-tampered") } else { state.clone() };
            query.append_pair("state", &state);
        }
        if shared.config.entra_iss_parameter {
            query.append_pair("iss", &shared.urls.entra);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string()), (header::CACHE_CONTROL, "no-store".into())])
        .into_response()
}

fn redirect_error(shared: &Shared, checked: &Checked, error: &EntraError) -> Response {
    let description = format!("{}\r\nTrace ID: {}", error.description(), uuid::Uuid::new_v4());
    redirect(shared, checked, &[("error", error.error.to_string()), ("error_description", description)])
}

fn sign_in_page(shared: &Shared, tenant: &str, params: &Form, error: Option<&str>) -> Response {
    let hidden: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "username" && k.as_str() != "login")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let action = format!("/{tenant}/oauth2/v2.0/authorize");
    let hint = params.get("login_hint").map(String::as_str).unwrap_or("");
    let auto = if error.is_none() { shared.config.auto_sign_in.as_deref() } else { None };
    Html(html::sign_in(&action, &hidden, &shared.config.users, hint, error, auto)).into_response()
}

/// GET: check the request, then show the sign-in page.
pub(super) async fn page(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse_form(query.unwrap_or_default().as_bytes());
    shared.issued().authorize = Some(params.clone());
    let checked = match check_client(&shared, &tenant, &params) {
        Ok(checked) => checked,
        Err(e) => return e.page(),
    };
    if let Err(e) = check_request(&params) {
        return redirect_error(&shared, &checked, &e);
    }
    sign_in_page(&shared, &tenant, &params, None)
}

/// POST of the sign-in page: sign the chosen user in and redirect with a fresh code.
pub(super) async fn submit(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let params = parse_form(&body);
    let checked = match check_client(&shared, &tenant, &params) {
        Ok(checked) => checked,
        Err(e) => return e.page(),
    };
    if let Err(e) = check_request(&params) {
        return redirect_error(&shared, &checked, &e);
    }
    let config = &shared.config;
    let typed = params.get("username").filter(|u| !u.trim().is_empty()).or_else(|| params.get("login"));
    let Some(username) = typed.map(|u| u.trim()).filter(|u| !u.is_empty()) else {
        return sign_in_page(
            &shared,
            &tenant,
            &params,
            Some("Enter a valid email address, phone number, or Skype name."),
        );
    };
    let Some(index) = config.users.iter().position(|u| u.username.eq_ignore_ascii_case(username)) else {
        let text = "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.";
        return sign_in_page(&shared, &tenant, &params, Some(text));
    };
    let user = &config.users[index];
    if config.entra_assignment_required && !user.assigned {
        let error = EntraError::not_assigned(&config.entra_app_name, &config.entra_client_id, &user.username);
        return redirect_error(&shared, &checked, &EntraError { error: "access_denied", ..error });
    }
    let code = format!("1.{}", random_token(120));
    let challenge = params
        .get("code_challenge")
        .map(|c| (c.clone(), params.get("code_challenge_method").cloned().unwrap_or_else(|| "plain".into())));
    let auth_code = AuthCode {
        grant: EntraGrant {
            user: index,
            client_id: config.entra_client_id.clone(),
            scope: params.get("scope").cloned().unwrap_or_default(),
            auth_time: shared.now(),
            sign_in: shared.next_sign_in(),
        },
        redirect_uri: checked.redirect_uri.clone(),
        challenge,
        nonce: params.get("nonce").cloned(),
        expires: shared.now() + config.code_lifetime_secs as i64,
    };
    shared.store().codes.insert(code.clone(), auth_code);
    redirect(&shared, &checked, &[("code", code), ("session_state", uuid::Uuid::new_v4().to_string())])
}

#[cfg(test)]
mod tests {
    use super::redirect_registered;

    #[test]
    fn loopback_redirects_match_on_any_port_but_only_the_registered_host() {
        let registered = vec!["http://localhost".to_string()];
        let cases = [
            ("http://localhost:51234", true, "localhost on any port"),
            ("http://localhost:8400/", true, "trailing slash is the same root path"),
            ("http://localhost:8400/callback", false, "a different path does not match"),
            ("http://127.0.0.1:8400", false, "127.0.0.1 only when registered"),
            ("https://localhost:8400", false, "https is another scheme"),
            ("http://localhost.evil.example:80", false, "a lookalike host"),
        ];
        for (uri, expected, why) in cases {
            assert_eq!(redirect_registered(&registered, uri), expected, "{uri}: {why}");
        }
        let with_ip = vec!["http://127.0.0.1".to_string()];
        assert!(redirect_registered(&with_ip, "http://127.0.0.1:9999"), "127.0.0.1 when registered");
    }
}
