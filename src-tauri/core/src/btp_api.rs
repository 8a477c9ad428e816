//! The last hop: call the BTP API with the token in `Authorization` or, behind an approuter,
//! `x-approuter-authorization`; record status, headers and the first 64 KiB of the body.

use crate::diagnose::{code, Diagnosis};
use crate::http::{http_failure, parse_url, HttpClient};
use crate::profile::{ApiConfig, HttpMethod};
use crate::report::ProgressFn;
use crate::report::{Check, Progress, Step, StepOutcome};
use crate::token_response::record;

pub async fn call(http: &HttpClient, api: &ApiConfig, token: &str, progress: ProgressFn<'_>) -> StepOutcome {
    let url = match parse_url(&api.url) {
        Ok(u) => u,
        Err(e) => return StepOutcome::failed(Step::Api, http_failure("API", &e)),
    };
    progress(Progress::Request { step: Step::Api, url: url.to_string() });
    let bearer = format!("Bearer {token}");
    let headers = [(api.header.header_name(), bearer.as_str()), ("accept", "application/json")];
    let method = match api.method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
    };
    let mut out = StepOutcome::new(Step::Api);
    match http.request(method.clone(), &url, &headers).await {
        Ok(resp) => {
            out.http = Some(record(method.as_str(), url.as_str(), &headers, None, Some(&resp)));
            out.ok = resp.is_success();
            out.checks.push(Check::new("status", out.ok, format!("HTTP {}", resp.status)));
            if !out.ok {
                let reason = resp.header("www-authenticate").unwrap_or("").to_owned();
                let hint = match resp.status {
                    401 => "The API refused the token: check the header (Authorization vs. x-approuter-authorization) and that the API trusts this XSUAA.",
                    403 => "The token is valid but lacks a scope the API needs: assign the role collection to the user.",
                    _ => "Check the API URL and its logs.",
                };
                out.error = Some(
                    Diagnosis::new(
                        code::API_STATUS,
                        format!("The API answered HTTP {} {reason}", resp.status).trim().to_owned(),
                        hint,
                    )
                    .with_raw(format!("HTTP {}\n{}", resp.status, resp.body)),
                );
            }
        }
        Err(e) => {
            out.http = Some(record(method.as_str(), url.as_str(), &headers, None, None));
            out.error = Some(http_failure("API", &e));
        }
    }
    out
}
