import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { sandboxProfile, type FakeOptions } from "../mock/backend";
import { useFakeBackend } from "../test-utils";

const cell = (slug: string, step: string) => screen.getByTestId(`matrix-cell-${slug}-${step}`);
const row = (slug: string) => screen.getByTestId(`matrix-row-${slug}`);

/** The sandbox plus Contoso dev and Contoso test (which fails at IAS), all in the sidebar. */
async function start(options: FakeOptions = {}) {
  const backend = useFakeBackend({ failSlugs: ["acme-test"], ...options });
  backend.profiles.set("acme-dev", { ...sandboxProfile(), name: "Contoso dev", environment: "dev" });
  backend.profiles.set("acme-test", { ...sandboxProfile(), name: "Contoso test", environment: "test" });
  render(App);
  await screen.findByTestId("profile-title");
  return backend;
}

describe("Run all", () => {
  it("runs the profiles the sidebar shows and draws the failure in the matrix", async () => {
    const backend = await start();
    await fireEvent.input(screen.getByTestId("profile-search"), { target: { value: "contoso" } });
    expect(screen.getByTestId("run-all").textContent).toMatch(/Run all 2 shown/);

    await fireEvent.click(screen.getByTestId("run-all"));
    await screen.findByTestId("matrix-summary");

    expect(backend.callsTo("matrix_run")[0].args.slugs).toEqual(["acme-dev", "acme-test"]);
    expect(screen.queryByTestId("matrix-row-sandbox")).toBeNull();
    expect(["entra", "ias", "xsuaa", "api"].map((s) => cell("acme-dev", s).dataset.state)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(["entra", "ias", "xsuaa", "api"].map((s) => cell("acme-test", s).dataset.state)).toEqual([
      "ok",
      "failed",
      "skipped",
      "skipped",
    ]);
    expect(within(cell("acme-test", "ias")).getByTestId("matrix-code").textContent).toBe("ias.untrusted_assertion");
    expect(within(cell("acme-dev", "ias")).getByText("184 ms")).toBeTruthy();
    expect(row("acme-test").dataset.ok).toBe("false");
    expect(screen.getByTestId("matrix-summary").textContent).toMatch(/1 of 2 profiles got through/);
  });

  it("runs the profiles of the environment the sidebar filters on, and the filter combines with the search", async () => {
    const backend = await start();
    const filter = screen.getByTestId("environment-filter");
    expect(within(filter).getAllByRole("button").map((b) => b.textContent?.trim())).toEqual(["All", "dev", "test", "sandbox"]);

    await fireEvent.click(screen.getByTestId("environment-dev"));
    expect(screen.getByTestId("environment-dev").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("run-all").textContent).toMatch(/Run all 1 shown/);
    await fireEvent.input(screen.getByTestId("profile-search"), { target: { value: "globex" } });
    expect(screen.getByTestId("profile-no-match").textContent).toMatch(/No dev profile matches “globex”/);
    await fireEvent.input(screen.getByTestId("profile-search"), { target: { value: "" } });

    await fireEvent.click(screen.getByTestId("run-all"));
    await screen.findByTestId("matrix-summary");
    expect(backend.callsTo("matrix_run")[0].args.slugs).toEqual(["acme-dev"]);
  });

  it("opens a cell's run with the inspector on that hop", async () => {
    await start();
    await fireEvent.click(screen.getByTestId("run-all"));
    await screen.findByTestId("matrix-summary");

    await fireEvent.click(cell("acme-test", "ias"));

    await waitFor(() => expect(screen.getByTestId("profile-title").textContent).toBe("Contoso test"));
    await waitFor(() => expect(screen.getByTestId("step-detail").dataset.step).toBe("ias"));
    expect(screen.getByTestId("chain-node-ias").dataset.state).toBe("failed");
    expect(screen.getByTestId("run-summary").textContent).toMatch(/broke at SAP IAS/);

    await fireEvent.click(screen.getByTestId("show-matrix"));
    expect(screen.getByTestId("matrix-row-acme-test").dataset.ok).toBe("false");
  });

  it("compares two runs and highlights the claims only one of them has", async () => {
    await start();
    await fireEvent.click(screen.getByTestId("run-all"));
    await screen.findByTestId("matrix-summary");
    expect((screen.getByTestId("matrix-compare") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId("matrix-pick-acme-dev"));
    await fireEvent.click(screen.getByTestId("matrix-pick-acme-test"));
    await fireEvent.click(screen.getByTestId("matrix-compare"));

    const ias = await screen.findByTestId("compare-step-ias");
    const appTid = within(ias).getAllByTestId("compare-claim").find((c) => c.dataset.claim === "app_tid");
    expect(appTid?.dataset.difference).toBe("only_left");
    expect(screen.getByTestId("compare-total").textContent).toMatch(/\d+ differences/);
    const entra = screen.getByTestId("compare-step-entra");
    const entraClaims = within(entra).queryAllByTestId("compare-claim");
    expect(
      entraClaims.every((c) => c.classList.contains("volatile")),
      "equal claims are hidden by default; only per-issue ones (iat, exp) may differ",
    ).toBe(true);

    await fireEvent.click(screen.getByTestId("compare-back"));
    expect(screen.getByTestId("matrix-view")).toBeTruthy();
  });

  it("says which tenant is signing in and cancels every run", async () => {
    const backend = await start({ hold: true });
    await fireEvent.click(screen.getByTestId("run-all"));

    const banner = await screen.findByTestId("matrix-signing-in");
    expect(banner.textContent).toMatch(/Signing in to Contoso dev/);
    expect(banner.textContent).toMatch(/Next: Contoso test/);
    expect(row("acme-test").dataset.phase).toBe("waiting_turn");

    await fireEvent.click(screen.getByTestId("matrix-cancel-all"));
    await screen.findByTestId("matrix-summary");
    expect(backend.callsTo("matrix_cancel")[0].args.slug).toBeNull();
    for (const slug of ["acme-dev", "acme-test", "sandbox"]) {
      expect(cell(slug, "entra").dataset.state, slug).toBe("failed");
      expect(within(cell(slug, "entra")).getByTestId("matrix-code").textContent).toBe("cancelled");
    }
  });
});

describe("History", () => {
  it("lists the session's runs, compares two and can be turned off and cleared", async () => {
    const backend = await start();
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("run-summary");
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("run-summary");

    await fireEvent.click(screen.getByRole("tab", { name: "History" }));
    await waitFor(() => expect(screen.getAllByTestId("history-run")).toHaveLength(2));
    const boxes = screen.getAllByRole("checkbox", { name: "Compare this run" });
    await fireEvent.click(boxes[0]);
    await fireEvent.click(boxes[1]);
    await fireEvent.click(screen.getByTestId("history-compare"));
    expect(await screen.findByTestId("compare-total")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("compare-back"));

    await fireEvent.click(await screen.findByRole("tab", { name: "History" }));
    await fireEvent.click(await screen.findByTestId("history-enabled"));
    expect(backend.callsTo("history_set_enabled")[0].args.enabled).toBe(false);
    await fireEvent.click(screen.getByTestId("history-clear"));
    await waitFor(() => expect(screen.queryAllByTestId("history-run")).toHaveLength(0));
  });
});
