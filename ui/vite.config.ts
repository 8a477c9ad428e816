import { defineConfig, type Plugin } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The built stylesheet must not hold back the first frame: index.html paints a skeleton with inline CSS, and
// a render-blocking <link> would make WebKit wait for a second file from Tauri's asset protocol first. The link
// is loaded for "print" (fetched, never blocking) and main.ts switches it to "all" before the app mounts.
function stylesheetOffTheCriticalPath(): Plugin {
  return {
    name: "tokenhop:stylesheet-off-the-critical-path",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler: (html) => html.replace(/<link rel="stylesheet"(?![^>]*\bmedia=)/g, '<link rel="stylesheet" media="print" data-deferred'),
    },
  };
}

// Tauri serves the built files from the binary; the dev server is for `tauri dev` only.
// `vite build --mode mock` builds the dev-only mock entry (`mock.html`, a fake backend for screenshots)
// into `dist-mock/`; the production build (`dist/`) never contains it.
export default defineConfig(({ mode }) => ({
  plugins: [svelte(), stylesheetOffTheCriticalPath()],
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
