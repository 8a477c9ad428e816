import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { sandboxProfile } from "../mock/backend";
import { useFakeBackend } from "../test-utils";

const names = () => screen.queryAllByTestId("profile-name").map((n) => n.textContent);
const item = (slug: string) => document.querySelector<HTMLElement>(`[data-testid=profile-item][data-slug="${slug}"]`)!;

async function startWithProfiles() {
  const backend = useFakeBackend();
  backend.profiles.set("acme-prod", { ...sandboxProfile(), name: "ACME prod", environment: "prod" });
  backend.profiles.set("globex-test", { ...sandboxProfile(), name: "Globex test", environment: "test", entra: { ...sandboxProfile().entra, tenant: "globex.onmicrosoft.com" } });
  render(App);
  await screen.findByTestId("profile-title");
  return backend;
}

async function menu(slug: string, action: string) {
  await fireEvent.click(within(item(slug)).getByTestId("profile-menu"));
  await fireEvent.click(within(item(slug)).getByTestId(`profile-${action}`));
}

describe("Sidebar", () => {
  it("opens on the sandbox profile on first run and tells the start-up benchmark it is ready", async () => {
    const backend = await startWithProfiles();
    expect(screen.getByTestId("profile-title").textContent).toBe("Sandbox");
    expect(screen.getByTestId("sandbox-intro")).toBeTruthy();
    expect(item("sandbox").querySelector("[aria-current=page]")).not.toBeNull();
    await waitFor(() => expect(backend.callsTo("app_ready")).toHaveLength(1));
    const { timings } = backend.callsTo("app_ready")[0].args as { timings: { script: number; data: number; rendered: number } };
    expect(timings.script).toBeLessThanOrEqual(timings.data);
    expect(timings.data).toBeLessThanOrEqual(timings.rendered);
  });

  it("says once, in a sentence, that secrets stay in memory when there is no keychain", async () => {
    useFakeBackend({
      keychain: {
        available: false,
        reason: "No keychain available: secrets will be asked for each run and never stored",
        detail: "the credential store could not be opened: no D-Bus session",
      },
    });
    render(App);
    const banner = await screen.findByTestId("keychain-warning");
    expect(banner.textContent?.replace(/\s+/g, " ")).toMatch(
      /never stored\. Secrets you enter stay in memory until TokenHop closes\./,
    );
    expect(banner.textContent).toContain("no D-Bus session");
    expect(banner.textContent).not.toContain("stored:");
  });

  it("lists profiles with their environment colour and names the files it could not read", async () => {
    await startWithProfiles();
    expect(names()).toEqual(["ACME prod", "Globex test", "Sandbox"]);
    expect(within(item("acme-prod")).getByTestId("env-tag").className).toContain("env-red");
    expect(within(item("globex-test")).getByTestId("env-tag").className).toContain("env-amber");
    expect(screen.getByTestId("profile-load-error").textContent).toMatch(/broken\.toml:4.*unknown field `tenent`/);
  });

  it("filters by name, tenant or environment as you type", async () => {
    await startWithProfiles();
    const search = screen.getByTestId("profile-search");
    await fireEvent.input(search, { target: { value: "globex.onmicrosoft" } });
    expect(names()).toEqual(["Globex test"]);
    await fireEvent.input(search, { target: { value: "PROD" } });
    expect(names()).toEqual(["ACME prod"]);
    await fireEvent.input(search, { target: { value: "nothing-like-this" } });
    expect(names()).toEqual([]);
    expect(screen.getByTestId("profile-no-match")).toBeTruthy();
  });

  it("renames a profile and keeps it selected", async () => {
    const backend = await startWithProfiles();
    await fireEvent.click(within(item("acme-prod")).getByTestId("profile-select"));
    await waitFor(() => expect(screen.getByTestId("profile-title").textContent).toBe("ACME prod"));

    await menu("acme-prod", "rename");
    const input = within(screen.getByTestId("name-dialog")).getByTestId("name-input") as HTMLInputElement;
    expect(input.value).toBe("ACME prod");
    await fireEvent.input(input, { target: { value: "ACME production" } });
    await fireEvent.click(screen.getByTestId("name-confirm"));

    await waitFor(() => expect(names()).toEqual(["ACME production", "Globex test", "Sandbox"]));
    expect(backend.callsTo("profiles_rename")[0].args).toEqual({ slug: "acme-prod", newName: "ACME production" });
    await waitFor(() => expect(screen.queryByTestId("name-dialog")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("profile-title").textContent).toBe("ACME production"));
  });

  it("shows why a rename was refused inside the dialog", async () => {
    await startWithProfiles();
    await menu("acme-prod", "rename");
    await fireEvent.input(screen.getByTestId("name-input"), { target: { value: "Sandbox" } });
    await fireEvent.click(screen.getByTestId("name-confirm"));
    const err = await within(screen.getByTestId("name-dialog")).findByTestId("error-note");
    expect(err.dataset.code).toBe("profile.exists");
    expect(names()).toContain("ACME prod");
  });

  it("duplicates a profile, optionally with its secrets, and opens the copy", async () => {
    const backend = await startWithProfiles();
    await menu("globex-test", "duplicate");
    await fireEvent.input(screen.getByTestId("name-input"), { target: { value: "Globex test 2" } });
    await fireEvent.click(screen.getByTestId("copy-secrets"));
    await fireEvent.click(screen.getByTestId("name-confirm"));
    await waitFor(() => expect(names()).toContain("Globex test 2"));
    expect(backend.callsTo("profiles_duplicate")[0].args).toEqual({
      slug: "globex-test",
      newName: "Globex test 2",
      copySecrets: true,
    });
    await waitFor(() => expect(screen.getByTestId("profile-title").textContent).toBe("Globex test 2"));
  });

  it("deletes only after confirmation", async () => {
    const backend = await startWithProfiles();
    await menu("acme-prod", "delete");
    await fireEvent.click(screen.getByTestId("delete-cancel"));
    expect(backend.callsTo("profiles_delete")).toHaveLength(0);
    expect(names()).toContain("ACME prod");

    await menu("acme-prod", "delete");
    expect(screen.getByTestId("confirm-delete").textContent).toMatch(/Delete “ACME prod”\?/);
    await fireEvent.click(screen.getByTestId("delete-confirm"));
    await waitFor(() => expect(names()).toEqual(["Globex test", "Sandbox"]));
    expect(backend.callsTo("profiles_delete")[0].args).toEqual({ slug: "acme-prod" });
  });

  it("closes the action menu with Escape", async () => {
    await startWithProfiles();
    await fireEvent.click(within(item("acme-prod")).getByTestId("profile-menu"));
    const rename = within(item("acme-prod")).getByTestId("profile-rename");
    await waitFor(() => expect(document.activeElement).toBe(rename));
    await fireEvent.keyDown(rename, { key: "Escape" });
    expect(within(item("acme-prod")).queryByTestId("profile-rename")).toBeNull();
  });
});
