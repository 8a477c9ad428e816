// What each claim means, in one line, for the token inspector's side notes. Entra ID v2.0, SAP IAS and
// XSUAA claims side by side: the same name sometimes means different things per issuer.

const CATALOGUE: Record<string, string> = {
  iss: "Issuer: who minted the token. The next hop trusts it only if this URL is a configured identity provider.",
  sub: "Subject: the user (or client) the token is about, stable per issuer (Entra: per app).",
  aud: "Audience: who the token is for. The receiver must find its own client ID here.",
  azp: "Authorized party: the client the token was issued to.",
  exp: "Expiry: after this moment the token must be refused.",
  iat: "Issued at: when the token was minted.",
  nbf: "Not before: the token is invalid before this moment.",
  nonce: "Nonce: the random value sent with the sign-in request, echoed back to stop replay.",
  ver: "Token version. IAS trusts Entra ID tokens of version 2.0 (v2.0 endpoint).",
  tid: "Entra tenant ID of the signed-in user's directory.",
  oid: "Entra object ID of the user, the same across apps in the tenant.",
  email: "E-mail address of the user (Entra: only with the email scope).",
  name: "Display name of the user.",
  preferred_username: "The sign-in name (UPN) the user typed; not guaranteed to be an e-mail.",
  groups: "Groups the user belongs to (IAS: group names; Entra: object IDs, if configured).",
  app_tid: "IAS/XSUAA: the BTP application tenant (subaccount) ID; sent to XSUAA as X-zid.",
  zid: "XSUAA: the identity zone (subaccount tenant) the token belongs to.",
  scope: "Scopes granted. XSUAA: the role-collection scopes your app checks.",
  scp: "Entra: delegated permissions granted to the client.",
  cid: "XSUAA: the client ID the token was issued to.",
  client_id: "The OAuth client the token was issued to.",
  origin: "XSUAA: the identity provider key the user came from (trust configuration origin).",
  user_name: "XSUAA: the user's login name as mapped from the identity provider.",
  user_id: "XSUAA: the shadow user's ID in the subaccount.",
  ias_iss: "IAS: the tenant's issuer URL on its default domain (kept when a custom domain is used).",
  sap_id_type: "IAS: the kind of subject, 'user' or 'app'.",
  scim_id: "IAS: the user's ID in the Identity Directory (SCIM).",
  user_uuid: "IAS: the user's global user ID, stable across SAP systems.",
  given_name: "First name of the user.",
  family_name: "Last name of the user.",
  jti: "Token ID, unique per token.",
  auth_time: "When the user actually authenticated.",
  amr: "How the user authenticated (pwd, mfa, …).",
  idp: "Entra: the identity provider that authenticated the user, if not the tenant itself.",
  ext_attr: "XSUAA: extra attributes such as the subaccount and zone details.",
  grant_type: "XSUAA: the grant that produced this token (here jwt-bearer).",
  xs_user_attributes: "XSUAA: user attributes from role collections.",
  rh: "Entra internal: refresh handle; ignore.",
  uti: "Entra internal: token identifier; ignore.",
  aio: "Entra internal: ignore.",
  alg: "Header: the signing algorithm (RS256 expected).",
  kid: "Header: which of the issuer's published keys signed the token.",
  typ: "Header: the token type (JWT).",
  jku: "Header: where the issuer publishes its signing keys.",
};

export function explainClaim(name: string): string | undefined {
  return CATALOGUE[name];
}

/** Claims that are Unix timestamps, shown as local time and relative time. */
export const TIME_CLAIMS = new Set(["exp", "iat", "nbf", "auth_time"]);
