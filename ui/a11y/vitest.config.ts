import { defineConfig } from "vitest/config";

// The accessibility check (`npm run a11y`): the mock build (`dist-mock/`) in headless Chromium, axe-core on each
// main view in light and dark. Node, not jsdom: the browser is real. One test per view and scheme.
export default defineConfig({
  test: {
    environment: "node",
    include: ["a11y/**/*.a11y.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
