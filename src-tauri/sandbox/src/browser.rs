//! A fake browser for tests: a plain HTTP client that does what a user does on the sandbox sign-in
//! page. It parses the page's form, submits it for the chosen user, and follows the redirect to the
//! loopback redirect URI, so the engine's listener sees a real callback.
//!
//! It only ever talks to loopback hosts (127.0.0.1, localhost, ::1) and follows no redirect by
//! itself: every hop is checked. It does not run scripts or keep cookies.

use std::time::Duration;

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use url::Url;

/// Why the fake browser could not complete a sign-in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// A URL did not parse.
    #[error("not a URL: {0}")]
    BadUrl(String),
    /// A page or redirect pointed away from this machine.
    #[error("refusing to visit {0}: the fake browser only visits loopback hosts")]
    NotLoopback(String),
    /// The HTTP request failed.
    #[error("could not load {url}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The identity provider showed an error page instead of a sign-in form.
    #[error("the sign-in page answered {status}: {text}")]
    ErrorPage { status: u16, text: String },
    /// The page had no sign-in form.
    #[error("no sign-in form on {0}")]
    NoForm(String),
    /// The identity provider refused the user (the page came back with an error message).
    #[error("sign-in was refused: {0}")]
    Refused(String),
    /// A redirect without a usable `Location`.
    #[error("a redirect from {0} had no usable Location header")]
    BadRedirect(String),
}

fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .expect("a plain HTTP client builds")
}

fn loopback(url: &str) -> Result<Url, BrowserError> {
    let parsed = Url::parse(url).map_err(|_| BrowserError::BadUrl(url.to_string()))?;
    match parsed.host_str() {
        Some("127.0.0.1") | Some("localhost") | Some("[::1]") => Ok(parsed),
        _ => Err(BrowserError::NotLoopback(url.to_string())),
    }
}

fn location(response: &Response, base: &Url) -> Result<Url, BrowserError> {
    let value = response.headers().get(LOCATION).and_then(|v| v.to_str().ok());
    let target = value.and_then(|v| base.join(v).ok()).ok_or_else(|| BrowserError::BadRedirect(base.to_string()))?;
    loopback(target.as_str())
}

async fn text(response: Response, url: &Url) -> Result<String, BrowserError> {
    response.text().await.map_err(|source| BrowserError::Http { url: url.to_string(), source })
}

/// Loads the sign-in page, submits it for `username` and returns the redirect target (the callback URL
/// with `code` and `state`, or with `error`), without visiting it.
pub async fn sign_in_redirect(authorize_url: &str, username: &str) -> Result<Url, BrowserError> {
    let page_url = loopback(authorize_url)?;
    let http = client();
    let response = http
        .get(page_url.clone())
        .send()
        .await
        .map_err(|source| BrowserError::Http { url: page_url.to_string(), source })?;
    if response.status().is_redirection() {
        return location(&response, &page_url);
    }
    let status = response.status();
    let page = text(response, &page_url).await?;
    if status != StatusCode::OK {
        return Err(BrowserError::ErrorPage { status: status.as_u16(), text: form::visible_text(&page) });
    }
    let form = form::find(&page, "signin").ok_or_else(|| BrowserError::NoForm(page_url.to_string()))?;
    let action = page_url.join(&form.action).map_err(|_| BrowserError::BadUrl(form.action.clone()))?;
    let action = loopback(action.as_str())?;
    let mut fields = form.hidden.clone();
    match form.buttons.iter().find(|(_, value)| value.eq_ignore_ascii_case(username)) {
        Some((name, value)) => fields.push((name.clone(), value.clone())),
        None => fields.push(("login".into(), username.to_string())),
    }
    let response = http
        .post(action.clone())
        .form(&fields)
        .send()
        .await
        .map_err(|source| BrowserError::Http { url: action.to_string(), source })?;
    if response.status().is_redirection() {
        return location(&response, &action);
    }
    let status = response.status();
    let page = text(response, &action).await?;
    match form::error_message(&page) {
        Some(message) => Err(BrowserError::Refused(message)),
        None => Err(BrowserError::ErrorPage { status: status.as_u16(), text: form::visible_text(&page) }),
    }
}

/// Signs `username` in on the page at `authorize_url`, then GETs the loopback redirect URI (so the
/// listener waiting there receives the callback) and returns that callback URL. The listener's own
/// answer does not matter; only a failure to reach it is an error.
pub async fn complete_sign_in(authorize_url: &str, username: &str) -> Result<Url, BrowserError> {
    let callback = sign_in_redirect(authorize_url, username).await?;
    client()
        .get(callback.clone())
        .send()
        .await
        .map_err(|source| BrowserError::Http { url: callback.to_string(), source })?;
    Ok(callback)
}

/// Enters `user_code` on the device-code page at `verification_uri` and picks `username`.
pub async fn complete_device_sign_in(
    verification_uri: &str,
    user_code: &str,
    username: &str,
) -> Result<(), BrowserError> {
    let page_url = loopback(verification_uri)?;
    let http = client();
    let response = http
        .get(page_url.clone())
        .send()
        .await
        .map_err(|source| BrowserError::Http { url: page_url.to_string(), source })?;
    let page = text(response, &page_url).await?;
    let form = form::find(&page, "device").ok_or_else(|| BrowserError::NoForm(page_url.to_string()))?;
    let action =
        loopback(page_url.join(&form.action).map_err(|_| BrowserError::BadUrl(form.action.clone()))?.as_str())?;
    let mut fields = form.hidden.clone();
    fields.push(("user_code".into(), user_code.to_string()));
    match form.buttons.iter().find(|(_, value)| value.eq_ignore_ascii_case(username)) {
        Some((name, value)) => fields.push((name.clone(), value.clone())),
        None => fields.push(("login".into(), username.to_string())),
    }
    let response = http
        .post(action.clone())
        .form(&fields)
        .send()
        .await
        .map_err(|source| BrowserError::Http { url: action.to_string(), source })?;
    let page = text(response, &action).await?;
    match form::error_message(&page) {
        Some(message) => Err(BrowserError::Refused(message)),
        None => Ok(()),
    }
}

mod form;
