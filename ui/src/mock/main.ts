// Dev-only entry (`mock.html`, built with `vite build --mode mock`): the real UI over the fake backend,
// for screenshots and design work without the Rust side. Never part of the production bundle.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { mount } from "svelte";
import App from "../App.svelte";
import "../app.css";
import { createFakeBackend } from "./backend";

const params = new URLSearchParams(location.search);
const backend = createFakeBackend({ delay: 250, failAt: params.get("fail") === "ias" ? "ias" : undefined });
mockWindows("main");
mockIPC((cmd, args) => backend.handle(cmd, args));

mount(App, { target: document.getElementById("app")! });

// `?run` starts the sandbox run at once; `?view=wizard|decode` opens another view (for screenshots).
if (params.has("run")) {
  const click = () => {
    const button = document.querySelector<HTMLButtonElement>("[data-testid=run-button]");
    if (button) button.click();
    else setTimeout(click, 50);
  };
  click();
}
