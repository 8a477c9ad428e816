import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Tauri serves the built files from the binary; the dev server is for `tauri dev` only.
// `vite build --mode mock` builds the dev-only mock entry (`mock.html`, a fake backend for screenshots)
// into `dist-mock/`; the production build (`dist/`) never contains it.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  build:
    mode === "mock"
      ? { target: "safari15", outDir: "dist-mock", emptyOutDir: true, rollupOptions: { input: "mock.html" } }
      : { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test-setup.ts"],
  },
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
}));
