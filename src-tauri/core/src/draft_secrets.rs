//! A draft run with a saved profile's secrets: the wizard may try an edited profile before saving it, but a
//! draft is whatever the webview sends, unsaved and unvalidated. A saved secret goes only where the saved
//! profile sends it — the same endpoint and the same client ID — so that a draft naming another IAS,
//! XSUAA or Entra tenant never receives it.

use crate::profile::Profile;
use crate::secrets::{Secret, SecretError, SecretKind, SecretStore};

/// The kinds of `saved`'s secrets that `draft` may use: those whose destination and client it leaves as
/// they are.
pub fn reusable_by_draft(saved: &Profile, draft: &Profile) -> Vec<SecretKind> {
    let same_url = |a: &str, b: &str| a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/');
    let (se, de) = (&saved.entra, &draft.entra);
    let same_entra =
        same_url(&se.authority, &de.authority) && se.tenant.trim() == de.tenant.trim() && se.client_id == de.client_id;
    let same_ias = match (&saved.ias, &draft.ias) {
        (Some(s), Some(d)) => same_url(&s.url, &d.url) && s.client_id == d.client_id,
        _ => false,
    };
    let same_xsuaa = match (&saved.xsuaa, &draft.xsuaa) {
        (Some(s), Some(d)) => same_url(&s.url, &d.url) && s.client_id == d.client_id,
        _ => false,
    };
    SecretKind::ALL
        .into_iter()
        .filter(|kind| match kind {
            SecretKind::EntraClientSecret | SecretKind::EntraClientCertificate | SecretKind::EntraClientKey => {
                same_entra
            }
            SecretKind::EntraPassword => same_entra && se.username == de.username,
            // A cached sign-in is the user's grant to this very Entra app.
            SecretKind::EntraRefreshToken => same_entra,
            SecretKind::IasClientSecret
            | SecretKind::IasRefreshToken
            | SecretKind::IasClientCertificate
            | SecretKind::IasClientKey => same_ias,
            SecretKind::XsuaaClientSecret
            | SecretKind::XsuaaRefreshToken
            | SecretKind::XsuaaClientCertificate
            | SecretKind::XsuaaClientKey => same_xsuaa,
        })
        .collect()
}

/// `inner` limited to some kinds: the others read as missing, and nothing is written through it.
pub struct OnlyKinds<'a> {
    inner: &'a dyn SecretStore,
    kinds: Vec<SecretKind>,
}

impl<'a> OnlyKinds<'a> {
    pub fn new(inner: &'a dyn SecretStore, kinds: Vec<SecretKind>) -> Self {
        Self { inner, kinds }
    }

    /// The store a draft of `saved` runs with: see [`reusable_by_draft`].
    pub fn for_draft(inner: &'a dyn SecretStore, saved: &Profile, draft: &Profile) -> Self {
        Self::new(inner, reusable_by_draft(saved, draft))
    }
}

impl SecretStore for OnlyKinds<'_> {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, SecretError> {
        if self.kinds.contains(&kind) {
            self.inner.get(profile, kind)
        } else {
            Ok(None)
        }
    }

    fn set(&self, profile: &str, kind: SecretKind, _: &Secret) -> Result<(), SecretError> {
        Err(SecretError::Keychain {
            action: "store",
            profile: profile.to_owned(),
            kind,
            reason: "a draft run stores no secrets".into(),
        })
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        Err(SecretError::Keychain {
            action: "delete",
            profile: profile.to_owned(),
            kind,
            reason: "a draft run deletes no secrets".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    fn saved() -> Profile {
        toml::from_str(
            "name = \"ACME\"\n[entra]\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"e1\"\nusername = \"ada@contoso.com\"\n\
             [ias]\nurl = \"https://acme.accounts.ondemand.com\"\nclient_id = \"i1\"\n\
             [xsuaa]\nurl = \"https://acme.authentication.eu10.hana.ondemand.com\"\nclient_id = \"sb-x!t1\"\n",
        )
        .unwrap()
    }

    #[test]
    fn an_unchanged_draft_reuses_every_secret() {
        assert_eq!(reusable_by_draft(&saved(), &saved()), SecretKind::ALL.to_vec());
        let mut renamed = saved();
        renamed.name = "ACME (try)".into();
        renamed.xsuaa.as_mut().unwrap().url.push('/');
        assert_eq!(
            reusable_by_draft(&saved(), &renamed),
            SecretKind::ALL.to_vec(),
            "name and a trailing / change nothing"
        );
    }

    #[test]
    fn a_draft_that_sends_a_secret_elsewhere_does_not_get_it() {
        type Case = (&'static str, fn(&mut Profile), SecretKind);
        let cases: [Case; 6] = [
            (
                "another IAS",
                |p| p.ias.as_mut().unwrap().url = "https://evil.accounts.ondemand.com".into(),
                SecretKind::IasClientSecret,
            ),
            ("another IAS client", |p| p.ias.as_mut().unwrap().client_id = "i2".into(), SecretKind::IasClientSecret),
            (
                "another XSUAA",
                |p| p.xsuaa.as_mut().unwrap().url = "http://127.0.0.1:9".into(),
                SecretKind::XsuaaClientSecret,
            ),
            (
                "another authority",
                |p| p.entra.authority = "https://login.evil.example".into(),
                SecretKind::EntraClientSecret,
            ),
            ("another tenant", |p| p.entra.tenant = "evil.onmicrosoft.com".into(), SecretKind::EntraPassword),
            ("another user", |p| p.entra.username = Some("eve@contoso.com".into()), SecretKind::EntraPassword),
        ];
        for (case, change, kind) in cases {
            let mut draft = saved();
            change(&mut draft);
            let kinds = reusable_by_draft(&saved(), &draft);
            assert!(!kinds.contains(&kind), "{case}: the {kind} must not be reused");
            let lost: Vec<SecretKind> = SecretKind::ALL.into_iter().filter(|k| !kinds.contains(k)).collect();
            let hop = if case.contains("XSUAA") {
                "xsuaa-"
            } else if case.contains("IAS") {
                "ias-"
            } else {
                "entra-"
            };
            assert!(
                lost.iter().all(|k| k.as_str().starts_with(hop)),
                "{case}: only that hop loses its secrets: {lost:?}"
            );
        }
    }

    #[test]
    fn the_restricted_store_reads_other_kinds_as_missing() {
        let inner = MemoryStore::new();
        for kind in SecretKind::ALL {
            inner.set("acme", kind, &Secret::new("s3cret")).unwrap();
        }
        let mut draft = saved();
        draft.ias.as_mut().unwrap().url = "https://evil.accounts.ondemand.com".into();
        let store = OnlyKinds::for_draft(&inner, &saved(), &draft);
        assert!(store.get("acme", SecretKind::IasClientSecret).unwrap().is_none(), "the IAS secret stays home");
        assert!(store.get("acme", SecretKind::XsuaaClientSecret).unwrap().is_some(), "XSUAA is unchanged");
        assert!(store.set("acme", SecretKind::IasClientSecret, &Secret::new("x")).is_err());
    }
}
