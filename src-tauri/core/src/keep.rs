//! What a run keeps for the next one — the Entra sign-in, and with `keep_refresh_tokens` IAS's and XSUAA's
//! refresh tokens — gathered while the run goes and written to the secret store once its last step is over,
//! so that the keychain's round trips never lengthen the chain (nor `cargo xtask bench`'s figure of it).

use std::sync::Mutex;

use crate::entra::cache::{self, SignedInUser};
use crate::report::ProgressFn;
use crate::report::{Progress, Step, StepOutcome};
use crate::secrets::Secret;
use crate::secrets::{SecretKind, SecretStore};

enum Pending {
    SignIn { refresh_token: Secret, user: SignedInUser },
    RefreshToken { step: Step, kind: SecretKind, value: Secret },
}

/// The writes a run owes the secret store.
#[derive(Default)]
pub struct Keeper(Mutex<Vec<Pending>>);

impl Keeper {
    /// The Entra sign-in to keep (replacing the cached one: Entra rotates refresh tokens on every use).
    pub(crate) fn sign_in(&self, refresh_token: Secret, user: SignedInUser) {
        self.push(Pending::SignIn { refresh_token, user });
    }

    /// The refresh token a successful IAS or XSUAA step returned, for `run --refresh`.
    pub fn later_hop(&self, outcome: &StepOutcome) {
        let kind = match outcome.step {
            Step::Ias => SecretKind::IasRefreshToken,
            Step::Xsuaa => SecretKind::XsuaaRefreshToken,
            Step::Entra | Step::Api => return,
        };
        if let Some(token) = outcome.token("refresh_token") {
            self.push(Pending::RefreshToken { step: outcome.step, kind, value: Secret::new(token) });
        }
    }

    /// Writes everything to `secrets`, except what an environment variable supplies (it keeps winning, so a
    /// stored copy would only be left behind). A failed write is a warning: the run itself succeeded.
    pub fn flush(self, secrets: &dyn SecretStore, slug: &str, progress: ProgressFn<'_>) {
        for pending in self.0.into_inner().unwrap_or_else(|p| p.into_inner()) {
            let (step, kind, result) = match pending {
                Pending::SignIn { refresh_token, user } => {
                    let kind = SecretKind::EntraRefreshToken;
                    (
                        Step::Entra,
                        kind,
                        (!secrets.overridden(kind)).then(|| cache::save(secrets, slug, &refresh_token, &user)),
                    )
                }
                Pending::RefreshToken { step, kind, value } => {
                    (step, kind, (!secrets.overridden(kind)).then(|| secrets.set(slug, kind, &value)))
                }
            };
            if let Some(Err(e)) = result {
                let message = format!("The {kind} could not be kept for the next run: {e}");
                progress(Progress::Warning { step, message });
            }
        }
    }

    fn push(&self, pending: Pending) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(pending);
    }
}
