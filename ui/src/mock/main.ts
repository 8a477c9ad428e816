// Dev-only entry (`mock.html`, built with `vite build --mode mock`): the real UI over the fake backend,
// for screenshots and design work without the Rust side. Never part of the production bundle.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { mount } from "svelte";
import App from "../App.svelte";
import "../app.css";
import { createFakeBackend } from "./backend";
import { iasIdToken, jwt } from "./fixtures";

const params = new URLSearchParams(location.search);
const backend = createFakeBackend({
  delay: 250,
  failAt: params.get("fail") === "ias" ? "ias" : undefined,
  hold: params.has("hold"),
});
mockWindows("main");
mockIPC((cmd, args) => backend.handle(cmd, args));

mount(App, { target: document.getElementById("app")! });

// For screenshots: `?run` starts the sandbox run at once (`&hold` keeps it waiting for the sign-in); `?view=wizard` opens the wizard (`&next`
// presses Next on the empty first step); `?view=decode` decodes a sample token.
function whenPresent(testid: string, act: (el: HTMLElement) => void) {
  const el = document.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
  if (el) act(el);
  else setTimeout(() => whenPresent(testid, act), 50);
}

if (params.has("run")) whenPresent("run-button", (b) => b.click());
if (params.get("view") === "wizard") {
  whenPresent("new-profile", (b) => b.click());
  if (params.has("next")) whenPresent("wizard-next", (b) => b.click());
}
if (params.get("view") === "decode") {
  whenPresent("open-decoder", (b) => b.click());
  whenPresent("decode-input", (t) => {
    const area = t as HTMLTextAreaElement;
    area.value = jwt(iasIdToken(Math.floor(Date.now() / 1000) - 4000));
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
}
