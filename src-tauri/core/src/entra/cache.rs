//! The cached Entra sign-in: the refresh token of the last successful sign-in and who it signed in, kept as
//! one keychain entry of kind `entra-refresh-token` (DESIGN §3 "Secrets") so that the next run is silent.
//!
//! The entry's value is JSON — `{"v":1,"refresh_token":…,"sub":…,"tid":…,…}` — so that the user it belongs to
//! sits beside the token and never in the profile file. A value that is not such JSON is a bare refresh token,
//! as `TOKENHOP_ENTRA_REFRESH_TOKEN` gives one in CI; it carries no original user to compare with.
//!
//! This module only reads and writes the entry; when to use it is the chain's decision (`chain::entra_step`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::secrets::Secret;
use crate::secrets::{SecretError, SecretKind, SecretStore};

/// How long Entra keeps an unused refresh token: 90 days for every client but single-page apps ("Refresh
/// tokens in the Microsoft identity platform", Token lifetime). Each use yields a new one, so a sign-in
/// used at least that often lasts; an admin or a password change may still revoke it sooner.
pub const ENTRA_REFRESH_TOKEN_LIFETIME_SECS: i64 = 90 * 24 * 60 * 60;

const VERSION: u32 = 1;

/// Who a cached sign-in signed in, from the ID token of that sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignedInUser {
    /// The ID token's `sub` (pairwise per app): a refreshed token must carry the same.
    pub sub: String,
    /// The ID token's `tid`: a refreshed token must carry the same.
    pub tid: String,
    /// `preferred_username`, for people ("Signed in as alice@…").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub username: Option<String>,
    /// The original ID token's `nonce`: a refreshed ID token carries none or this one (OIDC Core §12.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub nonce: Option<String>,
    /// Unix seconds of the last successful sign-in or refresh.
    #[ts(type = "number")]
    pub refreshed_at: i64,
}

impl SignedInUser {
    /// Unix seconds until which Entra keeps the refresh token if nothing revokes it.
    pub fn kept_until(&self) -> i64 {
        self.refreshed_at + ENTRA_REFRESH_TOKEN_LIFETIME_SECS
    }
}

/// A cached sign-in, read back.
#[derive(Debug)]
pub struct CachedSignIn {
    pub refresh_token: Secret,
    /// `None` for a bare refresh token (from `TOKENHOP_ENTRA_REFRESH_TOKEN`): no original user is known.
    pub user: Option<SignedInUser>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    refresh_token: String,
    #[serde(flatten)]
    user: SignedInUser,
}

impl Drop for Stored {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.refresh_token);
    }
}

impl CachedSignIn {
    /// Reads an entry's value: the JSON this module writes, or else a bare refresh token.
    pub fn parse(value: &Secret) -> Self {
        match serde_json::from_str::<Stored>(value.expose_secret()) {
            Ok(stored) if stored.v == VERSION => {
                Self { refresh_token: Secret::new(stored.refresh_token.as_str()), user: Some(stored.user.clone()) }
            }
            _ => Self { refresh_token: value.clone(), user: None },
        }
    }
}

/// The profile's cached sign-in, if any.
pub fn load(store: &dyn SecretStore, slug: &str) -> Result<Option<CachedSignIn>, SecretError> {
    Ok(store.get(slug, SecretKind::EntraRefreshToken)?.map(|value| CachedSignIn::parse(&value)))
}

/// Who the profile's cached sign-in is for, without handing out the token (for "Signed in as …").
pub fn signed_in_user(store: &dyn SecretStore, slug: &str) -> Result<Option<SignedInUser>, SecretError> {
    Ok(load(store, slug)?.and_then(|cached| cached.user))
}

/// Stores (or replaces) the profile's cached sign-in.
pub fn save(
    store: &dyn SecretStore,
    slug: &str,
    refresh_token: &Secret,
    user: &SignedInUser,
) -> Result<(), SecretError> {
    let stored = Stored { v: VERSION, refresh_token: refresh_token.expose_secret().to_owned(), user: user.clone() };
    let json = Zeroizing::new(serde_json::to_string(&stored).expect("a cached sign-in serializes"));
    store.set(slug, SecretKind::EntraRefreshToken, &Secret::new(json.as_str()))
}

/// Forgets the profile's cached Entra sign-in.
pub fn forget(store: &dyn SecretStore, slug: &str) -> Result<(), SecretError> {
    store.delete(slug, SecretKind::EntraRefreshToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    fn alice() -> SignedInUser {
        SignedInUser {
            sub: "pairwise-sub".into(),
            tid: "tenant".into(),
            username: Some("alice@contoso.com".into()),
            nonce: None,
            refreshed_at: 1_800_000_000,
        }
    }

    #[test]
    fn a_saved_sign_in_reads_back_with_its_user() {
        let store = MemoryStore::new();
        save(&store, "dev", &Secret::new("1.refresh"), &alice()).unwrap();
        let cached = load(&store, "dev").unwrap().expect("stored");
        assert_eq!(cached.refresh_token.expose_secret(), "1.refresh");
        assert_eq!(cached.user, Some(alice()), "sub and tid must come back beside the token");
        assert_eq!(signed_in_user(&store, "dev").unwrap(), Some(alice()));
        forget(&store, "dev").unwrap();
        assert!(load(&store, "dev").unwrap().is_none(), "forgotten");
    }

    #[test]
    fn a_bare_value_is_a_refresh_token_without_a_known_user() {
        let cached = CachedSignIn::parse(&Secret::new("1.AXEA-bare-token"));
        assert_eq!(cached.refresh_token.expose_secret(), "1.AXEA-bare-token");
        assert!(cached.user.is_none(), "nobody to compare a refreshed token with");
    }

    #[test]
    fn the_sign_in_is_kept_for_entras_ninety_days_after_its_last_use() {
        assert_eq!(alice().kept_until() - alice().refreshed_at, 90 * 86_400);
    }
}
