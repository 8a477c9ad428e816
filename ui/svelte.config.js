import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  // No inline styles or scripts may reach the page: the CSP forbids them.
  compilerOptions: { css: "external" },
};
