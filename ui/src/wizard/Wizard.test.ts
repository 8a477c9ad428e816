import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { ENTRA_CLIENT_ID, TENANT_ID } from "../mock/fixtures";
import { useFakeBackend } from "../test-utils";
import Wizard from "./Wizard.svelte";

const step = () => screen.getByTestId("wizard").dataset.step;
const fieldErrors = () => screen.queryAllByTestId("field-error").map((e) => e.dataset.field);
const type = (id: string, value: string) => fireEvent.input(screen.getByTestId(`input-${id}`), { target: { value } });
const next = () => fireEvent.click(screen.getByTestId("wizard-next"));

function open() {
  const onsaved = vi.fn();
  render(Wizard, { slug: null, onsaved, onopen: () => {}, oncancel: () => {} });
  return { onsaved };
}

describe("Wizard", () => {
  it("blocks Next while the Entra step has errors and shows them at their fields", async () => {
    const backend = useFakeBackend();
    open();
    expect(step()).toBe("entra");

    await next();
    await waitFor(() => expect(fieldErrors()).toEqual(["entra.tenant", "entra.client_id"]));
    expect(step()).toBe("entra");
    expect(screen.getByTestId("input-entra.tenant").getAttribute("aria-invalid")).toBe("true");
    expect(within(screen.getByTestId("field-entra.tenant")).getByTestId("field-error").textContent).toMatch(
      /tenant is required — Copy the Directory \(tenant\) ID/,
    );

    await type("entra.tenant", TENANT_ID);
    await type("entra.client_id", "not-a-guid");
    await next();
    await waitFor(() => expect(fieldErrors()).toEqual(["entra.client_id"]));
    expect(step()).toBe("entra");

    await type("entra.client_id", ENTRA_CLIENT_ID);
    await next();
    await waitFor(() => expect(step()).toBe("signin"));
    expect(fieldErrors()).toEqual([]);
    // The draft sent for validation holds what was typed, and no IAS part yet.
    const last = backend.callsTo("profiles_validate").at(-1)!.args.profile as { entra: { tenant: string }; ias?: unknown };
    expect(last.entra.tenant).toBe(TENANT_ID);
    expect(last.ias).toBeUndefined();
  });

  it("offers the exact redirect URI and platform to copy", async () => {
    const backend = useFakeBackend();
    open();
    expect(screen.getByTestId("copy-redirect-uri").textContent).toContain("http://localhost");
    expect(screen.getByTestId("copy-platform").textContent).toContain("Mobile and desktop applications");
    await fireEvent.click(screen.getByTestId("copy-redirect-uri-copy"));
    await waitFor(() =>
      expect(backend.callsTo("plugin:clipboard-manager|write_text").map((c) => c.args.text)).toEqual(["http://localhost"]),
    );
  });

  it("requires a sign-in before IAS, then exchanges and saves a profile whose secret was write-only", async () => {
    const backend = useFakeBackend();
    const { onsaved } = open();
    await type("entra.tenant", TENANT_ID);
    await type("entra.client_id", ENTRA_CLIENT_ID);
    await next();
    await waitFor(() => expect(step()).toBe("signin"));

    await next();
    expect((await screen.findByTestId("wizard-problem")).dataset.code).toBe("wizard.sign_in_first");
    expect(step()).toBe("signin");

    await fireEvent.click(screen.getByTestId("wizard-sign-in"));
    await screen.findByTestId("step-detail");
    expect(screen.getAllByTestId("check").map((c) => c.dataset.name)).toContain("ver");
    await next();
    await waitFor(() => expect(step()).toBe("ias"));
    // Client credentials go in the form body by default, as SAP's own libraries send them.
    expect((screen.getByTestId("input-ias.client_auth") as HTMLSelectElement).value).toBe("post");
    expect(screen.getByTestId("wizard").textContent).toMatch(/default identity provider/);
    expect(screen.getByTestId("wizard").textContent).toMatch(/Allow Identity Authentication users only/);

    await next();
    await waitFor(() => expect(fieldErrors()).toEqual(["ias.url", "ias.client_id"]));
    await type("ias.url", "http://acme.accounts.ondemand.com");
    await type("ias.client_id", "c1a2b3c4");
    await fireEvent.input(screen.getByTestId("secret-input-ias-client-secret"), { target: { value: "s3cr+t/=" } });
    await fireEvent.submit(screen.getByTestId("secret-ias-client-secret"));
    await waitFor(() =>
      expect(screen.getByTestId("secret-source-ias-client-secret").dataset.source).toBe("keychain"),
    );
    // Write-only: the value left the page, only its source is shown.
    expect((screen.getByTestId("secret-input-ias-client-secret") as HTMLInputElement).value).toBe("");
    expect(backend.callsTo("secrets_set")[0].args).toEqual({ slug: "__draft__", kind: "ias-client-secret", value: "s3cr+t/=" });

    await next();
    await waitFor(() => expect(fieldErrors()).toEqual(["ias.url"]));
    await type("ias.url", "https://acme.accounts.ondemand.com");
    await fireEvent.click(screen.getByTestId("wizard-exchange-ias"));
    await waitFor(() => expect(screen.getByTestId("step-detail").dataset.step).toBe("ias"));
    await next();
    await waitFor(() => expect(step()).toBe("xsuaa"));
    // Before any exchange, the step says which IAS application XSUAA accepts tokens of.
    expect(screen.getByTestId("wizard").textContent).toMatch(/xsuaa-cross-consumption: true/);
    await next();
    await waitFor(() => expect(step()).toBe("api"));
    await next();
    await waitFor(() => expect(step()).toBe("save"));

    await type("name", "ACME dev");
    await next();
    await screen.findByTestId("wizard-saved");
    expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ slug: "acme-dev", name: "ACME dev" }));
    const saved = backend.callsTo("profiles_save")[0].args as { slug: null; profile: Record<string, unknown> };
    expect(saved.slug).toBeNull();
    expect(JSON.stringify(saved.profile)).not.toContain("s3cr+t/=");
    expect((saved.profile.ias as { client_auth: string }).client_auth).toBe("post");
    expect(screen.getByTestId("export-panel")).toBeTruthy();
  });

  it("goes back without losing what was typed", async () => {
    useFakeBackend();
    open();
    await type("entra.tenant", TENANT_ID);
    await type("entra.client_id", ENTRA_CLIENT_ID);
    await next();
    await waitFor(() => expect(step()).toBe("signin"));
    await fireEvent.click(screen.getByTestId("wizard-back"));
    expect(step()).toBe("entra");
    expect((screen.getByTestId("input-entra.tenant") as HTMLInputElement).value).toBe(TENANT_ID);
  });

  it("device code and password name the public client flows setting", async () => {
    useFakeBackend();
    open();
    expect(screen.queryByTestId("public-client-flows")).toBeNull();
    for (const flow of ["device-code", "password"]) {
      await fireEvent.change(screen.getByTestId("input-entra.flow"), { target: { value: flow } });
      expect(screen.getByTestId("public-client-flows").textContent).toMatch(/Allow public client flows/);
    }
  });
});
