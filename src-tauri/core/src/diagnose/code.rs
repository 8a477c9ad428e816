//! Every diagnosis code, in one list. A [`Code`] can only be made here, so a code the UI or a script branches
//! on cannot be mistyped at a call site, and [`ALL`] is the list a test checks and a reader looks up.

use std::fmt;

/// A stable diagnosis code: `<area>.<what>` (`entra.redirect_mismatch`, `xsuaa.audience`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Code> for String {
    fn eq(&self, other: &Code) -> bool {
        self == other.0
    }
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $text:literal;)*) => {
        $($(#[$doc])* pub const $name: Code = Code($text);)*
        /// Every code, in the order of this file.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    /// The user (or a newer run) cancelled.
    CANCELLED = "cancelled";

    // api
    API_NOT_CONFIGURED = "api.not_configured";
    API_STATUS = "api.status";

    // app
    APP_HTTP_CLIENT = "app.http_client";
    APP_NO_SANDBOX = "app.no_sandbox";
    APP_SANDBOX_BUSY = "app.sandbox_busy";

    // certificate
    CERTIFICATE_ENCRYPTED_KEY = "certificate.encrypted_key";
    CERTIFICATE_EXPIRED = "certificate.expired";
    CERTIFICATE_KEY_MISMATCH = "certificate.key_mismatch";
    CERTIFICATE_NOT_A_CERTIFICATE = "certificate.not_a_certificate";
    CERTIFICATE_NOT_A_KEY = "certificate.not_a_key";
    CERTIFICATE_NOT_YET_VALID = "certificate.not_yet_valid";
    CERTIFICATE_UNSUPPORTED_KEY = "certificate.unsupported_key";
    CERTIFICATE_SIGNING_FAILED = "certificate.signing_failed";
    CERTIFICATE_THUMBPRINT_MISSING = "certificate.thumbprint_missing";

    // chain
    CHAIN_BUSY = "chain.busy";
    CHAIN_NO_INPUT = "chain.no_input";
    CHAIN_NO_PROFILE = "chain.no_profile";
    CHAIN_NOTHING_TO_REFRESH = "chain.nothing_to_refresh";

    // cli
    CLI_EMPTY_SECRET = "cli.empty_secret";
    CLI_EXPORT_NEEDS_ONE_PROFILE = "cli.export_needs_one_profile";
    CLI_JUNIT_WRITE = "cli.junit_write";
    CLI_KEY_KIND = "cli.key_kind";
    CLI_NO_PROFILES = "cli.no_profiles";
    CLI_OUTPUT = "cli.output";
    CLI_READ_KEY = "cli.read_key";
    CLI_STDIN = "cli.stdin";

    // entra
    ENTRA_ACCESS_DENIED = "entra.access_denied";
    ENTRA_APP_NOT_FOUND = "entra.app_not_found";
    ENTRA_AUTHORIZATION_ERROR = "entra.authorization_error";
    ENTRA_BAD_PASSWORD = "entra.bad_password";
    ENTRA_BAD_SECRET = "entra.bad_secret";
    ENTRA_CODE_REUSED = "entra.code_reused";
    ENTRA_CONDITIONAL_ACCESS = "entra.conditional_access";
    ENTRA_CONSENT_REQUIRED = "entra.consent_required";
    ENTRA_CROSS_ORIGIN = "entra.cross_origin";
    ENTRA_DEVICE_CODE_EXPIRED = "entra.device_code_expired";
    ENTRA_DISCOVERY_INCOMPLETE = "entra.discovery_incomplete";
    ENTRA_DISCOVERY_MALFORMED = "entra.discovery_malformed";
    ENTRA_DISCOVERY_NOT_FOUND = "entra.discovery_not_found";
    ENTRA_ERROR = "entra.error";
    ENTRA_EXPIRED_SECRET = "entra.expired_secret";
    ENTRA_ISSUER_MISMATCH = "entra.issuer_mismatch";
    ENTRA_JWKS_UNAVAILABLE = "entra.jwks_unavailable";
    ENTRA_MFA_REGISTRATION = "entra.mfa_registration";
    ENTRA_MFA_REQUIRED = "entra.mfa_required";
    ENTRA_NO_ID_TOKEN = "entra.no_id_token";
    ENTRA_NO_REQUEST = "entra.no_request";
    ENTRA_NOT_V2 = "entra.not_v2";
    ENTRA_PASSWORD_MISSING = "entra.password_missing";
    ENTRA_PKCE_MISMATCH = "entra.pkce_mismatch";
    ENTRA_PUBLIC_CLIENT_SECRET = "entra.public_client_secret";
    ENTRA_REDIRECT_MISMATCH = "entra.redirect_mismatch";
    ENTRA_REDIRECT_URI = "entra.redirect_uri";
    ENTRA_SECRET_REQUIRED = "entra.secret_required";
    ENTRA_SIGN_IN_CHANGED_USER = "entra.sign_in_changed_user";
    ENTRA_SIGN_IN_REQUIRED = "entra.sign_in_required";
    ENTRA_SINGLE_TENANT_ON_COMMON = "entra.single_tenant_on_common";
    ENTRA_SPA_REDIRECT = "entra.spa_redirect";
    ENTRA_STATE_MISMATCH = "entra.state_mismatch";
    ENTRA_TIMEOUT = "entra.timeout";
    ENTRA_USER_NOT_ASSIGNED = "entra.user_not_assigned";
    ENTRA_USERNAME_MISSING = "entra.username_missing";
    ENTRA_V1_TOKEN = "entra.v1_token";
    ENTRA_ASSERTION_AUDIENCE = "entra.assertion_audience";
    ENTRA_ASSERTION_CLIENT_ID = "entra.assertion_client_id";
    ENTRA_ASSERTION_SIGNATURE = "entra.assertion_signature";
    ENTRA_ASSERTION_TIME = "entra.assertion_time";
    ENTRA_INVALID_JWT = "entra.invalid_jwt";

    // export
    EXPORT_CLIPBOARD = "export.clipboard";
    EXPORT_INVALID_FILE_NAME = "export.invalid_file_name";
    EXPORT_INVALID_PATH = "export.invalid_path";
    EXPORT_IO = "export.io";
    EXPORT_NO_RUN = "export.no_run";
    EXPORT_NO_TOKENS = "export.no_tokens";
    EXPORT_SERIALIZE = "export.serialize";
    EXPORT_UNKNOWN_FORMAT = "export.unknown_format";
    EXPORT_CLIENT_CERTS_CURL_ONLY = "export.client_certs_curl_only";

    // history
    HISTORY_IO = "history.io";
    HISTORY_NOT_FOUND = "history.not_found";
    HISTORY_NOT_IN_SESSION = "history.not_in_session";

    // http
    HTTP_CA_FILE = "http.ca_file";
    HTTP_CONNECT = "http.connect";
    HTTP_DNS = "http.dns";
    HTTP_ERROR = "http.error";
    HTTP_HTML_PAGE = "http.html_page";
    HTTP_INSECURE_URL = "http.insecure_url";
    HTTP_INVALID_URL = "http.invalid_url";
    HTTP_NOT_JSON = "http.not_json";
    HTTP_SERVER_ERROR = "http.server_error";
    HTTP_TIMEOUT = "http.timeout";
    HTTP_TLS = "http.tls";
    HTTP_TOO_LARGE = "http.too_large";

    // ias
    IAS_ASSERTION_REFUSED = "ias.assertion_refused";
    IAS_BAD_SIGNATURE = "ias.bad_signature";
    IAS_ERROR = "ias.error";
    IAS_GRANT_NOT_ENABLED = "ias.grant_not_enabled";
    IAS_INVALID_CLIENT = "ias.invalid_client";
    IAS_INVALID_REQUEST = "ias.invalid_request";
    IAS_NO_REFRESH_TOKEN = "ias.no_refresh_token";
    IAS_NOT_CONFIGURED = "ias.not_configured";

    // loopback
    LOOPBACK_BIND = "loopback.bind";
    LOOPBACK_PORT_IN_USE = "loopback.port_in_use";

    // matrix
    MATRIX_BUSY = "matrix.busy";

    // oauth
    OAUTH_MALFORMED_RESPONSE = "oauth.malformed_response";
    OAUTH_NO_TOKENS = "oauth.no_tokens";

    // profile
    PROFILE_ALREADY_EXISTS = "profile.already_exists";
    PROFILE_INVALID = "profile.invalid";
    PROFILE_IO = "profile.io";
    PROFILE_NAME_CHANGED = "profile.name_changed";
    PROFILE_NO_CONFIG_DIR = "profile.no_config_dir";
    PROFILE_NOT_A_PROFILE = "profile.not_a_profile";
    PROFILE_NOT_FOUND = "profile.not_found";
    PROFILE_PARSE = "profile.parse";
    PROFILE_UNSUPPORTED_VERSION = "profile.unsupported_version";

    // refresh
    REFRESH_NOT_REFRESHABLE = "refresh.not_refreshable";

    // secrets
    SECRETS_KEYCHAIN = "secrets.keychain";
    SECRETS_MISSING = "secrets.missing";
    SECRETS_NOT_A_CERTIFICATE = "secrets.not_a_certificate";
    SECRETS_UNAVAILABLE = "secrets.unavailable";

    // service_key
    SERVICE_KEY_JSON = "service_key.json";
    SERVICE_KEY_MISSING_FIELD = "service_key.missing_field";
    SERVICE_KEY_UNRECOGNIZED = "service_key.unrecognized";
    SERVICE_KEY_X509_WITHOUT_KEY = "service_key.x509_without_key";

    // tls
    TLS_CLIENT_CERTIFICATE_REFUSED = "tls.client_certificate_refused";
    TLS_CLIENT_CERTIFICATE_REQUIRED = "tls.client_certificate_required";
    TLS_CLIENT_IDENTITY = "tls.client_identity";
    TLS_EXPIRED = "tls.expired";
    TLS_UNKNOWN_CA = "tls.unknown_ca";
    TLS_WRONG_HOST = "tls.wrong_host";

    // token
    TOKEN_ALG_NOT_ALLOWED = "token.alg_not_allowed";
    TOKEN_AMBIGUOUS_KEY = "token.ambiguous_key";
    TOKEN_BAD_SIGNATURE = "token.bad_signature";
    TOKEN_EXPIRED = "token.expired";
    TOKEN_INVALID = "token.invalid";
    TOKEN_MALFORMED = "token.malformed";
    TOKEN_NONCE_MISMATCH = "token.nonce_mismatch";
    TOKEN_UNKNOWN_KID = "token.unknown_kid";
    TOKEN_WRONG_AUDIENCE = "token.wrong_audience";
    TOKEN_WRONG_AZP = "token.wrong_azp";
    TOKEN_WRONG_ISSUER = "token.wrong_issuer";

    // xsuaa
    XSUAA_AUDIENCE = "xsuaa.audience";
    XSUAA_BAD_CREDENTIALS = "xsuaa.bad_credentials";
    XSUAA_BAD_CREDENTIALS_ENCODING = "xsuaa.bad_credentials_encoding";
    XSUAA_BAD_SIGNATURE = "xsuaa.bad_signature";
    XSUAA_ERROR = "xsuaa.error";
    XSUAA_EXPIRED = "xsuaa.expired";
    XSUAA_GRANT_NOT_ALLOWED = "xsuaa.grant_not_allowed";
    XSUAA_ISSUER_MISMATCH = "xsuaa.issuer_mismatch";
    XSUAA_NO_REFRESH_TOKEN = "xsuaa.no_refresh_token";
    XSUAA_NOT_CONFIGURED = "xsuaa.not_configured";
    XSUAA_SIGNATURE = "xsuaa.signature";
    XSUAA_UNMAPPED_ISSUER = "xsuaa.unmapped_issuer";
    XSUAA_USER_NOT_FOUND = "xsuaa.user_not_found";
    XSUAA_USERNAME_CLAIM = "xsuaa.username_claim";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_shaped_area_dot_what() {
        let mut seen = std::collections::HashSet::new();
        for code in ALL {
            assert!(seen.insert(code.as_str()), "{code} is listed twice");
            let ok = code.as_str().split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
            assert!(ok && code.as_str().split('.').count() <= 2, "{code} is not `area.what`");
        }
        assert!(ALL.len() > 100, "the list holds every code, not a few: {}", ALL.len());
    }
}
