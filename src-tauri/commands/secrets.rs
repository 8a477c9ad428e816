//! Secrets are write-only for the UI: values go in, only where each one would come from goes out.

use std::collections::BTreeMap;

use tauri::State;
use tokenhop_core::certificate::{self, CertificateFacts};
use tokenhop_core::diagnose::{code, Diagnose};
use tokenhop_core::secrets::{SecretKind, SecretSource};
use tokenhop_core::Secret;

use crate::state::AppState;
use crate::AppError;

/// Stores the value in the keychain, or for this session when there is no keychain.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn secrets_set(
    state: State<'_, AppState>,
    slug: String,
    kind: SecretKind,
    value: String,
) -> Result<(), AppError> {
    let value = Secret::new(value);
    state.secrets().await.set(&slug, kind, &value)?;
    Ok(())
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn secrets_delete(state: State<'_, AppState>, slug: String, kind: SecretKind) -> Result<(), AppError> {
    Ok(state.secrets().await.delete(&slug, kind)?)
}

/// The public facts of the profile's client certificate for IAS, XSUAA or the Entra app (subject, issuer, notAfter, SHA-256
/// thumbprint), shown where a secret field would be; `None` when none is stored. Only the certificate is read:
/// its private key never crosses to the webview.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn secrets_certificate(
    state: State<'_, AppState>,
    slug: String,
    kind: SecretKind,
) -> Result<Option<CertificateFacts>, AppError> {
    if !matches!(
        kind,
        SecretKind::IasClientCertificate | SecretKind::XsuaaClientCertificate | SecretKind::EntraClientCertificate
    ) {
        return Err(AppError::new(
            code::SECRETS_NOT_A_CERTIFICATE,
            format!("{kind} is not a certificate."),
            "Ask for ias-client-certificate, xsuaa-client-certificate or entra-client-certificate.",
        ));
    }
    let Some(pem) = state.secrets().await.get(&slug, kind)? else { return Ok(None) };
    let facts = certificate::facts(pem.expose_secret(), std::time::SystemTime::now())
        .map_err(|e| AppError::from(e.diagnosis()))?;
    Ok(Some(facts))
}

/// Where each secret of the profile would come from (env, session, keychain or missing).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn secrets_status(
    state: State<'_, AppState>,
    slug: String,
) -> Result<BTreeMap<SecretKind, SecretSource>, AppError> {
    state.ready_to_use(&slug).await;
    let secrets = state.secrets().await;
    SecretKind::ALL.into_iter().map(|kind| Ok((kind, secrets.source(&slug, kind)?))).collect()
}
