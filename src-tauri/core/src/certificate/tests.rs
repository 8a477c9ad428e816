use std::time::{Duration, SystemTime};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

use super::*;

/// A self-signed certificate for `cn`, valid from `from` for `days`, with its key.
fn issue(cn: &str, from: SystemTime, days: u64) -> (String, KeyPair) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = from.into();
    params.not_after = (from + Duration::from_secs(days * 86_400)).into();
    let cert = params.self_signed(&key).expect("certificate");
    (cert.pem(), key)
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

#[test]
fn a_matching_valid_pair_loads_and_shows_its_public_facts() {
    let (cert, key) = issue("sb-app!t42", now() - Duration::from_secs(86_400), 30);
    let id = load_identity(&cert, &Secret::new(key.serialize_pem()), now()).expect("a matching pair loads");
    assert_eq!(id.facts.subject, "CN=sb-app!t42");
    assert_eq!(id.facts.days_left, 29, "valid 30 days from yesterday: 29 left");
    assert!(!id.facts.expires_soon);
    assert_eq!(id.facts.sha256_thumbprint.len(), 32 * 3 - 1, "32 hex pairs with colons");
    assert!(!format!("{id:?}").contains("PRIVATE KEY"), "Debug must not show the key");
}

#[test]
fn each_pem_problem_gets_its_own_code() {
    let (cert, key) = issue("client", now() - Duration::from_secs(86_400), 30);
    let (_, other_key) = issue("other", now() - Duration::from_secs(86_400), 30);
    let (expired, expired_key) = issue("old", now() - Duration::from_secs(40 * 86_400), 30);
    let (future, future_key) = issue("future", now() + Duration::from_secs(86_400), 30);
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let cases: [(&str, &str, String, &str); 7] = [
        ("a certificate as key", &cert, cert.clone(), "certificate.not_a_key"),
        ("plain text as key", &cert, "hello".into(), "certificate.not_a_key"),
        ("an encrypted key", &cert, encrypted.into(), "certificate.encrypted_key"),
        ("another binding's key", &cert, other_key.serialize_pem(), "certificate.key_mismatch"),
        ("an expired certificate", &expired, expired_key.serialize_pem(), "certificate.expired"),
        ("a certificate of tomorrow", &future, future_key.serialize_pem(), "certificate.not_yet_valid"),
        ("a key as certificate", &key.serialize_pem(), key.serialize_pem(), "certificate.not_a_certificate"),
    ];
    for (case, cert, key, code) in cases {
        let err = load_identity(cert, &Secret::new(key), now()).expect_err(case);
        assert_eq!(err.diagnosis().code, code, "{case}: {err}");
    }
}

#[test]
fn an_expired_certificate_names_its_not_after() {
    let (cert, key) = issue("old", now() - Duration::from_secs(40 * 86_400), 30);
    let d = load_identity(&cert, &Secret::new(key.serialize_pem()), now()).unwrap_err().diagnosis();
    let not_after = facts(&cert, now()).unwrap().not_after;
    assert!(d.message.contains(&not_after), "the message shows notAfter: {}", d.message);
}

#[test]
fn the_warning_starts_fourteen_days_ahead() {
    let day = Duration::from_secs(86_400);
    let (soon, _) = issue("soon", now() - day * 17, 30);
    let (later, _) = issue("later", now() - day, 16);
    assert!(facts(&soon, now()).unwrap().expires_soon, "13 days left warns");
    assert!(!facts(&later, now()).unwrap().expires_soon, "15 days left does not");
    assert!(facts(&soon, now()).unwrap().validity_sentence().contains("renew"));
}

#[test]
fn a_short_lived_certificate_warns_in_the_last_half_of_its_life_not_from_its_first_day() {
    // BTP's managed certificates live 7 days by default.
    let day = Duration::from_secs(86_400);
    let (fresh, _) = issue("fresh", now() - day, 7);
    let (ageing, _) = issue("ageing", now() - day * 4, 7);
    assert!(!facts(&fresh, now()).unwrap().expires_soon, "6 of 7 days left: no warning yet");
    assert!(facts(&ageing, now()).unwrap().expires_soon, "3 of 7 days left: renew it soon");
}

#[test]
fn x5t_s256_is_the_base64url_sha256_of_the_der() {
    let (cert, _) = issue("client", now(), 1);
    let hex = facts(&cert, now()).unwrap().sha256_thumbprint.replace(':', "");
    let b64 = x5t_s256(&cert).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&b64).unwrap();
    let again: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(again, hex, "x5t#S256 and the shown thumbprint are the same digest");
}
