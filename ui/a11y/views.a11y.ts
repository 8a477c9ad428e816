// axe-core on every main view of the mock build, in the light and the dark colour scheme: no serious or
// critical violation. The mock build is the real UI over the fake backend (`src/mock/`), served from
// `dist-mock/` (built by `npm run a11y` first); Chromium is the system's (`cargo xtask setup` installs it),
// overridable with `CHROMIUM`. A violation is fixed in the component, never by switching a rule off.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const DIST = resolve(import.meta.dirname, "..", "dist-mock");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

let server: Server;
let origin: string;
let context: BrowserContext;
let profileDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(DIST, path === "/" ? "mock.html" : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the static server has no port");
  origin = `http://127.0.0.1:${address.port}`;
  profileDir = mkdtempSync(join(tmpdir(), "tokenhop-a11y-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
  });
});

afterAll(async () => {
  await context?.close();
  server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

const visible = (page: Page, testid: string) => page.getByTestId(testid).first().waitFor({ state: "visible" });
const click = (page: Page, testid: string) => page.getByTestId(testid).first().click();

/** Walks the wizard, editing the sandbox profile (so every step validates), to the step `index` (0-based). */
async function wizardAt(page: Page, index: number) {
  await page.goto(`${origin}/mock.html`);
  await click(page, "profile-tab-settings");
  await click(page, "edit-profile");
  for (let i = 0; i < index; i++) {
    if ((await page.getByTestId("wizard").getAttribute("data-step")) === "signin") {
      await click(page, "wizard-sign-in");
      await page.locator('[data-testid="wizard"] [data-testid="step-detail"][data-step="entra"]').first().waitFor();
    }
    const title = await page.getByTestId("wizard-step-title").textContent();
    await click(page, "wizard-next");
    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="wizard-step-title"]')?.textContent !== before,
      title,
    );
  }
}

/** Each main view, as the user reaches it. */
const VIEWS: Array<[string, (page: Page) => Promise<void>]> = [
  [
    "profile list",
    async (page) => {
      await page.goto(`${origin}/mock.html`);
      await visible(page, "profile-item");
      await visible(page, "profile-view");
    },
  ],
  [
    "profile settings",
    async (page) => {
      await page.goto(`${origin}/mock.html`);
      await click(page, "profile-tab-settings");
      await visible(page, "edit-profile");
    },
  ],
  [
    "finished run",
    async (page) => {
      await page.goto(`${origin}/mock.html?run`);
      await visible(page, "run-summary");
    },
  ],
  [
    "sandbox on certificates, export dialog",
    async (page) => {
      await page.goto(`${origin}/mock.html?run`);
      await visible(page, "run-summary");
      await click(page, "sandbox-credentials-certificates");
      await page.locator('[data-testid="sandbox-credentials"][data-current="certificates"]').waitFor();
      await click(page, "export-button");
      await click(page, "export-format-curl");
      await visible(page, "export-write-certs");
    },
  ],
  [
    "failed run",
    async (page) => {
      await page.goto(`${origin}/mock.html?run&fail=ias`);
      await visible(page, "run-summary");
    },
  ],
  [
    "inspector",
    async (page) => {
      await page.goto(`${origin}/mock.html?run`);
      await visible(page, "run-summary");
      await click(page, "chain-node-ias");
      await visible(page, "inspector");
    },
  ],
  ...["Entra app", "Sign in", "SAP IAS", "BTP", "API", "Save"].map(
    (title, i): [string, (page: Page) => Promise<void>] => [
      `wizard step ${i + 1} (${title})`,
      async (page) => {
        await wizardAt(page, i);
        await visible(page, "wizard");
      },
    ],
  ),
  [
    "wizard step 1 with field errors",
    async (page) => {
      await page.goto(`${origin}/mock.html?view=wizard&next`);
      await page.locator('[aria-invalid="true"]').first().waitFor();
    },
  ],
  [
    "decoder",
    async (page) => {
      await page.goto(`${origin}/mock.html?view=decode`);
      await visible(page, "decode-view");
      await visible(page, "inspector");
    },
  ],
];

type Violation = { id: string; impact: string | null; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> };

describe.each(["light", "dark"] as const)("%s", (scheme) => {
  test.each(VIEWS)("%s has no serious or critical axe violation", async (_name, reach) => {
    const page = await context.newPage();
    try {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      await reach(page);
      await page.addScriptTag({ content: AXE });
      const violations: Violation[] = await page.evaluate(async () => {
        // @ts-expect-error axe is the global the script tag defined
        const result = await window.axe.run(document, {
          resultTypes: ["violations"],
          // Off by default as "experimental", but WCAG 2.5.3 (label in name) is a level A criterion.
          rules: { "label-content-name-mismatch": { enabled: true } },
        });
        return result.violations;
      });
      const serious = violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => ({
          rule: `${v.id} (${v.impact}): ${v.help}`,
          nodes: v.nodes.map((n) => `${n.target.join(" ")} — ${n.failureSummary?.replace(/\s+/g, " ")}`),
        }));
      expect(serious, "serious or critical accessibility violations").toEqual([]);
    } finally {
      await page.close();
    }
  });
});
