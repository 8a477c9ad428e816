// Real-shaped tokens and outcomes for tests and the dev-only mock window: Entra ID v2.0 ID tokens, IAS
// ID/access tokens and an XSUAA access token, built as base64url JSON like the real issuers send them.
import { base64UrlEncode } from "../lib/jwt";
import type { Check } from "../lib/bindings/Check";
import type { StepOutcome } from "../lib/bindings/StepOutcome";
import type { TokenView } from "../lib/bindings/TokenView";

export const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const ENTRA_CLIENT_ID = "5e2c3b61-8f7d-4d1c-9b8e-2a4f6c1d0e93";
export const IAS_URL = "https://acme.accounts.ondemand.com";
export const IAS_CLIENT_ID = "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8";
export const XSUAA_URL = "https://acme-dev.authentication.eu10.hana.ondemand.com";
export const XSUAA_CLIENT_ID = "sb-acme-app!t12345";
export const APP_TID = "8e1f7c2a-4b3d-4e5f-9a6b-7c8d9e0f1a2b";

export function jwt(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = { alg: "RS256", kid: "k1", typ: "JWT", ...header };
  return `${base64UrlEncode(JSON.stringify(h))}.${base64UrlEncode(JSON.stringify(claims))}.c2lnbmF0dXJl`;
}

export function entraIdToken(now: number): Record<string, unknown> {
  return {
    aud: ENTRA_CLIENT_ID,
    iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3540,
    email: "ada.lovelace@contoso.com",
    name: "Ada Lovelace",
    nonce: "n-0S6_WzA2Mj",
    oid: "00000000-0000-0000-66f3-3332eca7ea81",
    preferred_username: "ada.lovelace@contoso.com",
    sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    tid: TENANT_ID,
    ver: "2.0",
  };
}

export function iasIdToken(now: number): Record<string, unknown> {
  return {
    iss: IAS_URL,
    ias_iss: IAS_URL,
    sub: "P000123",
    aud: IAS_CLIENT_ID,
    azp: IAS_CLIENT_ID,
    app_tid: APP_TID,
    sap_id_type: "user",
    scim_id: "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70",
    user_uuid: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    email: "ada.lovelace@contoso.com",
    given_name: "Ada",
    family_name: "Lovelace",
    groups: ["BTP_Developers", "Finance"],
    iat: now - 30,
    exp: now + 3570,
    jti: "6b1f2e3d-7c8a-4b9d-a0e1-f2a3b4c5d6e7",
  };
}

export function xsuaaAccessToken(now: number): Record<string, unknown> {
  return {
    jti: "2f6a1c9e8b7d4e3fa5b6c7d8e9f0a1b2",
    sub: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    scope: ["openid", "acme-app!t12345.Display", "acme-app!t12345.Edit"],
    client_id: XSUAA_CLIENT_ID,
    cid: XSUAA_CLIENT_ID,
    azp: XSUAA_CLIENT_ID,
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    user_id: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    origin: "sap.custom",
    user_name: "ada.lovelace@contoso.com",
    email: "ada.lovelace@contoso.com",
    zid: APP_TID,
    iss: `${XSUAA_URL}/oauth/token`,
    aud: ["openid", "acme-app!t12345", XSUAA_CLIENT_ID],
    iat: now - 5,
    exp: now + 43195,
  };
}

export function view(name: string, claims: Record<string, unknown>, jwksUri: string): TokenView {
  return {
    name,
    raw: jwt(claims),
    header: { alg: "RS256", kid: "k1", typ: "JWT" },
    claims,
    signature: { status: "verified", alg: "RS256", kid: "k1", jwks_uri: jwksUri },
    issued_at: typeof claims.iat === "number" ? claims.iat : null,
    expires_at: typeof claims.exp === "number" ? claims.exp : null,
  };
}

function outcome(step: StepOutcome["step"], views: TokenView[], checks: Check[], elapsed: number): StepOutcome {
  return {
    step,
    ok: true,
    elapsed_ms: elapsed,
    tokens: Object.fromEntries(views.map((v) => [v.name, v.raw])),
    claims: Object.fromEntries(views.filter((v) => v.claims).map((v) => [v.name, v.claims!])),
    views,
    checks,
  };
}

export function entraOutcome(now: number): StepOutcome {
  return outcome(
    "entra",
    [view("id_token", entraIdToken(now), `https://login.microsoftonline.com/${TENANT_ID}/discovery/v2.0/keys`)],
    [
      { name: "ver", ok: true, detail: "Version 2.0 token, as IAS expects", token: "id_token" },
      { name: "aud", ok: true, detail: `Audience is the client ID ${ENTRA_CLIENT_ID}`, token: "id_token" },
      { name: "iss", ok: true, detail: "Issuer is the tenant's v2.0 endpoint", token: "id_token" },
      { name: "email", ok: true, detail: "The email claim is present (IAS maps users by it)", token: "id_token" },
    ],
    2310,
  );
}

export function iasOutcome(now: number): StepOutcome {
  const idToken = view("id_token", iasIdToken(now), `${IAS_URL}/oauth2/certs`);
  const access = view("access_token", { ...iasIdToken(now), scope: ["openid"] }, `${IAS_URL}/oauth2/certs`);
  const refresh: TokenView = {
    name: "refresh_token",
    raw: "3c2d9e1f8a7b4c5d6e0f1a2b3c4d5e6f-r",
    header: null,
    claims: null,
    signature: { status: "unverified", reason: "opaque token" },
    issued_at: null,
    expires_at: null,
  };
  return outcome(
    "ias",
    [idToken, access, refresh],
    [
      { name: "app_tid", ok: true, detail: `app_tid ${APP_TID} will be sent to XSUAA as X-zid`, token: "id_token" },
      { name: "aud", ok: true, detail: "Audience is the IAS application", token: "id_token" },
    ],
    184,
  );
}

export function xsuaaOutcome(now: number): StepOutcome {
  return outcome(
    "xsuaa",
    [view("access_token", xsuaaAccessToken(now), `${XSUAA_URL}/token_keys`)],
    [{ name: "scope", ok: true, detail: "2 application scopes granted", token: "access_token" }],
    97,
  );
}

export function apiOutcome(): StepOutcome {
  return {
    ...outcome("api", [], [{ name: "status", ok: true, detail: "HTTP 200 from the API" }], 41),
    http: {
      method: "GET",
      url: "https://acme-app.cfapps.eu10.hana.ondemand.com/api/me",
      request_headers: [["authorization", "***"]],
      request_body: null,
      status: 200,
      response_headers: [["content-type", "application/json"]],
      response_body: '{"user":"ada.lovelace@contoso.com","scopes":["Display","Edit"]}',
    },
  };
}

/** The IAS exchange refused because Entra is not a trusted corporate IdP (a common first-run mistake). */
export function iasFailure(): StepOutcome {
  const body = '{"error":"invalid_grant","error_description":"Provided assertion is not valid"}';
  return {
    step: "ias",
    ok: false,
    elapsed_ms: 212,
    tokens: {},
    claims: {},
    views: [],
    checks: [],
    http: {
      method: "POST",
      url: `${IAS_URL}/oauth2/token`,
      request_headers: [["authorization", "***"]],
      request_body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=***",
      status: 400,
      response_headers: [["content-type", "application/json"]],
      response_body: body,
    },
    error: {
      code: "ias.untrusted_assertion",
      message: "IAS refused the Entra ID token (400 invalid_grant: Provided assertion is not valid).",
      hint: `Add Entra ID as an OpenID Connect corporate identity provider in IAS with issuer https://login.microsoftonline.com/${TENANT_ID}/v2.0 and client ID ${ENTRA_CLIENT_ID}.`,
      raw: `HTTP 400 Bad Request\n${body}`,
    },
  };
}
