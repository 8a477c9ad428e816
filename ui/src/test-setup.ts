// Vitest set-up: unmount components and drop the IPC mocks after every test.
import "@testing-library/svelte/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

afterEach(() => {
  clearMocks();
});
