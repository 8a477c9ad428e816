// Shapes shared with Rust. They mirror, field for field, what ts-rs generates from `tokenhop-core` into
// `ui/src/lib/bindings/` (checked against a generation of 29 bindings); once that folder is committed,
// these declarations can become `export type { … } from "./bindings/…"` without touching any caller.

export type Step = "entra" | "ias" | "xsuaa" | "api";
export const STEPS: Step[] = ["entra", "ias", "xsuaa", "api"];

export type Flow = "authorization-code" | "device-code" | "password";
export type RedirectHost = "localhost" | "127.0.0.1";
export type ClientAuth = "post" | "basic" | "x509" | "private-key-jwt";
export type TokenFormat = "jwt" | "opaque";
export type ApiHeader = "authorization" | "x-approuter-authorization";
export type HttpMethod = "GET" | "POST";
export type SecretKind =
  | "entra-client-secret"
  | "ias-client-secret"
  | "xsuaa-client-secret"
  | "entra-password"
  | "entra-refresh-token"
  | "ias-refresh-token"
  | "xsuaa-refresh-token"

  | "ias-client-certificate"
  | "ias-client-key"
  | "xsuaa-client-certificate"
  | "xsuaa-client-key"
  | "entra-client-certificate"
  | "entra-client-key";

/** Public facts of a stored client certificate; its key never reaches the webview. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  days_left: number;
  sha256_thumbprint: string;
}

export interface EntraConfig {
  authority: string;
  tenant: string;
  client_id: string;
  flow: Flow;
  scopes: string[];
  redirect_host: RedirectHost;
  redirect_port: number;
  confidential: boolean;
  /** Absent or "post": the client secret; "private-key-jwt": a client assertion signed with the app's certificate key. */
  client_auth?: ClientAuth;
  username?: string;
}

export interface IasConfig {
  url: string;
  client_id: string;
  client_auth: ClientAuth;
  token_format: TokenFormat;
  scope?: string;
  resource?: string;
}

export interface XsuaaConfig {
  url: string;
  client_id: string;
  client_auth: ClientAuth;
  cert_url?: string;
  scope?: string;
  zid?: string;
  trust_client_id?: string;
}

export interface ApiConfig {
  url: string;
  header: ApiHeader;
  method: HttpMethod;
}

export interface Profile {
  schema_version: number;
  name: string;
  environment?: string;
  /** Keep the Entra sign-in in the keychain so the next run is silent; absent means yes. */
  remember_sign_in?: boolean;
  /** Keep IAS's and XSUAA's refresh tokens in the keychain too; absent means no. */
  keep_refresh_tokens?: boolean;
  ca_file?: string;
  entra: EntraConfig;
  ias?: IasConfig;
  xsuaa?: XsuaaConfig;
  api?: ApiConfig;
}

export interface Diagnosis {
  code: string;
  message: string;
  hint: string;
  raw?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  token?: string;
}

export type SignatureStatus =
  | { status: "verified"; alg: string; kid: string | null; jwks_uri: string }
  | { status: "invalid"; reason: string }
  | { status: "unverified"; reason: string };

export interface TokenView {
  name: string;
  raw: string;
  header: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  signature: SignatureStatus;
  issued_at: number | null;
  expires_at: number | null;
}

export interface HttpRecord {
  method: string;
  url: string;
  request_headers: Array<[string, string]>;
  request_body: string | null;
  status: number | null;
  response_headers: Array<[string, string]>;
  response_body: string | null;
}

/** How the Entra step signed the user in. */
export type SignInMethod = "silent" | "browser" | "device-code" | "password";

export interface SignInInfo {
  method: SignInMethod;
  /** Why the cached sign-in was not used (Entra's answer when it refused the refresh token). */
  fallback_reason?: string;
}

/** Who a profile's cached sign-in is for. */
export interface SignedInUser {
  sub: string;
  tid: string;
  username?: string;
  /** Unix seconds of the last sign-in or refresh. */
  refreshed_at: number;
}

/** Entra keeps an unused refresh token for 90 days (Microsoft: "Refresh tokens in the Microsoft identity platform"). */
export const ENTRA_REFRESH_TOKEN_LIFETIME_SECS = 90 * 24 * 60 * 60;

export interface StepOutcome {
  step: Step;
  ok: boolean;
  elapsed_ms: number;
  tokens: { [key in string]: string };
  claims: Record<string, Record<string, unknown>>;
  views: TokenView[];
  checks: Check[];
  http?: HttpRecord;
  error?: Diagnosis;
  /** The Entra step only. */
  sign_in?: SignInInfo;
}

export interface RunReport {
  ok: boolean;
  profile: string;
  steps: StepOutcome[];
  started_at: string;
}

export type Progress =
  | { type: "step_started"; step: Step }
  | { type: "browser_opened"; url: string }
  | { type: "browser_failed"; url: string; reason: string }
  | { type: "waiting_for_sign_in"; redirect_uri: string }
  | { type: "device_code"; user_code: string; verification_uri: string; message: string }
  | { type: "callback_received" }
  | { type: "request"; step: Step; url: string }
  | { type: "warning"; step: Step; message: string }
  | { type: "step_finished"; outcome: StepOutcome };

// ---- Command results (the Tauri command contract) ----

export interface KeychainStatus {
  available: boolean;
  /** For people, when unavailable. */
  reason?: string;
  /** The technical cause ("no session bus", …). */
  detail?: string;
}

export interface AppInfo {
  version: string;
  sandbox?: { profile: string };
}

export interface ProfileSummary {
  slug: string;
  name: string;
  environment?: string;
  tenant: string;
  entra_client_id: string;
  ias_url?: string;
  ias_client_id?: string;
  xsuaa_url?: string;
  xsuaa_client_id?: string;
  api_url?: string;
}

export interface ProfileLoadError {
  file: string;
  message: string;
  line?: number;
  column?: number;
}

export interface ProfileList {
  profiles: ProfileSummary[];
  errors: ProfileLoadError[];
}

export interface FieldError {
  field: string;
  message: string;
  hint: string;
}

export type SecretSource = "keychain" | "env" | "session" | "missing";
export type SecretsStatus = Record<SecretKind, SecretSource>;

export interface ServiceKey {
  kind: "xsuaa" | "ias";
  ias?: IasConfig;
  xsuaa?: XsuaaConfig;
}

export type ExportFormat = "postman" | "curl" | "http" | "env";

/** The slug under which the wizard stores secrets before the profile has a name. */
export const DRAFT_SLUG = "__draft__";

// ---- The matrix, the run history and comparisons (generated by ts-rs from tokenhop-core) ----
export type { MatrixEvent } from "./bindings/MatrixEvent";
export type { RunRecord } from "./bindings/RunRecord";
export type { StepRecord } from "./bindings/StepRecord";
export type { RunComparison } from "./bindings/RunComparison";
export type { StepComparison } from "./bindings/StepComparison";
export type { TokenComparison } from "./bindings/TokenComparison";
export type { ClaimComparison } from "./bindings/ClaimComparison";
export type { CheckComparison } from "./bindings/CheckComparison";
export type { Difference } from "./bindings/Difference";

/** `history_list`: this session's runs of a profile (openable), older ones from disk, and whether the disk
 *  history is on. */
export interface HistoryList {
  session: import("./bindings/RunRecord").RunRecord[];
  saved: import("./bindings/RunRecord").RunRecord[];
  enabled: boolean;
}
