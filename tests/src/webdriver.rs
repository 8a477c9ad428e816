//! A small W3C WebDriver client over blocking HTTP: just the commands the e2e tests use.
//!
//! It speaks the standard protocol (<https://www.w3.org/TR/webdriver2/>) to tauri-driver, which forwards it to
//! WebKitWebDriver. Waiting is done by polling with a deadline (`wait_for`), never by fixed sleeps.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How often `wait_for` looks again.
const POLL: Duration = Duration::from_millis(100);

/// One open WebDriver session: one running app window.
pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
    id: String,
}

/// A reference to an element of the page, valid while the page is not re-rendered around it.
#[derive(Debug, Clone)]
pub struct Element {
    id: String,
}

impl Session {
    /// `POST /session` with exactly these capabilities under `alwaysMatch`.
    pub fn create(base: &str, always_match: Value) -> Result<Session> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .context("building the WebDriver HTTP client")?;
        let body = json!({ "capabilities": { "alwaysMatch": always_match } });
        let value = send(http.post(format!("{base}/session")).json(&body))
            .context("the WebDriver could not open a session (did the app start?)")?;
        let id = value["sessionId"].as_str().context("new session response has no sessionId")?.to_string();
        Ok(Session { http, base: base.to_string(), id })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{}", self.base, self.id, path)
    }

    fn get(&self, path: &str) -> Result<Value> {
        send(self.http.get(self.url(path)))
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        send(self.http.post(self.url(path)).json(&body))
    }

    /// The first element matching the CSS selector, or an error naming the selector.
    pub fn find(&self, css: &str) -> Result<Element> {
        let value = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .with_context(|| format!("no element matches `{css}`"))?;
        element(&value)
    }

    /// Every element matching the CSS selector (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self.post("/elements", json!({ "using": "css selector", "value": css }))?;
        value.as_array().context("elements response is not a list")?.iter().map(element).collect()
    }

    /// Waits until an element matches `css` and returns it.
    pub fn wait_for_element(&self, css: &str, timeout: Duration) -> Result<Element> {
        wait_for(timeout, &format!("an element matching `{css}`"), || Ok(self.find_all(css)?.into_iter().next()))
    }

    /// Waits until the element matching `css` has exactly `expected` as its text; returns the last text seen
    /// in the error otherwise.
    pub fn wait_for_text(&self, css: &str, expected: &str, timeout: Duration) -> Result<()> {
        let mut last = None;
        let found = wait_for(timeout, &format!("`{css}` to read {expected:?}"), || {
            let Some(el) = self.find_all(css)?.into_iter().next() else { return Ok(None) };
            let text = self.text(&el)?;
            let matched = text == expected;
            last = Some(text);
            Ok(matched.then_some(()))
        });
        found.with_context(|| format!("last text of `{css}`: {last:?}"))
    }

    pub fn click(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", el.id), json!({})).map(drop)
    }

    /// Types `text` into the element (appending to what is there).
    pub fn type_text(&self, el: &Element, text: &str) -> Result<()> {
        self.post(&format!("/element/{}/value", el.id), json!({ "text": text })).map(drop)
    }

    pub fn clear(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", el.id), json!({})).map(drop)
    }

    /// The element's rendered text.
    pub fn text(&self, el: &Element) -> Result<String> {
        let value = self.get(&format!("/element/{}/text", el.id))?;
        value.as_str().map(String::from).context("element text is not a string")
    }

    /// A DOM property of the element (`value`, `checked`, `disabled`, …).
    pub fn property(&self, el: &Element, name: &str) -> Result<Value> {
        self.get(&format!("/element/{}/property/{name}", el.id))
    }

    /// Runs a synchronous script; `arguments[i]` are `args`.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs an asynchronous script; it finishes by calling the last argument (the callback) with its result.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Calls a Tauri command from inside the page, as the UI would: `Ok(value)` or `Err(the rejection)`.
    pub fn invoke(&self, command: &str, args: Value) -> Result<std::result::Result<Value, Value>> {
        let script = "const [cmd, args, done] = arguments;\
                      window.__TAURI_INTERNALS__.invoke(cmd, args)\
                        .then((ok) => done({ ok }), (err) => done({ err: err ?? null }));";
        let mut reply = self.execute_async(script, vec![json!(command), args])?;
        match reply.get_mut("ok") {
            Some(ok) => Ok(Ok(ok.take())),
            None => Ok(Err(reply.get_mut("err").map(Value::take).unwrap_or(Value::Null))),
        }
    }

    /// Ends the session; WebKitWebDriver closes the app.
    pub fn delete(&self) -> Result<()> {
        send(self.http.delete(format!("{}/session/{}", self.base, self.id))).map(drop)
    }
}

/// Polls `probe` until it yields `Some`, or fails after `timeout` saying what was awaited.
pub fn wait_for<T>(timeout: Duration, what: &str, mut probe: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let last_error = match probe() {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => None,
            Err(err) => Some(err),
        };
        if Instant::now() >= deadline {
            let cause = last_error.map(|e| format!(" (last error: {e:#})")).unwrap_or_default();
            bail!("timed out after {:?} waiting for {what}{cause}", timeout);
        }
        std::thread::sleep(POLL);
    }
}

fn element(value: &Value) -> Result<Element> {
    let id = value[ELEMENT_KEY].as_str().with_context(|| format!("not an element reference: {value}"))?;
    Ok(Element { id: id.to_string() })
}

/// Sends a request and unwraps W3C's `{"value": …}`, turning `{"value": {"error": …}}` into an error.
fn send(request: reqwest::blocking::RequestBuilder) -> Result<Value> {
    let response = request.send().context("the WebDriver did not answer")?;
    let status = response.status();
    let mut body: Value = response.json().with_context(|| format!("WebDriver answered {status} without JSON"))?;
    let value = body.get_mut("value").map(Value::take).unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(anyhow!("WebDriver error `{error}` ({status}): {message}"));
    }
    if !status.is_success() {
        bail!("WebDriver answered {status}: {value}");
    }
    Ok(value)
}
