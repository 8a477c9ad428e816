//! Pasting BTP service keys: real-shaped XSUAA keys and SAP Cloud Identity bindings (as the BTP cockpit and
//! `cf service-key` print them), their wrappers, and the errors people hit.

use std::path::Path;

use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{
    apply_service_key, parse_service_key, validate, ClientAuth, Credential, ServiceKey, ServiceKeyError,
};
use tokenhop_core::secrets::{MemoryStore, SecretKind, SecretStore};

/// The shape of an XSUAA service key from the BTP cockpit (values invented).
const XSUAA_KEY: &str = r#"{
  "apiurl": "https://api.authentication.eu10.hana.ondemand.com",
  "clientid": "sb-orders-app!t48213",
  "clientsecret": "a1b2c3d4-e5f6-7890-abcd-ef1234567890$Zk3j+f/9Qw==",
  "credential-type": "binding-secret",
  "identityzone": "acme-dev",
  "identityzoneid": "6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e",
  "sburl": "https://internal-xsuaa.authentication.eu10.hana.ondemand.com",
  "serviceInstanceId": "0f4c8b0e-7c1d-4b8e-9d2a-3e5f6a7b8c9d",
  "subaccountid": "6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e",
  "tenantid": "6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e",
  "tenantmode": "dedicated",
  "uaadomain": "authentication.eu10.hana.ondemand.com",
  "url": "https://acme-dev.authentication.eu10.hana.ondemand.com",
  "verificationkey": "-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAm1QaZzMjtEfHdimrHP3-----END PUBLIC KEY-----",
  "xsappname": "orders-app!t48213",
  "zoneid": "6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e"
}"#;

/// The shape of an SAP Cloud Identity Services (`identity` service) binding with a secret.
const IAS_BINDING: &str = r#"{
  "credentials": {
    "app_tid": "6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e",
    "authorization_endpoint": "https://acme.accounts.ondemand.com/oauth2/authorize",
    "clientid": "3f1c2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "clientsecret": "pCghfbrLudwzXM2fPq7YSIhujAmpHj_I0DeMKHKRAqs=",
    "credential-type": "SECRET",
    "domain": "accounts.ondemand.com",
    "domains": ["accounts.ondemand.com", "accounts.cloud.sap"],
    "end_session_endpoint": "https://acme.accounts.ondemand.com/oauth2/logout",
    "token_endpoint": "https://acme.accounts.ondemand.com/oauth2/token",
    "url": "https://acme.accounts.ondemand.com"
  }
}"#;

fn base_profile() -> tokenhop_core::profile::Profile {
    let text =
        "name = \"Pasted\"\n[entra]\ntenant = \"contoso.com\"\nclient_id = \"00000000-0000-0000-0000-000000000001\"\n";
    parse_profile(text, Path::new("p.toml")).unwrap()
}

#[test]
fn an_xsuaa_service_key_fills_the_xsuaa_section_and_yields_its_secret() {
    let key = parse_service_key(XSUAA_KEY).unwrap();
    let ServiceKey::Xsuaa { config, credential: Credential::Secret(secret), identity_zone, tenant_id, xsappname } =
        &key
    else {
        panic!("an XSUAA key must be recognised as such: {key:?}")
    };
    assert_eq!(config.url, "https://acme-dev.authentication.eu10.hana.ondemand.com");
    assert_eq!(config.client_id, "sb-orders-app!t48213");
    assert_eq!(secret.expose_secret(), "a1b2c3d4-e5f6-7890-abcd-ef1234567890$Zk3j+f/9Qw==");
    assert_eq!(identity_zone.as_deref(), Some("acme-dev"));
    assert_eq!(tenant_id.as_deref(), Some("6b2c1d9e-4f1a-4a57-9c3e-2f7a1b8c9d0e"));
    assert_eq!(xsappname.as_deref(), Some("orders-app!t48213"));
    assert!(!format!("{key:?}").contains("Zk3j"), "Debug output must not show the secret");
    assert_eq!(key.secrets().iter().map(|(k, _)| *k).collect::<Vec<_>>(), [SecretKind::XsuaaClientSecret]);
}

#[test]
fn an_ias_binding_fills_the_ias_section_and_the_secret_goes_to_the_store_not_the_profile() {
    let mut profile = base_profile();
    let applied = apply_service_key(&mut profile, parse_service_key(IAS_BINDING).unwrap());
    let [(kind, secret)] = applied.secrets.try_into().expect("one secret");
    assert_eq!(kind, SecretKind::IasClientSecret);
    let ias = profile.ias.as_ref().expect("the IAS section is filled");
    assert_eq!(ias.url, "https://acme.accounts.ondemand.com");
    assert_eq!(ias.client_id, "3f1c2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f");
    assert_eq!(validate(&profile), vec![], "a pasted binding yields a valid profile");

    let store = MemoryStore::new();
    store.set("pasted", kind, &secret).unwrap();
    assert_eq!(
        store.get("pasted", kind).unwrap().unwrap().expose_secret(),
        "pCghfbrLudwzXM2fPq7YSIhujAmpHj_I0DeMKHKRAqs="
    );
    let file = tokenhop_core::profile::file::to_toml(&profile);
    assert!(!file.contains("pCghfbr"), "the secret must never be part of the profile file:\n{file}");
}

#[test]
fn applying_a_key_keeps_the_users_choices_in_an_existing_section() {
    let mut profile = base_profile();
    apply_service_key(&mut profile, parse_service_key(XSUAA_KEY).unwrap());
    let xsuaa = profile.xsuaa.as_mut().unwrap();
    xsuaa.client_auth = ClientAuth::Post;
    xsuaa.scope = Some("orders-app!t48213.Read".into());
    let rotated = XSUAA_KEY.replace("sb-orders-app!t48213", "sb-orders-app!t99999");
    apply_service_key(&mut profile, parse_service_key(&rotated).unwrap());
    let xsuaa = profile.xsuaa.unwrap();
    assert_eq!(xsuaa.client_id, "sb-orders-app!t99999", "the new key's client id wins");
    assert_eq!(xsuaa.client_auth, ClientAuth::Post, "the user's client_auth is kept");
    assert_eq!(xsuaa.scope.as_deref(), Some("orders-app!t48213.Read"), "the user's scope is kept");
}

#[test]
fn wrapped_keys_are_unwrapped() {
    let wrapped = format!("{{\"credentials\": {XSUAA_KEY}}}");
    let vcap =
        format!("{{\"xsuaa\": [{{\"name\": \"orders-xsuaa\", \"label\": \"xsuaa\", \"credentials\": {XSUAA_KEY}}}]}}");
    for (case, json) in [("credentials", wrapped), ("VCAP_SERVICES", vcap)] {
        assert!(matches!(parse_service_key(&json), Ok(ServiceKey::Xsuaa { .. })), "{case} wrapper");
    }
}

#[test]
fn bad_pastes_get_errors_that_say_what_is_wrong() {
    let no_secret = XSUAA_KEY.replace("\"clientsecret\"", "\"other\"");
    let no_url = IAS_BINDING.replace("\"url\"", "\"uri\"");
    let x509_xsuaa = XSUAA_KEY
        .replace("\"clientsecret\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890$Zk3j+f/9Qw==\",", "\"certificate\": \"-----BEGIN CERTIFICATE-----\",\"key\": \"-----BEGIN RSA PRIVATE KEY-----\",\"certurl\": \"https://acme-dev.authentication.cert.eu10.hana.ondemand.com\",")
        .replace("binding-secret", "x509");
    let x509_ias = IAS_BINDING
        .replace(
            "\"clientsecret\": \"pCghfbrLudwzXM2fPq7YSIhujAmpHj_I0DeMKHKRAqs=\",",
            "\"certificate\": \"-----BEGIN CERTIFICATE-----\",",
        )
        .replace("\"SECRET\"", "\"X509_GENERATED\"");
    let two = format!("{{\"xsuaa\": [{{\"credentials\": {XSUAA_KEY}}}, {{\"credentials\": {XSUAA_KEY}}}]}}");
    type Check = fn(&ServiceKeyError) -> bool;
    let cases: Vec<(&str, String, Check, &str)> = vec![
        (
            "truncated JSON",
            XSUAA_KEY[..200].to_owned(),
            |e| matches!(e, ServiceKeyError::Json { .. }),
            "service_key.json",
        ),
        ("not an object", "[1, 2]".into(), |e| matches!(e, ServiceKeyError::NotAKey(_)), "service_key.unrecognized"),
        (
            "unrelated JSON",
            r#"{"hello": "world"}"#.into(),
            |e| matches!(e, ServiceKeyError::NotAKey(_)),
            "service_key.unrecognized",
        ),
        (
            "no secret",
            no_secret,
            |e| matches!(e, ServiceKeyError::MissingField { field: "clientsecret", .. }),
            "service_key.missing_field",
        ),
        (
            "no url",
            no_url,
            |e| matches!(e, ServiceKeyError::MissingField { field: "url", kind: "IAS" }),
            "service_key.missing_field",
        ),
        (
            "IAS X.509 without key",
            x509_ias,
            |e| matches!(e, ServiceKeyError::X509WithoutKey { kind: "IAS" }),
            "service_key.x509_without_key",
        ),
        (
            "two bindings",
            two,
            |e| matches!(e, ServiceKeyError::NotAKey(m) if m.contains("2 bindings")),
            "service_key.unrecognized",
        ),
    ];
    for (case, json, check, code) in cases {
        let err = parse_service_key(&json).expect_err(case);
        assert!(check(&err), "{case}: unexpected error {err:?}");
        let diagnosis = err.diagnosis();
        assert_eq!(diagnosis.code, code, "{case}");
        assert!(!diagnosis.hint.is_empty(), "{case}: a hint is given");
    }
    let x509 = parse_service_key(&XSUAA_KEY.replace("\"clientsecret\"", "\"certificate\"")).unwrap_err();
    assert!(x509.diagnosis().hint.contains("X509_GENERATED"), "{:?}", x509.diagnosis());
    let _ = x509_xsuaa;
    let json = parse_service_key("{\n  \"clientid\": \"x\",\n  oops\n}").unwrap_err();
    assert!(matches!(json, ServiceKeyError::Json { line: 3, .. }), "JSON errors carry the line: {json:?}");
}

#[test]
fn an_x509_key_sets_client_auth_and_cert_url_and_hands_back_certificate_and_key() {
    let x509 = XSUAA_KEY
        .replace(
            "\"clientsecret\": \"a1b2c3d4-e5f6-7890-abcd-ef1234567890$Zk3j+f/9Qw==\",",
            "\"certificate\": \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\",\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----\",\"certurl\": \"https://acme-dev.authentication.cert.eu10.hana.ondemand.com/\",",
        )
        .replace("binding-secret", "x509");
    // As `cf service-key` prints it: a heading line, then the JSON.
    let cf_output = format!("Getting key orders-key for service instance orders-xsuaa as alice@acme.com...\n\n{x509}");
    let mut profile = base_profile();
    apply_service_key(&mut profile, parse_service_key(XSUAA_KEY).unwrap());
    let applied = apply_service_key(&mut profile, parse_service_key(&cf_output).unwrap());
    let xsuaa = profile.xsuaa.as_ref().unwrap();
    assert_eq!(xsuaa.client_auth, ClientAuth::X509, "a certificate key switches to x509");
    assert_eq!(xsuaa.cert_url.as_deref(), Some("https://acme-dev.authentication.cert.eu10.hana.ondemand.com"));
    let kinds: Vec<SecretKind> = applied.secrets.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, [SecretKind::XsuaaClientCertificate, SecretKind::XsuaaClientKey]);
    assert!(applied.changes.iter().any(|c| c == "xsuaa.client_auth: post → x509"), "{:?}", applied.changes);
    assert!(applied.changes.iter().all(|c| !c.contains("PRIVATE KEY")), "changes never show key material");
    let file = tokenhop_core::profile::file::to_toml(&profile);
    assert!(!file.contains("BEGIN"), "neither certificate nor key reaches the profile file:\n{file}");
    let errors = validate(&profile);
    assert!(
        errors.iter().all(|e| e.field != "xsuaa.cert_url" && e.field != "xsuaa.url"),
        "the applied section is valid: {errors:?}"
    );

    // Back to a secret: x509 turns into post.
    let applied = apply_service_key(&mut profile, parse_service_key(XSUAA_KEY).unwrap());
    assert_eq!(profile.xsuaa.as_ref().unwrap().client_auth, ClientAuth::Post);
    assert_eq!(applied.secrets.len(), 1);
}

#[test]
fn an_ias_key_id_stays_with_client_assertions_and_goes_with_them() {
    let mut profile = base_profile();
    apply_service_key(&mut profile, parse_service_key(IAS_BINDING).unwrap());
    let ias = profile.ias.as_mut().unwrap();
    ias.client_auth = ClientAuth::PrivateKeyJwt;
    ias.assertion_kid = Some("tokenhop-2026".into());

    // A rotated secret binding: the user's private-key-jwt choice, and its key ID, stay.
    apply_service_key(&mut profile, parse_service_key(IAS_BINDING).unwrap());
    assert_eq!(profile.ias.as_ref().unwrap().assertion_kid.as_deref(), Some("tokenhop-2026"));

    // A certificate binding switches to x509, where a key ID means nothing: it goes.
    let x509 = IAS_BINDING
        .replace(
            "\"clientsecret\": \"pCghfbrLudwzXM2fPq7YSIhujAmpHj_I0DeMKHKRAqs=\",",
            "\"certificate\": \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\",\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----\",",
        )
        .replace("\"SECRET\"", "\"X509_GENERATED\"");
    apply_service_key(&mut profile, parse_service_key(&x509).unwrap());
    let ias = profile.ias.as_ref().unwrap();
    assert_eq!((ias.client_auth, ias.assertion_kid.as_deref()), (ClientAuth::X509, None));
    assert!(validate(&profile).iter().all(|e| e.field != "ias.assertion_kid"), "{:?}", validate(&profile));
}
