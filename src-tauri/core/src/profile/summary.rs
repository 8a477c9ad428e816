//! What the profile list shows: a line per profile, and the files that could not be loaded.

use serde::Serialize;
use ts_rs::TS;

use super::model::Profile;

/// One line of the profile list: enough to pick and search, no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProfileSummary {
    pub slug: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub environment: Option<String>,
    pub tenant: String,
    pub entra_client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ias_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ias_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub xsuaa_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub xsuaa_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_url: Option<String>,
}

/// A profile file that could not be loaded; it is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProfileLoadError {
    pub file: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub column: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ProfileList {
    pub profiles: Vec<ProfileSummary>,
    pub errors: Vec<ProfileLoadError>,
}

impl ProfileSummary {
    /// The list line of a profile.
    pub fn new(slug: String, p: Profile) -> Self {
        Self {
            slug,
            name: p.name,
            environment: p.environment,
            tenant: p.entra.tenant,
            entra_client_id: p.entra.client_id,
            ias_url: p.ias.as_ref().map(|s| s.url.clone()),
            ias_client_id: p.ias.map(|s| s.client_id),
            xsuaa_url: p.xsuaa.as_ref().map(|s| s.url.clone()),
            xsuaa_client_id: p.xsuaa.map(|s| s.client_id),
            api_url: p.api.map(|s| s.url),
        }
    }

    /// The searchable fields, lower-cased, one per line: a search is one `contains` of the lower-cased query.
    pub(crate) fn search_text(&self) -> String {
        [Some(&self.name), Some(&self.slug), self.environment.as_ref(), Some(&self.tenant), Some(&self.entra_client_id)]
            .into_iter()
            .chain([self.ias_client_id.as_ref(), self.xsuaa_client_id.as_ref()])
            .chain([self.ias_url.as_ref(), self.xsuaa_url.as_ref(), self.api_url.as_ref()])
            .flatten()
            .map(|field| field.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
