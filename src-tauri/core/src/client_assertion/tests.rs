use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use jsonwebtoken::{DecodingKey, Validation};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

use super::*;
use crate::certificate::{load_signing_key, x5t_s256};
use crate::diagnose::Diagnose;

/// One RSA key for every test (generation is slow in debug builds): private PEM, public PEM, certificate PEM.
fn rsa() -> &'static (String, String, String) {
    static KEY: OnceLock<(String, String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("RSA key");
        let pem = private.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8").to_string();
        let public = private.to_public_key().to_public_key_pem(LineEnding::LF).expect("SPKI");
        let pair = KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &PKCS_RSA_SHA256).expect("rcgen takes the RSA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "tokenhop-test");
        params.distinguished_name = dn;
        params.not_before = (now() - Duration::from_secs(86_400)).into();
        params.not_after = (now() + Duration::from_secs(30 * 86_400)).into();
        let cert = params.self_signed(&pair).expect("certificate").pem();
        (pem, public, cert)
    })
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn signer(flavor: Flavor, with_certificate: bool) -> Result<AssertionSigner, Diagnosis> {
    let (key, _, cert) = rsa();
    let key = load_signing_key(&Secret::new(key.as_str()), with_certificate.then_some(cert.as_str()), now())
        .expect("a matching RSA pair");
    AssertionSigner::new(key, "client-1", flavor, Arc::new(now))
}

fn decode(assertion: &Secret, alg: jsonwebtoken::Algorithm) -> (jsonwebtoken::Header, serde_json::Value) {
    let public = DecodingKey::from_rsa_pem(rsa().1.as_bytes()).expect("public key");
    let mut validation = Validation::new(alg);
    validation.set_audience(&["https://login.example/t/oauth2/v2.0/token"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion.expose_secret(), &public, &validation)
        .expect("the assertion verifies with the certificate's public key");
    (data.header, data.claims)
}

#[test]
fn an_entra_assertion_is_ps256_with_the_sha256_thumbprint_and_the_documented_claims() {
    let assertion = signer(Flavor::Entra, true).unwrap().sign("https://login.example/t/oauth2/v2.0/token").unwrap();
    let (header, claims) = decode(&assertion, jsonwebtoken::Algorithm::PS256);
    assert_eq!(header.alg, jsonwebtoken::Algorithm::PS256, "Microsoft: alg should be PS256");
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.x5t_s256, Some(x5t_s256(&rsa().2).unwrap()), "x5t#S256 names the registered certificate");
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "client-1", "sub equals iss, the client ID");
    assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token", "aud is the token endpoint");
    let t = 1_795_000_000u64;
    assert_eq!((claims["iat"].as_u64(), claims["nbf"].as_u64()), (Some(t), Some(t)), "issued now, valid from now");
    assert_eq!(claims["exp"].as_u64(), Some(t + 300), "five minutes: within Microsoft's 5-10 minutes");
}

#[test]
fn an_ias_assertion_is_rs256() {
    let assertion = signer(Flavor::Ias, false).unwrap().sign("https://login.example/t/oauth2/v2.0/token").unwrap();
    let (header, _) = decode(&assertion, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.x5t_s256, None, "no certificate stored, no thumbprint");
}

#[test]
fn a_key_id_goes_in_the_header_only_when_the_profile_names_one() {
    let endpoint = "https://login.example/t/oauth2/v2.0/token";
    let named = signer(Flavor::Ias, true).unwrap().with_kid(Some("tokenhop-2026")).sign(endpoint).unwrap();
    let (header, _) = decode(&named, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("tokenhop-2026"));
    assert!(header.x5t_s256.is_some(), "the certificate's thumbprint stays beside it");
    let unnamed = signer(Flavor::Ias, true).unwrap().with_kid(None).sign(endpoint).unwrap();
    assert_eq!(decode(&unnamed, jsonwebtoken::Algorithm::RS256).0.kid, None);
}

#[test]
fn every_assertion_has_its_own_jti() {
    let signer = signer(Flavor::Entra, true).unwrap();
    let jti = |s: &AssertionSigner| {
        decode(&s.sign("https://login.example/t/oauth2/v2.0/token").unwrap(), jsonwebtoken::Algorithm::PS256).1["jti"]
            .clone()
    };
    assert_ne!(jti(&signer), jti(&signer), "an assertion is used once: each request gets a new jti");
}

#[test]
fn entra_without_a_certificate_is_refused_before_sending() {
    let d = signer(Flavor::Entra, false).unwrap_err();
    assert_eq!(d.code, "certificate.thumbprint_missing", "Entra finds the key by x5t#S256");
}

#[test]
fn a_non_rsa_key_cannot_sign_assertions() {
    let ec = KeyPair::generate().expect("an ECDSA key");
    let err = load_signing_key(&Secret::new(ec.serialize_pem()), None, now()).unwrap_err();
    assert_eq!(err.diagnosis().code, "certificate.unsupported_key", "PS256 and RS256 need RSA");
}

#[test]
fn the_signer_and_the_credential_never_print_the_key() {
    let signer = signer(Flavor::Entra, true).unwrap();
    let shown = format!("{signer:?}");
    assert!(!shown.contains("PRIVATE KEY"), "Debug must not show the key: {shown}");
    let fields =
        ClientCredential::Assertion(Box::new(signer)).form_fields("https://login.example/t/oauth2/v2.0/token").unwrap();
    assert_eq!(fields[0], ("client_assertion_type", Secret::new(CLIENT_ASSERTION_TYPE)));
    assert!(!format!("{:?}", fields[1]).contains("eyJ"), "the assertion is a Secret: redacted in Debug");
}
