import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

/** Applies the stylesheet index.html loads off the critical path (vite.config.ts), once it has arrived. */
async function applyDeferredStyles(): Promise<void> {
  const links = document.querySelectorAll<HTMLLinkElement>("link[data-deferred]");
  await Promise.all(
    [...links].map(
      (link) =>
        new Promise<void>((done) => {
          const apply = () => {
            link.media = "all";
            done();
          };
          if (link.sheet) apply();
          else {
            link.addEventListener("load", apply, { once: true });
            link.addEventListener("error", apply, { once: true });
          }
        }),
    ),
  );
}

const target = document.getElementById("app")!;
void applyDeferredStyles().then(() => {
  // The stylesheet applies, the skeleton goes and the app comes before the next frame: no frame shows a mix.
  target.replaceChildren();
  mount(App, { target });
});
