//! The SAP service at the other end of a token request, IAS or XSUAA: its name, token path and keys path.

use url::Url;

/// The SAP service at the other end; it decides the token path and how errors are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ias,
    Xsuaa,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ias => "IAS",
            Self::Xsuaa => "XSUAA",
        }
    }

    /// `{url}/oauth2/token` at IAS, `{url}/oauth/token` at XSUAA.
    pub fn token_url(self, base: &Url) -> Url {
        join(base, self.token_path())
    }

    /// [`Self::token_url`] of a base URL given as text (exports, and the request builder).
    pub fn token_url_of(self, base: &str) -> String {
        match Url::parse(base.trim()) {
            Ok(url) => self.token_url(&url).into(),
            Err(_) => format!("{}/{}", base.trim().trim_end_matches('/'), self.token_path()),
        }
    }

    fn token_path(self) -> &'static str {
        match self {
            Self::Ias => "oauth2/token",
            Self::Xsuaa => "oauth/token",
        }
    }

    /// `{url}/oauth2/certs` at IAS, `{url}/token_keys` at XSUAA.
    pub fn keys_url(self, base: &Url) -> Url {
        join(
            base,
            match self {
                Self::Ias => "oauth2/certs",
                Self::Xsuaa => "token_keys",
            },
        )
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
}
