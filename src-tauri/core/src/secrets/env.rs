//! Environment overrides (`TOKENHOP_IAS_CLIENT_SECRET`, …; see [`SecretKind::env_var`]): for CI pipelines,
//! they win over the session store and the keychain, for every profile. Read-only: TokenHop never sets them.

use std::collections::HashMap;

use crate::secrets::Secret;

use super::SecretKind;

/// A snapshot of the overriding variables (taken once, so that tests can inject their own).
#[derive(Debug, Default, Clone)]
pub struct EnvOverrides {
    values: HashMap<SecretKind, Secret>,
}

impl EnvOverrides {
    /// The variables of this process; empty values count as unset.
    pub fn from_process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The variables as `lookup` answers them (by variable name).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let values = SecretKind::ALL
            .into_iter()
            .filter_map(|kind| lookup(kind.env_var()).filter(|v| !v.is_empty()).map(|v| (kind, Secret::new(v))))
            .collect();
        Self { values }
    }

    /// None at all, whatever the process environment holds.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn get(&self, kind: SecretKind) -> Option<Secret> {
        self.values.get(&kind).cloned()
    }

    pub fn contains(&self, kind: SecretKind) -> bool {
        self.values.contains_key(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_come_from_the_documented_variables_and_ignore_empty_ones() {
        let env = EnvOverrides::from_lookup(|name| match name {
            "TOKENHOP_IAS_CLIENT_SECRET" => Some("from-ci".into()),
            "TOKENHOP_XSUAA_CLIENT_SECRET" => Some(String::new()),
            _ => None,
        });
        assert_eq!(env.get(SecretKind::IasClientSecret).unwrap().expose_secret(), "from-ci");
        assert!(!env.contains(SecretKind::XsuaaClientSecret), "an empty variable must count as unset");
        assert!(env.get(SecretKind::EntraPassword).is_none());
    }
}
