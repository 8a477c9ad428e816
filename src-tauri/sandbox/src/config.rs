//! What a sandbox is made of: its Entra tenant and demo users, the client registrations of the three
//! services, the trust between them, token lifetimes, and the faults it starts with.
//!
//! `SandboxConfig::default()` is the honest chain of DESIGN §1: every trust in place, every check on.
//! The client secrets here are demo values printed by `tokenhop-cli sandbox`; they are not secrets, but
//! `Debug` still redacts them so they never teach anyone to log a secret.

use std::fmt;

use crate::faults::Fault;

/// A user of the simulated Entra tenant (and, through the trust, of IAS and XSUAA).
#[derive(Clone)]
pub struct SandboxUser {
    /// The UPN, also used as `preferred_username` and `email`.
    pub username: String,
    /// Display name (`name` claim).
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    /// Entra object id (`oid` claim), a GUID.
    pub oid: String,
    /// Only the password grant (ROPC) checks it; the sign-in page is a demo picker.
    pub password: String,
    /// Assigned to the Entra app; when assignment is required, others get AADSTS50105.
    pub assigned: bool,
    /// IAS `groups` claim.
    pub groups: Vec<String>,
    /// Has a pre-created shadow user in XSUAA (matters only when `xsuaa_shadow_users` is false).
    pub xsuaa_user: bool,
    /// Has a user record in IAS (matters only when `ias_users_only` is on).
    pub ias_user: bool,
}

impl SandboxUser {
    /// An assigned user of the sandbox tenant with a demo password.
    pub fn new(username: &str, given_name: &str, family_name: &str, oid: &str) -> Self {
        Self {
            username: username.to_string(),
            name: format!("{given_name} {family_name}"),
            given_name: given_name.to_string(),
            family_name: family_name.to_string(),
            oid: oid.to_string(),
            password: format!("{}-demo-password", given_name.to_lowercase()),
            assigned: true,
            groups: vec!["TokenHop-Users".to_string()],
            xsuaa_user: true,
            ias_user: true,
        }
    }
}

impl fmt::Debug for SandboxUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxUser")
            .field("username", &self.username)
            .field("name", &self.name)
            .field("oid", &self.oid)
            .field("password", &"***")
            .field("assigned", &self.assigned)
            .field("groups", &self.groups)
            .field("xsuaa_user", &self.xsuaa_user)
            .field("ias_user", &self.ias_user)
            .finish()
    }
}

/// Everything a sandbox is started from. `Default` is the honest service.
#[derive(Clone)]
pub struct SandboxConfig {
    /// `None`: each service on an ephemeral port. `Some(p)`: Entra p, IAS p+1, XSUAA p+2, API p+3.
    pub base_port: Option<u16>,
    /// The Entra tenant GUID (`tid`).
    pub tenant_id: String,
    /// The tenant's domain, accepted in URLs in place of the GUID.
    pub tenant_domain: String,
    /// The Entra app registration IAS trusts.
    pub entra_client_id: String,
    /// Its display name, quoted in AADSTS50105.
    pub entra_app_name: String,
    /// A Web (confidential) registration: the client secret is then required (AADSTS7000218).
    pub entra_confidential: bool,
    /// The Entra client secret of a confidential registration.
    pub entra_client_secret: String,
    /// Registered redirect URIs. `http://localhost` and `http://127.0.0.1` match on any port.
    pub entra_redirect_uris: Vec<String>,
    /// Users not assigned to the app are refused (AADSTS50105).
    pub entra_assignment_required: bool,
    /// Advertise and send `iss` in authorization responses (RFC 9207). Real Entra does not.
    pub entra_iss_parameter: bool,
    pub users: Vec<SandboxUser>,
    pub ias_client_id: String,
    pub ias_client_secret: String,
    /// IAS tenant id (`app_tid`), also the value XSUAA expects in `X-zid`.
    pub ias_tenant_id: String,
    /// Issuer IAS trusts as corporate IdP; `None`: this sandbox's Entra issuer.
    pub ias_trusted_issuer: Option<String>,
    /// Client id IAS expects in the Entra token's `aud`; `None`: `entra_client_id`.
    pub ias_trusted_client_id: Option<String>,
    /// Failed client authentications before IAS locks the client.
    pub ias_lockout_threshold: u32,
    /// How long a locked IAS client stays locked.
    pub ias_lockout_secs: u64,
    /// XSUAA relying-party client id of the subaccount, e.g. `sb-tokenhop-demo!t1234`.
    pub xsuaa_client_id: String,
    pub xsuaa_client_secret: String,
    /// The xsappname; scopes are prefixed with it.
    pub xsuaa_xsappname: String,
    /// The subaccount's zone id (`zid`).
    pub xsuaa_zid: String,
    /// The origin key of the IAS trust in the subaccount (`origin` claim).
    pub xsuaa_origin: String,
    /// The relying party of the subaccount's OIDC trust to IAS (the client ID of the IAS application the trust
    /// created); `None`: `ias_client_id`, i.e. the demo IAS application is the trust's own.
    pub xsuaa_trust_client_id: Option<String>,
    /// The IAS application has `xsuaa-cross-consumption: true`: IAS adds the trust application's client ID to the
    /// `aud` of the tokens it issues to it (SAP Help, "Reference Information for the Identity Service of SAP BTP").
    pub ias_xsuaa_cross_consumption: bool,
    /// "Allow Identity Authentication users only": IAS refuses users it has no user record for. Off by default,
    /// as in IAS, so users known only to the corporate IdP pass.
    pub ias_users_only: bool,
    /// XSUAA creates shadow users on first login; when false only users with `xsuaa_user` may log in.
    pub xsuaa_shadow_users: bool,
    /// Scopes XSUAA grants every user.
    pub xsuaa_scopes: Vec<String>,
    /// The scope `/api/me` requires (403 without it).
    pub api_required_scope: Option<String>,
    /// The sign-in page submits itself as this user (for headless browsers in e2e tests).
    pub auto_sign_in: Option<String>,
    /// Entra authorization codes live this long.
    pub code_lifetime_secs: u64,
    /// Entra ID and access tokens (Entra: 1 h).
    pub entra_token_lifetime_secs: u64,
    /// An Entra refresh token unused this long is refused with AADSTS700082 (Entra: 90 days).
    pub entra_refresh_max_inactive_secs: u64,
    /// IAS tokens.
    pub ias_token_lifetime_secs: u64,
    /// XSUAA access tokens (43200 s, as on BTP).
    pub xsuaa_token_lifetime_secs: u64,
    /// Device codes (Entra: 15 min).
    pub device_code_lifetime_secs: u64,
    /// Polling interval the device code response asks for; faster polls get `slow_down`.
    pub device_poll_interval_secs: u64,
    /// Faults active from the start (none by default).
    /// Certificate bindings: IAS serves over TLS (client certificates optional) and XSUAA gets its certificate
    /// host (client certificate required), both with the sandbox's own CA; the demo clients get certificates.
    pub x509: bool,
    pub faults: Vec<Fault>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        let domain = "sandbox.onmicrosoft.com";
        let user = |name: &str, family: &str, oid: &str| {
            SandboxUser::new(&format!("{}@{domain}", name.to_lowercase()), name, family, oid)
        };
        let mut carol = user("Carol", "Clark", "5d4c3b2a-1f0e-4d9c-8b7a-6a5b4c3d2e1f");
        carol.assigned = false;
        let mut dave = user("Dave", "Davis", "0f1e2d3c-4b5a-4968-8776-655443322110");
        dave.xsuaa_user = false;
        dave.ias_user = false;
        Self {
            base_port: None,
            tenant_id: "6f1c2a6e-4d1b-4f7e-9c55-5b8a7c2d0e11".into(),
            tenant_domain: domain.into(),
            entra_client_id: "3c5e7a91-2b4d-4f60-8e1a-9d7c5b3a1f02".into(),
            entra_app_name: "TokenHop Sandbox".into(),
            entra_confidential: false,
            entra_client_secret: "Xq8~sandbox.demo-Entra_secret+only/4=".into(),
            entra_redirect_uris: vec!["http://localhost".into()],
            entra_assignment_required: true,
            entra_iss_parameter: false,
            users: vec![
                user("Alice", "Adams", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
                user("Bob", "Brown", "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"),
                carol,
                dave,
            ],
            ias_client_id: "9b2f4c6d-8e1a-4b3c-a5d7-e9f1a3b5c7d9".into(),
            ias_client_secret: "Ias+Demo/Secret=with+plus/slash==".into(),
            ias_tenant_id: "4a6c8e0f-2b4d-4f6a-8c0e-2a4c6e8f0b1d".into(),
            ias_trusted_issuer: None,
            ias_trusted_client_id: None,
            ias_lockout_threshold: 5,
            ias_lockout_secs: 60 * 60,
            xsuaa_client_id: "sb-tokenhop-demo!t1234".into(),
            xsuaa_client_secret: "c0ffee42-demo-4xsuaa$Zm9v+YmFy/YmF6=".into(),
            xsuaa_xsappname: "tokenhop-demo!t1234".into(),
            xsuaa_zid: "7e9a1c3b-5d7f-4a9c-8e0b-2d4f6a8c0e13".into(),
            xsuaa_origin: "sap.custom".into(),
            xsuaa_trust_client_id: None,
            ias_xsuaa_cross_consumption: false,
            ias_users_only: false,
            xsuaa_shadow_users: true,
            xsuaa_scopes: vec!["openid".into(), "tokenhop-demo!t1234.Read".into(), "uaa.user".into()],
            api_required_scope: Some("tokenhop-demo!t1234.Read".into()),
            auto_sign_in: None,
            code_lifetime_secs: 600,
            entra_token_lifetime_secs: 3600,
            entra_refresh_max_inactive_secs: 90 * 24 * 3600,
            ias_token_lifetime_secs: 3600,
            xsuaa_token_lifetime_secs: 43200,
            device_code_lifetime_secs: 900,
            device_poll_interval_secs: 5,
            faults: Vec::new(),
            x509: false,
        }
    }
}

impl SandboxConfig {
    /// The user with this UPN or email, case-insensitively.
    pub fn user(&self, username: &str) -> Option<&SandboxUser> {
        let wanted = username.trim();
        self.users.iter().find(|u| u.username.eq_ignore_ascii_case(wanted))
    }

    /// The tenant segment of a URL names this tenant (GUID or domain, any case).
    pub fn is_tenant(&self, segment: &str) -> bool {
        segment.eq_ignore_ascii_case(&self.tenant_id) || segment.eq_ignore_ascii_case(&self.tenant_domain)
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("base_port", &self.base_port)
            .field("tenant_id", &self.tenant_id)
            .field("tenant_domain", &self.tenant_domain)
            .field("entra_client_id", &self.entra_client_id)
            .field("entra_confidential", &self.entra_confidential)
            .field("entra_client_secret", &"***")
            .field("entra_redirect_uris", &self.entra_redirect_uris)
            .field("users", &self.users)
            .field("ias_client_id", &self.ias_client_id)
            .field("ias_client_secret", &"***")
            .field("xsuaa_client_id", &self.xsuaa_client_id)
            .field("xsuaa_client_secret", &"***")
            .field("xsuaa_trust_client_id", &self.xsuaa_trust_client_id)
            .field("ias_xsuaa_cross_consumption", &self.ias_xsuaa_cross_consumption)
            .field("ias_users_only", &self.ias_users_only)
            .field("auto_sign_in", &self.auto_sign_in)
            .field("faults", &self.faults)
            .field("x509", &self.x509)
            .finish_non_exhaustive()
    }
}
