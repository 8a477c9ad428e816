//! The physical floor of the chain: the same four HTTP requests the engine sends after the callback (code
//! redemption at Entra, jwt-bearer at IAS, jwt-bearer at XSUAA, the API call), sent by ONE curl invocation
//! (`--next`) over connections opened beforehand in the same invocation, so every timed request reuses a
//! kept-alive connection (`num_connects` is 0, checked). The sum of their `%{time_total}` is the floor.
//!
//! A fresh authorization code comes from posting the sandbox sign-in form with redirects off and reading
//! `Location` (untimed). The later requests need tokens only the earlier ones yield; within one curl they cannot
//! be chained, so they carry the tokens of a preparatory run (the sandbox accepts a valid assertion again),
//! which keeps the requests, their sizes and the server's work identical.
//!
//! The app's chain starts after the user has been signing in for a while, with the machine idle; curl's
//! requests follow its warm-up at once. [`Floor::measure`] can therefore first wait as long as a sign-in, on
//! an untimed request to [`Pause`], inside the same invocation: the kept-alive connections stay open and the
//! timed requests start from the same idle state as the app's.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::sandbox::{Sandbox, USER};

const REDIRECT_URI: &str = "http://localhost:53682/";

pub struct Floor {
    entra: String,
    entra_client: String,
    ias: String,
    ias_credentials: Vec<String>,
    xsuaa: String,
    xsuaa_credentials: Vec<String>,
    api: String,
    entra_id_token: String,
    ias_id_token: String,
    zid: String,
    access_token: String,
}

/// The client's credentials in the form body, as TokenHop sends them by default (`client_auth = "post"`, as
/// SAP's libraries do); XSUAA would compare Basic credentials unencoded, so the floor does not guess an encoding.
fn post_credentials(id: &str, secret: &str) -> Vec<String> {
    vec![s("--data-urlencode"), format!("client_id={id}"), s("--data-urlencode"), format!("client_secret={secret}")]
}

/// `application/x-www-form-urlencoded` for one value (RFC 6749 §2.3.1 wants it before Basic's base64).
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.2).
fn pkce() -> Result<(String, String)> {
    let mut random = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut random)?;
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Ok((verifier, challenge))
}

fn curl(args: &[String]) -> Result<String> {
    let out = Command::new("curl").args(args).output().context("running curl")?;
    if !out.status.success() {
        bail!("curl failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn json_field(text: &str, field: &str) -> Result<String> {
    let v: Value = serde_json::from_str(text).with_context(|| format!("not JSON: {text:.200}"))?;
    v[field].as_str().map(String::from).with_context(|| format!("no {field} in {text:.300}"))
}

impl Floor {
    pub fn prepare(sandbox: &Sandbox) -> Result<Self> {
        let authority = sandbox.value("entra", "authority")?;
        let tenant = sandbox.value("entra", "tenant")?;
        let ias = sandbox.value("ias", "url")?;
        let xsuaa = sandbox.value("xsuaa", "url")?;
        let mut floor = Floor {
            entra: format!("{}/{tenant}", authority.trim_end_matches('/')),
            entra_client: sandbox.value("entra", "client_id")?,
            ias_credentials: post_credentials(&sandbox.value("ias", "client_id")?, &sandbox.ias_secret),
            xsuaa_credentials: post_credentials(&sandbox.value("xsuaa", "client_id")?, &sandbox.xsuaa_secret),
            ias: ias.trim_end_matches('/').to_owned(),
            xsuaa: xsuaa.trim_end_matches('/').to_owned(),
            api: sandbox.value("api", "url")?,
            entra_id_token: String::new(),
            ias_id_token: String::new(),
            zid: String::new(),
            access_token: String::new(),
        };
        // The preparatory run, one request per curl, each feeding the next.
        let (code, verifier) = floor.sign_in()?;
        let mut args = vec![s("-s")];
        args.extend(floor.redeem(&code, &verifier));
        floor.entra_id_token = json_field(&curl(&args)?, "id_token")?;
        let mut args = vec![s("-s")];
        args.extend(floor.ias_request());
        floor.ias_id_token = json_field(&curl(&args)?, "id_token")?;
        let payload = floor
            .ias_id_token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .context("IAS id_token is no JWT")?;
        floor.zid = serde_json::from_slice::<Value>(&payload)?["app_tid"].as_str().unwrap_or_default().to_owned();
        let mut args = vec![s("-s")];
        args.extend(floor.xsuaa_request());
        floor.access_token = json_field(&curl(&args)?, "access_token")?;
        Ok(floor)
    }

    /// Posts the sign-in form with redirects off; returns the code from `Location` and the PKCE verifier.
    fn sign_in(&self) -> Result<(String, String)> {
        let (verifier, challenge) = pkce()?;
        let fields = [
            ("client_id", self.entra_client.as_str()),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid profile email offline_access"),
            ("state", "bench-state"),
            ("nonce", "bench-nonce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("username", USER),
        ];
        let mut args = vec![s("-s"), s("-o"), s("/dev/null"), s("-w"), s("%{redirect_url}")];
        for (k, v) in fields {
            args.extend([s("--data-urlencode"), format!("{k}={v}")]);
        }
        args.push(format!("{}/oauth2/v2.0/authorize", self.entra));
        let location = curl(&args)?;
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .with_context(|| format!("no code in the sign-in redirect `{location}`"))?;
        Ok((code.to_owned(), verifier))
    }

    fn redeem(&self, code: &str, verifier: &str) -> Vec<String> {
        let mut a = vec![format!("{}/oauth2/v2.0/token", self.entra)];
        for kv in [
            s("grant_type=authorization_code"),
            format!("client_id={}", self.entra_client),
            format!("code={code}"),
            format!("redirect_uri={REDIRECT_URI}"),
            format!("code_verifier={verifier}"),
        ] {
            a.extend([s("--data-urlencode"), kv]);
        }
        a
    }

    fn jwt_bearer(url: String, credentials: &[String], assertion: &str, extra: &[&str]) -> Vec<String> {
        let mut a = vec![url];
        a.extend(credentials.iter().cloned());
        a.extend([s("--data-urlencode"), s("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer")]);
        a.extend([s("--data-urlencode"), format!("assertion={assertion}")]);
        for e in extra {
            a.extend([s("--data-urlencode"), s(e)]);
        }
        a
    }

    fn ias_request(&self) -> Vec<String> {
        Self::jwt_bearer(
            format!("{}/oauth2/token", self.ias),
            &self.ias_credentials,
            &self.entra_id_token,
            &["token_format=jwt"],
        )
    }

    fn xsuaa_request(&self) -> Vec<String> {
        let mut a =
            Self::jwt_bearer(format!("{}/oauth/token", self.xsuaa), &self.xsuaa_credentials, &self.ias_id_token, &[]);
        if !self.zid.is_empty() {
            a.extend([s("-H"), format!("X-zid: {}", self.zid)]);
        }
        a
    }

    fn api_request(&self) -> Vec<String> {
        vec![self.api.clone(), s("-H"), format!("Authorization: Bearer {}", self.access_token)]
    }

    /// One measured floor run: total ms of the four requests, and a per-request note. With `pause`, curl
    /// first waits on it, untimed, after opening its connections.
    pub fn measure(&self, pause: Option<&Pause>) -> Result<(f64, String)> {
        let (code, verifier) = self.sign_in()?;
        let mut warm = vec![
            vec![format!("{}/v2.0/.well-known/openid-configuration", self.entra)],
            vec![format!("{}/oauth2/certs", self.ias)],
            vec![format!("{}/token_keys", self.xsuaa)],
            vec![self.api.clone()],
        ];
        warm.extend(pause.map(|p| vec![p.url.clone()]));
        let timed = [
            ("entra", self.redeem(&code, &verifier)),
            ("ias", self.ias_request()),
            ("xsuaa", self.xsuaa_request()),
            ("api", self.api_request()),
        ];
        let mut args: Vec<String> = Vec::new();
        let mut add = |label: &str, request: Vec<String>| {
            if !args.is_empty() {
                args.push(s("--next"));
            }
            args.extend([
                s("-s"),
                s("-o"),
                s("/dev/null"),
                s("-w"),
                format!("{label} %{{http_code}} %{{time_total}} %{{num_connects}}\\n"),
            ]);
            args.extend(request);
        };
        for w in warm {
            add("warm", w);
        }
        for (label, request) in timed {
            add(label, request);
        }
        let out = curl(&args)?;
        let mut total = 0.0;
        let mut detail = Vec::new();
        for line in out.lines().filter(|l| !l.starts_with("warm")) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [label, status, secs, connects] = f[..] else { bail!("unexpected curl -w line `{line}`") };
            if status != "200" {
                bail!("{label} answered {status} in the curl floor");
            }
            let ms: f64 = secs.parse::<f64>()? * 1000.0;
            total += ms;
            detail.push(format!("{label} {ms:.2} ms{}", if connects == "0" { "" } else { " (new connection!)" }));
        }
        Ok((total, detail.join(", ")))
    }
}

/// A loopback HTTP endpoint that answers every request with `204 No Content` after a fixed delay: the
/// sign-in's idle time, spent inside one curl invocation.
pub struct Pause {
    url: String,
}

impl Pause {
    pub fn start(delay: Duration) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the pause endpoint")?;
        let url = format!("http://{}/", listener.local_addr()?);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                // curl sends a bodiless GET in one small write; reading once is enough to have it.
                let _ = stream.read(&mut [0u8; 4096]);
                std::thread::sleep(delay);
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        Ok(Self { url })
    }
}
