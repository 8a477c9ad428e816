// The one place that talks to the Rust side: typed wrappers over `invoke()`, rejections turned into
// `AppError {code, message, hint}`. Arguments are never logged: they may hold secrets or tokens.
import { Channel, invoke } from "@tauri-apps/api/core";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import type { AppInfo } from "./bindings/AppInfo";
import type { CertificateFacts } from "./bindings/CertificateFacts";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { FieldError } from "./bindings/FieldError";
import type { HistoryList } from "./bindings/HistoryList";
import type { MatrixEvent } from "./bindings/MatrixEvent";
import type { KeychainStatus } from "./bindings/KeychainStatus";
import type { Profile } from "./bindings/Profile";
import type { ProfileList } from "./bindings/ProfileList";
import type { ProfileSummary } from "./bindings/ProfileSummary";
import type { Progress } from "./bindings/Progress";
import type { RunComparison } from "./bindings/RunComparison";
import type { RunRecord } from "./bindings/RunRecord";
import type { RunReport } from "./bindings/RunReport";
import type { SandboxCredentials } from "./bindings/SandboxCredentials";
import type { SecretKind } from "./bindings/SecretKind";
import type { SecretSource } from "./bindings/SecretSource";
import type { ServiceKeyView } from "./bindings/ServiceKeyView";
import type { SignedInUser } from "./bindings/SignedInUser";
import type { Step } from "./bindings/Step";
import type { StepOutcome } from "./bindings/StepOutcome";
import type { TokenView } from "./bindings/TokenView";

export interface AppError {
  code: string;
  message: string;
  hint: string;
}

export type { AppInfo };

/** `secrets_status`: where each of a profile's secrets comes from (a `BTreeMap<SecretKind, SecretSource>`). */
export type SecretsStatus = Record<SecretKind, SecretSource>;

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

/** Whatever a command or plugin rejected with, as an `AppError` a person can read. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const err = e as Partial<AppError>;
    return { code: String(err.code), message: String(err.message), hint: err.hint ?? "" };
  }
  if (e instanceof Error) return { code: "internal", message: e.message, hint: "" };
  return { code: "internal", message: String(e), hint: "" };
}

export function isAppError(e: unknown): e is AppError {
  return !!e && typeof e === "object" && "code" in e && "message" in e && "hint" in e;
}

// ---- app ----
export const appInfo = () => call<AppInfo>("app_info");
/** Resolves once the keychain probe that starts with the app has finished. */
export const keychainStatus = () => call<KeychainStatus>("keychain_status");
/** Milliseconds since the page started loading (`performance.now()`), for the start-up log. */
export interface StartTimings {
  /** The bundle started running. */
  script: number;
  /** The app info and the profile list arrived. */
  data: number;
  /** The list is in the DOM. */
  rendered: number;
}
export const appReady = (timings: StartTimings) => call<void>("app_ready", { timings });
/** Switches the built-in Sandbox profile between client secrets and client certificates; the profile as it now is. */
export const sandboxSetCredentials = (credentials: SandboxCredentials) =>
  call<Profile>("sandbox_set_credentials", { credentials });

// ---- profiles ----
export const profilesList = (query?: string) => call<ProfileList>("profiles_list", { query });
export const profilesGet = (slug: string) => call<Profile>("profiles_get", { slug });
export const profilesValidate = (profile: Profile) => call<FieldError[]>("profiles_validate", { profile });
export const profilesSave = (slug: string | null, profile: Profile) =>
  call<ProfileSummary>("profiles_save", { slug, profile });
export const profilesRename = (slug: string, newName: string) =>
  call<ProfileSummary>("profiles_rename", { slug, newName });
export const profilesDuplicate = (slug: string, newName: string, copySecrets: boolean) =>
  call<ProfileSummary>("profiles_duplicate", { slug, newName, copySecrets });
export const profilesDelete = (slug: string) => call<void>("profiles_delete", { slug });
/** Opens a file dialog (on the Rust side) and imports the chosen profile; `null` when cancelled. */
export const profilesImport = () => call<ProfileSummary | null>("profiles_import");
/** Opens a save dialog (on the Rust side) and writes the profile there; `false` when cancelled. */
export const profilesExport = (slug: string) => call<boolean>("profiles_export", { slug });
/** Who the profile's cached Entra sign-in is for, or `null` when the next run opens the browser. */
export const profilesSignIn = (slug: string) => call<SignedInUser | null>("profiles_sign_in", { slug });
export const profilesSignOut = (slug: string) => call<void>("profiles_sign_out", { slug });
export const serviceKeyParse = (slug: string, json: string) => call<ServiceKeyView>("service_key_parse", { slug, json });

// ---- secrets (write-only: values go in, only their source comes back) ----
export const secretsSet = (slug: string, kind: SecretKind, value: string) =>
  call<void>("secrets_set", { slug, kind, value });
export const secretsDelete = (slug: string, kind: SecretKind) => call<void>("secrets_delete", { slug, kind });
export const secretsStatus = (slug: string) => call<SecretsStatus>("secrets_status", { slug });
/** Public facts of the stored client certificate (never its key), or null when none is stored. */
export const secretsCertificate = (
  slug: string,
  kind: "ias-client-certificate" | "xsuaa-client-certificate" | "entra-client-certificate",
) =>
  call<CertificateFacts | null>("secrets_certificate", { slug, kind });

// ---- chain ----
export interface RunRequest {
  slug: string | null;
  draft: Profile | null;
  until: Step | null;
}

/** Runs the chain; `onProgress` receives the engine's events in order, a frame's worth at a time. */
export function chainRun(req: RunRequest, onProgress: (p: Progress) => void): Promise<RunReport> {
  const channel = new Channel<Progress[]>();
  channel.onmessage = (batch) => batch.forEach(onProgress);
  return call<RunReport>("chain_run", { ...req, onProgress: channel });
}
export const chainCancel = () => call<void>("chain_cancel");
/** Renews the last run's IAS or XSUAA tokens from that step's refresh token. */
export const chainRefresh = (step: Step) => call<StepOutcome>("chain_refresh", { step });

// ---- the matrix ("Run all") and the run history ----
/** Runs `slugs` at once (browser sign-ins one at a time); resolves with each run's record, in that order. */
export function matrixRun(slugs: string[], until: Step | null, onEvent: (e: MatrixEvent) => void): Promise<RunRecord[]> {
  const channel = new Channel<MatrixEvent>();
  channel.onmessage = onEvent;
  return call<RunRecord[]>("matrix_run", { slugs, until, parallel: null, onEvent: channel });
}
/** Cancels one profile's matrix run, or all of them with `null`. */
export const matrixCancel = (slug: string | null) => call<void>("matrix_cancel", { slug });
export const historyList = (slug: string) => call<HistoryList>("history_list", { slug });
export const historyGet = (id: string) => call<RunReport>("history_get", { id });
export const historyCompare = (left: string, right: string) =>
  call<RunComparison>("history_compare", { left, right });
export const historySetEnabled = (enabled: boolean) => call<void>("history_set_enabled", { enabled });
export const historyClear = () => call<void>("history_clear");

// ---- tokens and exports ----
export const tokensDecode = (token: string, verify: boolean) => call<TokenView>("tokens_decode", { token, verify });
/** The export as text, never with client secrets (those stay on the Rust side). */
export const exportRender = (format: ExportFormat) => call<string>("export_render", { format });
/** Puts the export on the clipboard from the Rust side, with client secrets if asked for. */
export const exportCopy = (format: ExportFormat, includeSecrets: boolean) =>
  call<void>("export_copy", { format, includeSecrets });
/** Opens a save dialog (on the Rust side) and writes the export; `null` when cancelled. */
/** `writeClientCerts`: a curl export also writes the certificate clients' certificates and private keys beside it. */
export const exportSave = (format: ExportFormat, includeSecrets: boolean, writeClientCerts = false) =>
  call<{ files: string[] } | null>("export_save", { format, includeSecrets, writeClientCerts });

// ---- clipboard (a plugin, also over IPC) ----
export async function copyText(text: string): Promise<void> {
  try {
    await writeText(text);
  } catch (e) {
    throw toAppError(e);
  }
}
