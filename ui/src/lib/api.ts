// The one place that calls invoke(): typed wrappers, rejections turned into AppError.
import { invoke } from "@tauri-apps/api/core";

export interface AppError {
  code: string;
  message: string;
  hint: string;
}

export interface AppInfo {
  version: string;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const err = e as AppError;
    return { code: err.code, message: err.message, hint: err.hint ?? "" };
  }
  return { code: "internal", message: String(e), hint: "" };
}

export const appInfo = () => call<AppInfo>("app_info");
