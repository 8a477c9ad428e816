// Shared helpers for component tests: a fake backend behind mockIPC, and a way to wait for the UI.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { createFakeBackend, type FakeOptions } from "./mock/backend";

export function useFakeBackend(options: FakeOptions = {}) {
  const backend = createFakeBackend(options);
  mockWindows("main");
  mockIPC((cmd, args) => backend.handle(cmd, args));
  return backend;
}
