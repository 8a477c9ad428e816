//! The few HTML pages the sandbox serves (Entra sign-in, device code entry, errors): self-contained,
//! inline CSS, no external resources, so they work in any browser and under a strict CSP-free loopback.

use crate::config::SandboxUser;

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}\
main{max-width:420px;margin:48px auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}\
h1{font-size:1.4em;font-weight:600}button{display:block;width:100%;margin:6px 0;padding:10px;text-align:left;\
border:1px solid #ccc;background:#fff;cursor:pointer;font-size:1em}button:hover{background:#eef}\
input[type=text]{width:100%;box-sizing:border-box;padding:8px;font-size:1em;margin:6px 0}\
.primary{background:#0067b8;color:#fff;text-align:center}.dim{color:#666;font-size:.85em}.err{color:#b00020}";

/// A full page around `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

fn hidden(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)))
        .collect()
}

fn user_buttons(users: &[SandboxUser]) -> String {
    users
        .iter()
        .map(|u| {
            format!(
                "<button type=\"submit\" name=\"username\" value=\"{}\">{}<br><span class=\"dim\">{}</span></button>",
                escape(&u.username),
                escape(&u.name),
                escape(&u.username)
            )
        })
        .collect()
}

/// The sign-in page of the authorize endpoint. The form posts back to `action` with the authorize
/// parameters as hidden fields, plus `username` (a user button) or `login` (the text field).
pub(crate) fn sign_in(
    action: &str,
    params: &[(String, String)],
    users: &[SandboxUser],
    login_hint: &str,
    error: Option<&str>,
    auto_sign_in: Option<&str>,
) -> String {
    let error = error.map(|e| format!("<p class=\"err\">{}</p>", escape(e))).unwrap_or_default();
    let auto = auto_sign_in
        .map(|user| {
            let mut with_user = params.to_vec();
            with_user.push(("username".into(), user.into()));
            format!(
                "<form id=\"auto\" method=\"post\" action=\"{}\">{}</form>\
                 <script>document.getElementById('auto').submit();</script>",
                escape(action),
                hidden(&with_user)
            )
        })
        .unwrap_or_default();
    page(
        "Sign in to your account",
        &format!(
            "<h1>Pick an account</h1><p class=\"dim\">Simulated Entra ID — TokenHop sandbox. No password needed.</p>{error}\
             <form id=\"signin\" method=\"post\" action=\"{}\">{}{}\
             <label for=\"login\">Or type a user name</label>\
             <input type=\"text\" id=\"login\" name=\"login\" value=\"{}\" placeholder=\"someone@example.com\" autocomplete=\"username\">\
             <button type=\"submit\" class=\"primary\">Sign in</button></form>{auto}",
            escape(action),
            hidden(params),
            user_buttons(users),
            escape(login_hint)
        ),
    )
}

/// The device-code entry page (`verification_uri`).
pub(crate) fn device_entry(action: &str, users: &[SandboxUser], error: Option<&str>) -> String {
    let error = error.map(|e| format!("<p class=\"err\">{}</p>", escape(e))).unwrap_or_default();
    page(
        "Enter code",
        &format!(
            "<h1>Enter code</h1><p>Enter the code displayed on your app or device, then pick an account.</p>{error}\
             <form id=\"device\" method=\"post\" action=\"{}\">\
             <input type=\"text\" name=\"user_code\" placeholder=\"Code\" autocomplete=\"off\">{}\
             <label for=\"login\">Or type a user name</label>\
             <input type=\"text\" id=\"login\" name=\"login\" placeholder=\"someone@example.com\">\
             <button type=\"submit\" class=\"primary\">Next</button></form>",
            escape(action),
            user_buttons(users)
        ),
    )
}

/// A short message page ("you may close this window").
pub(crate) fn message(title: &str, text: &str) -> String {
    page(title, &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)))
}
