//! Transport faults, applied in front of every service: an HTML 502 from a "proxy", a request that is
//! never answered, an oversized body, a truncated JSON body. Each targets one endpoint. Every request
//! also waits here for the signing keys, if the sandbox started before them.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::faults::{Endpoint, Fault};
use crate::issued::Service;
use crate::state::Shared;

/// Size of the oversized body: 2 MiB, above any sane client's cap for a token response.
pub const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;

/// The endpoint a request path of a service is for.
fn endpoint(service: Service, path: &str) -> Option<Endpoint> {
    use Endpoint::*;
    let hit = |suffix: &str| path.ends_with(suffix);
    match service {
        Service::Entra if hit("/v2.0/.well-known/openid-configuration") => Some(EntraDiscovery),
        Service::Entra if hit("/oauth2/v2.0/authorize") => Some(EntraAuthorize),
        Service::Entra if hit("/oauth2/v2.0/token") => Some(EntraToken),
        Service::Entra if hit("/oauth2/v2.0/devicecode") => Some(EntraDeviceCode),
        Service::Entra if hit("/discovery/v2.0/keys") => Some(EntraKeys),
        Service::Ias if path == "/.well-known/openid-configuration" => Some(IasDiscovery),
        Service::Ias if path == "/oauth2/token" => Some(IasToken),
        Service::Ias if path == "/oauth2/certs" => Some(IasCerts),
        Service::Xsuaa if path == "/.well-known/openid-configuration" => Some(XsuaaDiscovery),
        Service::Xsuaa if path == "/oauth/token" => Some(XsuaaToken),
        Service::Xsuaa if path == "/token_keys" => Some(XsuaaKeys),
        Service::Api if path == "/api/me" => Some(ApiMe),
        _ => None,
    }
}

const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

pub(crate) async fn apply(
    State((shared, service)): State<(Arc<Shared>, Service)>,
    request: Request,
    next: Next,
) -> Response {
    // A sandbox started before its keys: every handler may sign or verify, so all wait here.
    if crate::keys::ready().await.is_none() {
        return (StatusCode::SERVICE_UNAVAILABLE, "The sandbox could not generate its signing keys.").into_response();
    }
    let fault = endpoint(service, request.uri().path()).and_then(|e| shared.faults.transport(e));
    match fault {
        None => next.run(request).await,
        Some(Fault::BadGateway { .. }) => (StatusCode::BAD_GATEWAY, Html(BAD_GATEWAY_PAGE)).into_response(),
        Some(Fault::Hang { .. }) => {
            let mut shutdown = shared.shutdown.clone();
            // Never answers; gives up only when the sandbox shuts down, so shutdown stays clean.
            let _ = shutdown.wait_for(|down| *down).await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Some(Fault::OversizedBody { .. }) => {
            let mut body = Vec::with_capacity(OVERSIZED_BYTES + 32);
            body.extend_from_slice(b"{\"padding\":\"");
            body.resize(OVERSIZED_BYTES, b'x');
            body.extend_from_slice(b"\"}");
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Some(Fault::TruncatedJson { .. }) => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(header::CONTENT_TYPE, "application/json".parse().expect("static header"));
            Response::from_parts(parts, Body::from(cut))
        }
        Some(_) => next.run(request).await,
    }
}
