//! Profiles: list, read, validate, save, rename, duplicate, delete, import, export, the cached sign-in — and a
//! pasted service key. A profile's keychain entries follow it through save (from the wizard's draft), rename,
//! duplicate and delete.

use tauri::{State, WebviewWindow};
use tokenhop_core::entra::cache::{self, SignedInUser};
use tokenhop_core::profile::{parse_service_key, FieldError, Profile, ProfileList, ProfileSummary, ServiceKeyView};
use tokenhop_core::profiles::Profiles;

use crate::dialogs;
use crate::state::{AppState, DRAFT_SLUG};
use crate::AppError;

/// On the very first start, waits for the sandbox so that the list already holds the Sandbox profile.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_list(state: State<'_, AppState>, query: Option<String>) -> Result<ProfileList, AppError> {
    state.ready_for_list().await;
    Ok(state.profiles.list(query.as_deref())?)
}

/// The Sandbox profile is read once the sandbox is up, so that it shows the current URLs.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_get(state: State<'_, AppState>, slug: String) -> Result<Profile, AppError> {
    state.ready_for(&slug).await;
    Ok(state.profiles.get(&slug)?)
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn profiles_validate(profile: Profile) -> Vec<FieldError> {
    tokenhop_core::profile::validate(&profile)
}

/// `slug: None` creates the profile and moves the wizard's draft secrets to it; a changed name moves the
/// file, its secrets and its history ([`Profiles`]).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_save(
    state: State<'_, AppState>,
    slug: Option<String>,
    profile: Profile,
) -> Result<ProfileSummary, AppError> {
    let profiles = Profiles::new(&state.profiles, state.secrets().await);
    let saved = profiles.save(slug.as_deref(), &profile, Some(DRAFT_SLUG))?;
    if let Some(old) = slug.filter(|old| *old != saved) {
        state.session_history().rename(&old, &saved);
    }
    Ok(ProfileSummary::new(saved, profile))
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_rename(
    state: State<'_, AppState>,
    slug: String,
    new_name: String,
) -> Result<ProfileSummary, AppError> {
    let new = Profiles::new(&state.profiles, state.secrets().await).rename(&slug, &new_name)?;
    state.session_history().rename(&slug, &new);
    Ok(ProfileSummary::new(new.clone(), state.profiles.get(&new)?))
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_duplicate(
    state: State<'_, AppState>,
    slug: String,
    new_name: String,
    copy_secrets: bool,
) -> Result<ProfileSummary, AppError> {
    let new = Profiles::new(&state.profiles, state.secrets().await).duplicate(&slug, &new_name, copy_secrets)?;
    Ok(ProfileSummary::new(new.clone(), state.profiles.get(&new)?))
}

/// Deletes the profile, its secrets and its history; if the keychain refuses, nothing is deleted.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_delete(state: State<'_, AppState>, slug: String) -> Result<(), AppError> {
    Profiles::new(&state.profiles, state.secrets().await).delete(&slug)?;
    state.session_history().forget(&slug);
    Ok(())
}

/// Who the profile's cached sign-in is for (the profile view's "Signed in as …"), or `None`.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_sign_in(state: State<'_, AppState>, slug: String) -> Result<Option<SignedInUser>, AppError> {
    Ok(cache::signed_in_user(state.secrets().await, &slug)?)
}

/// Forgets the profile's cached sign-in: its next run signs in through the browser.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_sign_out(state: State<'_, AppState>, slug: String) -> Result<(), AppError> {
    Ok(state.secrets().await.sign_out(&slug)?)
}

/// Asks for a profile file (a native dialog) and imports it; `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_import(
    window: WebviewWindow,
    state: State<'_, AppState>,
) -> Result<Option<ProfileSummary>, AppError> {
    let Some(path) = dialogs::open_path(&window, "Import a TokenHop profile", "toml").await else {
        return Ok(None);
    };
    let slug = state.profiles.import(&path)?;
    Ok(Some(ProfileSummary::new(slug.clone(), state.profiles.get(&slug)?)))
}

/// Asks where to write the profile (a native dialog; no secret is in the file); `false` when cancelled.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn profiles_export(
    window: WebviewWindow,
    state: State<'_, AppState>,
    slug: String,
) -> Result<bool, AppError> {
    let file_name = format!("{slug}.toml");
    let Some(path) = dialogs::save_path(&window, "Export profile", &file_name, "toml").await else {
        return Ok(false);
    };
    state.profiles.export(&slug, &path)?;
    Ok(true)
}

/// Parses the key, stores its client secret (or certificate and key) for `slug`, and returns the section to fill in.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn service_key_parse(
    state: State<'_, AppState>,
    slug: String,
    json: String,
) -> Result<ServiceKeyView, AppError> {
    let key = parse_service_key(&json)?;
    let secrets = key.secrets();
    let view = key.view();
    let store = state.secrets().await;
    for (kind, secret) in &secrets {
        store.set(&slug, *kind, secret)?;
    }
    Ok(view)
}
