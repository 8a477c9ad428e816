//! Faults on demand: each one breaks one service or endpoint the way real deployments break.
//!
//! Faults are data (`Fault`, serialised as `{"fault": "...", ...}` for the control endpoint) held in a
//! cloneable `Faults` handle shared with the running services. No fault is active by default; clearing
//! all faults restores the honest service (and Entra's original signing key).

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A token a service issues, the target of a `Tamper`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// The Entra ID token (the assertion IAS receives).
    EntraIdToken,
    /// The IAS id_token (the assertion XSUAA receives).
    IasIdToken,
    /// The IAS access token when `token_format=jwt`.
    IasAccessToken,
    /// The XSUAA access token (what the API receives).
    XsuaaAccessToken,
}

/// How a token is broken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tamper {
    /// Signed with a key the issuer does not publish (same `kid`).
    WrongKey,
    /// A payload claim removed (`iss`, `aud`, `exp`, `nonce`, `ver`, ...).
    DropClaim { claim: String },
    /// A payload claim replaced by another value.
    SetClaim { claim: String, value: Value },
    /// A header parameter removed (`kid`, `alg`, `typ`).
    DropHeader { name: String },
    /// A header parameter replaced (e.g. `kid` naming no published key).
    SetHeader { name: String, value: Value },
    /// Issued two hours ago, expired an hour ago.
    Expired,
    /// `alg: none` and an empty signature (RFC 7519 §6).
    AlgNone,
    /// `alg: HS256`, HMAC keyed with the issuer's public key modulus (key confusion).
    Hs256,
    /// No `kid`, while the issuer's JWKS publishes two keys.
    NoKidTwoKeys,
    /// An Entra v1.0 token (`ver` 1.0, `iss` https://sts.windows.net/{tid}/, `upn`, `unique_name`).
    V1Token,
}

/// An endpoint, the target of a transport fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    EntraDiscovery,
    EntraAuthorize,
    EntraToken,
    EntraDeviceCode,
    EntraKeys,
    IasDiscovery,
    IasToken,
    IasCerts,
    XsuaaDiscovery,
    XsuaaToken,
    XsuaaKeys,
    ApiMe,
}

/// One fault. Serialised with a `fault` tag, e.g. `{"fault":"hang","endpoint":"ias_token"}` or
/// `{"fault":"tamper","token":"entra_id_token","tamper":{"kind":"drop_claim","claim":"nonce"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Break a token the sandbox issues.
    Tamper { token: TokenKind, tamper: Tamper },
    /// Entra signs with a new key; its JWKS publishes the new key first, then the old one.
    RotateEntraKeys,
    /// Answer with a proxy's HTML 502 page.
    BadGateway { endpoint: Endpoint },
    /// Accept the connection and never answer.
    Hang { endpoint: Endpoint },
    /// Answer 200 with a 2 MiB JSON body.
    OversizedBody { endpoint: Endpoint },
    /// Answer with the first half of the real JSON body.
    TruncatedJson { endpoint: Endpoint },
    /// IAS no longer trusts the Entra tenant as corporate IdP.
    IasDistrustsEntra,
    /// The subaccount no longer trusts IAS (XSUAA: "Unable to map issuer").
    XsuaaDistrustsIas,
    /// The subaccount's trust to IAS was created for another IAS application than the profile's: XSUAA requires
    /// that application's client ID in `aud` ("Some parties were not in the token audience").
    XsuaaTrustsOtherIasApplication,
    /// IAS writes its issuer without a scheme (`iss: "tenant.accounts.ondemand.com"`), as some IAS tenants did
    /// (SAP/cloud-security-services-integration-library issues #544 and #797).
    IasIssuerWithoutScheme,
    /// The authorize redirect carries a different `state` than the one sent.
    WrongState,
    /// Entra refuses every refresh token with `invalid_grant` and this reason's AADSTS code. (No fault
    /// rejects a reused refresh token: Entra does not revoke a refresh token when it is used.)
    EntraRefreshRefused { reason: RefreshRefusal },
}

/// Why Entra refuses a refresh token, each answered with `invalid_grant` (Microsoft's AADSTS error reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshRefusal {
    /// AADSTS70008 ExpiredOrRevokedGrant.
    Expired,
    /// AADSTS700082 ExpiredOrRevokedGrantInactiveToken: unused for 90 days.
    Inactive,
    /// AADSTS50173 FreshTokenNeeded: the user's sessions were revoked, or the password changed.
    Revoked,
    /// AADSTS65001 DelegationDoesNotExist: consent was withdrawn.
    ConsentRequired,
}

/// A cloneable handle on the active faults of one sandbox.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    active: Arc<Mutex<Vec<Fault>>>,
}

impl Faults {
    pub(crate) fn new(initial: &[Fault]) -> Self {
        Self { active: Arc::new(Mutex::new(initial.to_vec())) }
    }

    /// Activates a fault (activating it twice has no further effect).
    pub fn set(&self, fault: Fault) {
        let mut active = self.lock();
        if !active.contains(&fault) {
            active.push(fault);
        }
    }

    /// Deactivates one fault.
    pub fn remove(&self, fault: &Fault) {
        self.lock().retain(|f| f != fault);
    }

    /// Back to the honest service.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The active faults, in the order they were set.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    pub fn is_set(&self, fault: &Fault) -> bool {
        self.lock().contains(fault)
    }

    /// The tampers active for one token kind.
    pub(crate) fn tampers(&self, token: TokenKind) -> Vec<Tamper> {
        self.lock()
            .iter()
            .filter_map(|f| match f {
                Fault::Tamper { token: t, tamper } if *t == token => Some(tamper.clone()),
                _ => None,
            })
            .collect()
    }

    /// How Entra refuses refresh tokens now, if a fault says so (the first one set wins).
    pub(crate) fn entra_refresh_refusal(&self) -> Option<RefreshRefusal> {
        self.lock().iter().find_map(|f| match f {
            Fault::EntraRefreshRefused { reason } => Some(*reason),
            _ => None,
        })
    }

    /// The transport fault active for an endpoint, if any (the first one set wins).
    pub(crate) fn transport(&self, endpoint: Endpoint) -> Option<Fault> {
        self.lock()
            .iter()
            .find(|f| match f {
                Fault::BadGateway { endpoint: e }
                | Fault::Hang { endpoint: e }
                | Fault::OversizedBody { endpoint: e }
                | Fault::TruncatedJson { endpoint: e } => *e == endpoint,
                _ => false,
            })
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_serialise_with_a_fault_tag() {
        let fault =
            Fault::Tamper { token: TokenKind::EntraIdToken, tamper: Tamper::DropClaim { claim: "nonce".into() } };
        let json = serde_json::to_value(&fault).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"fault":"tamper","token":"entra_id_token","tamper":{"kind":"drop_claim","claim":"nonce"}})
        );
        let hang: Fault = serde_json::from_str(r#"{"fault":"hang","endpoint":"ias_token"}"#).unwrap();
        assert_eq!(hang, Fault::Hang { endpoint: Endpoint::IasToken });
    }

    #[test]
    fn clearing_restores_the_honest_service() {
        let faults = Faults::new(&[Fault::RotateEntraKeys]);
        faults.set(Fault::Hang { endpoint: Endpoint::ApiMe });
        assert_eq!(faults.transport(Endpoint::ApiMe), Some(Fault::Hang { endpoint: Endpoint::ApiMe }));
        faults.clear();
        assert!(faults.list().is_empty(), "clear must remove every fault");
    }
}
