// The one place that talks to the Rust side: typed wrappers over `invoke()`, rejections turned into
// `AppError {code, message, hint}`. Arguments are never logged: they may hold secrets or tokens.
import { Channel, invoke } from "@tauri-apps/api/core";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { open, save } from "@tauri-apps/plugin-dialog";
import type {
  AppInfo,
  CertificateFacts,
  ExportFormat,
  FieldError,
  KeychainStatus,
  Profile,
  ProfileList,
  ProfileSummary,
  Progress,
  RunReport,
  SecretKind,
  SecretsStatus,
  ServiceKey,
  Step,
  TokenView,
} from "./types";

export interface AppError {
  code: string;
  message: string;
  hint: string;
}

export type { AppInfo };

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
export const profilesImport = (path: string) => call<ProfileSummary>("profiles_import", { path });
export const profilesExport = (slug: string, path: string) => call<void>("profiles_export", { slug, path });
export const serviceKeyParse = (slug: string, json: string) => call<ServiceKey>("service_key_parse", { slug, json });

// ---- secrets (write-only: values go in, only their source comes back) ----
export const secretsSet = (slug: string, kind: SecretKind, value: string) =>
  call<void>("secrets_set", { slug, kind, value });
export const secretsDelete = (slug: string, kind: SecretKind) => call<void>("secrets_delete", { slug, kind });
export const secretsStatus = (slug: string) => call<SecretsStatus>("secrets_status", { slug });
/** Public facts of the stored client certificate (never its key), or null when none is stored. */
export const secretsCertificate = (slug: string, kind: "ias-client-certificate" | "xsuaa-client-certificate") =>
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

// ---- tokens and exports ----
export const tokensDecode = (token: string, verify: boolean) => call<TokenView>("tokens_decode", { token, verify });
export const exportRender = (format: ExportFormat, includeSecrets: boolean) =>
  call<string>("export_render", { format, includeSecrets });
export const exportSave = (format: ExportFormat, path: string, includeSecrets: boolean) =>
  call<{ files: string[] }>("export_save", { format, path, includeSecrets });

// ---- native dialogs and clipboard (plugins, also over IPC) ----
export async function copyText(text: string): Promise<void> {
  try {
    await writeText(text);
  } catch (e) {
    throw toAppError(e);
  }
}

export async function pickSavePath(title: string, defaultPath: string, extensions: string[]): Promise<string | null> {
  try {
    return await save({ title, defaultPath, filters: [{ name: extensions.join(", "), extensions }] });
  } catch (e) {
    throw toAppError(e);
  }
}

export async function pickOpenPath(title: string, extensions: string[]): Promise<string | null> {
  try {
    const picked = await open({ title, multiple: false, directory: false, filters: [{ name: "Profile", extensions }] });
    return typeof picked === "string" ? picked : null;
  } catch (e) {
    throw toAppError(e);
  }
}
