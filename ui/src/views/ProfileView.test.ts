import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { useFakeBackend } from "../test-utils";
import ProfileView from "./ProfileView.svelte";

const node = (step: string) => screen.getByTestId(`chain-node-${step}`);
const states = () => ["entra", "ias", "xsuaa", "api"].map((s) => node(s).dataset.state);

async function openSandbox() {
  render(ProfileView, { slug: "sandbox", sandbox: true, onedit: () => {} });
  await screen.findByTestId("run-button");
}

describe("ProfileView run", () => {
  it("draws progress events on the chain nodes and waits for the sign-in with a copyable URL", async () => {
    const backend = useFakeBackend({ hold: true });
    await openSandbox();
    expect(screen.getByTestId("sandbox-intro")).toBeTruthy();
    expect(states()).toEqual(["ready", "ready", "ready", "ready"]);

    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("signin-waiting");
    expect(states()).toEqual(["running", "waiting", "waiting", "waiting"]);
    expect(screen.getByTestId("signin-url").textContent).toMatch(/\/oauth2\/v2\.0\/authorize\?client_id=/);
    expect(screen.getByTestId("cancel-button")).toBeTruthy();

    backend.release();
    const summary = await screen.findByTestId("run-summary");
    expect(states()).toEqual(["ok", "ok", "ok", "ok"]);
    expect(screen.queryByTestId("signin-waiting")).toBeNull();
    expect(summary.textContent).toMatch(/All 4 hops succeeded/);
    expect(within(node("ias")).getByText("184 ms")).toBeTruthy();
    expect(screen.getByTestId("chain-link-entra").textContent).toContain("id_token");
    // The last hop that produced a token is opened in the inspector.
    expect(screen.getByTestId("step-detail").dataset.step).toBe("xsuaa");
  });

  it("opens a node's tokens in the inspector when clicked", async () => {
    useFakeBackend();
    await openSandbox();
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("run-summary");

    expect(screen.getByTestId("step-detail").dataset.step).toBe("xsuaa");
    expect(document.querySelector('[data-claim="zid"]')).not.toBeNull();

    await fireEvent.click(node("entra"));
    expect(screen.getByTestId("step-detail").dataset.step).toBe("entra");
    expect(node("entra").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("token-view").dataset.token).toBe("id_token");
    expect(document.querySelector('[data-claim="tid"]')).not.toBeNull();
    expect(document.querySelector('[data-claim="zid"]')).toBeNull();
  });

  it("shows the failed hop's diagnosis with the raw response one click away", async () => {
    useFakeBackend({ failAt: "ias" });
    await openSandbox();
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("run-summary");

    expect(states()).toEqual(["ok", "failed", "skipped", "skipped"]);
    const box = screen.getByTestId("diagnosis");
    expect(box.dataset.code).toBe("ias.untrusted_assertion");
    expect(within(box).getByTestId("diagnosis-hint").textContent).toMatch(/corporate identity provider/);
    const raw = within(box).getByTestId("diagnosis-raw") as HTMLDetailsElement;
    expect(raw.open).toBe(false);
    expect(raw.textContent).toContain('"error":"invalid_grant"');
    expect(screen.getByTestId("run-summary").textContent).toMatch(/broke at SAP IAS/);
  });

  it("cancels a run that waits for the sign-in", async () => {
    const backend = useFakeBackend({ hold: true });
    await openSandbox();
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("signin-waiting");

    await fireEvent.click(screen.getByTestId("signin-cancel"));
    await screen.findByTestId("run-summary");
    expect(node("entra").dataset.state).toBe("failed");
    expect(backend.callsTo("chain_cancel")).toHaveLength(1);
    expect(screen.getByTestId("diagnosis").dataset.code).toBe("cancelled");
    expect(states().slice(1)).toEqual(["skipped", "skipped", "skipped"]);
    expect(screen.getByTestId("run-button")).toBeTruthy();
  });

  it("runs only up to the chosen step", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    await fireEvent.change(screen.getByTestId("run-until"), { target: { value: "ias" } });
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("run-summary");

    expect(node("ias").dataset.state).toBe("ok");
    expect(backend.callsTo("chain_run")[0].args.until).toBe("ias");
    expect(states().slice(2)).toEqual(["ready", "ready"]);
  });

  it("exports the run after it finished, with a live-token warning", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    const exportButton = screen.getByTestId("export-button") as HTMLButtonElement;
    expect(exportButton.disabled).toBe(true);
    await fireEvent.click(screen.getByTestId("run-button"));
    await waitFor(() => expect(exportButton.disabled).toBe(false));

    await fireEvent.click(exportButton);
    expect((await screen.findByTestId("export-warning")).textContent).toMatch(/live tokens/);
    await fireEvent.click(screen.getByTestId("export-format-curl"));
    await fireEvent.click(screen.getByTestId("export-save"));
    await screen.findByTestId("export-written");
    expect(backend.callsTo("export_save")[0].args).toEqual({ format: "curl", includeSecrets: false, writeClientCerts: false });
    expect(screen.queryByTestId("export-write-certs"), "a profile of client secrets has no certificate files").toBeNull();
    expect(JSON.stringify(backend.calls)).not.toMatch(/plugin:dialog/);
  });

  it("writes a certificate client's certificate and key beside a curl script only when asked, and only for curl", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    await fireEvent.click(screen.getByTestId("sandbox-credentials-certificates"));
    await waitFor(() => expect(screen.getByTestId("sandbox-credentials").dataset.current).toBe("certificates"));
    await fireEvent.click(screen.getByTestId("run-button"));
    const exportButton = screen.getByTestId("export-button") as HTMLButtonElement;
    await waitFor(() => expect(exportButton.disabled).toBe(false));
    await fireEvent.click(exportButton);

    expect((await screen.findByTestId("export-cert-note")).textContent, "Postman's own place").toMatch(/per host/);
    await fireEvent.click(screen.getByTestId("export-format-curl"));
    await fireEvent.click(screen.getByTestId("export-write-certs"));
    expect(screen.getByTestId("export-warning").textContent).toMatch(/private keys/);
    await fireEvent.click(screen.getByTestId("export-save"));
    await screen.findByTestId("export-written");
    expect(backend.callsTo("export_save")[0].args).toEqual({ format: "curl", includeSecrets: false, writeClientCerts: true });

    // Another format cannot ask for the files, even with the box ticked before.
    await fireEvent.click(screen.getByTestId("export-format-env"));
    expect(screen.queryByTestId("export-write-certs")).toBeNull();
    await fireEvent.click(screen.getByTestId("export-save"));
    await waitFor(() => expect(backend.callsTo("export_save")).toHaveLength(2));
    expect(backend.callsTo("export_save")[1].args).toEqual({ format: "env", includeSecrets: false, writeClientCerts: false });
  });

  it("copies an export with client secrets on the Rust side, so the page never holds them", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    await fireEvent.click(screen.getByTestId("run-button"));
    const exportButton = screen.getByTestId("export-button") as HTMLButtonElement;
    await waitFor(() => expect(exportButton.disabled).toBe(false));
    await fireEvent.click(exportButton);
    await fireEvent.click(await screen.findByTestId("export-include-secrets"));
    await fireEvent.click(screen.getByTestId("copy-curl"));
    await waitFor(() => expect(backend.callsTo("export_copy")).toHaveLength(1));
    expect(backend.callsTo("export_copy")[0].args).toEqual({ format: "curl", includeSecrets: true });
    expect(backend.callsTo("plugin:clipboard-manager|write_text"), "nothing the page copies itself").toEqual([]);
    expect(backend.callsTo("export_render"), "no export text comes to the page").toEqual([]);
  });
});

describe("ProfileView sandbox credentials", () => {
  it("switches the Sandbox profile to client certificates and back, through Rust", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    const choice = screen.getByTestId("sandbox-credentials");
    expect(choice.dataset.current, "the sandbox starts on client secrets").toBe("secrets");
    const xsuaaHost = () => within(node("xsuaa")).getByText(/authentication/).textContent;
    expect(xsuaaHost()).toBe("acme-dev.authentication.eu10.hana.ondemand.com");

    await fireEvent.click(screen.getByTestId("sandbox-credentials-certificates"));
    await waitFor(() => expect(choice.dataset.current).toBe("certificates"));
    expect(backend.callsTo("sandbox_set_credentials")[0].args).toEqual({ credentials: "certificates" });
    expect(xsuaaHost(), "XSUAA is called at its certificate host").toBe("acme-dev.authentication.cert.eu10.hana.ondemand.com");

    await fireEvent.click(screen.getByTestId("profile-tab-settings"));
    expect(await screen.findByTestId("certificate-ias-client-certificate")).toBeTruthy();
    expect(await screen.findByTestId("certificate-xsuaa-client-certificate")).toBeTruthy();
    expect(screen.queryByTestId("secret-xsuaa-client-secret"), "no secret field for a certificate client").toBeNull();
    expect(screen.getByTestId("profile-settings").textContent).toContain("XSUAA certificate host");

    await fireEvent.click(screen.getByTestId("profile-tab-run"));
    await fireEvent.click(screen.getByTestId("sandbox-credentials-secrets"));
    await waitFor(() => expect(screen.getByTestId("sandbox-credentials").dataset.current).toBe("secrets"));
    expect(xsuaaHost()).toBe("acme-dev.authentication.eu10.hana.ondemand.com");
  });

  it("switches the Sandbox profile to client assertions at Entra and IAS", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    await fireEvent.click(screen.getByTestId("sandbox-credentials-assertions"));
    await waitFor(() => expect(screen.getByTestId("sandbox-credentials").dataset.current).toBe("assertions"));
    expect(backend.callsTo("sandbox_set_credentials")[0].args).toEqual({ credentials: "assertions" });

    await fireEvent.click(screen.getByTestId("profile-tab-settings"));
    expect(await screen.findByTestId("certificate-ias-client-certificate")).toBeTruthy();
    expect(await screen.findByTestId("certificate-entra-client-certificate")).toBeTruthy();
    expect(screen.getByTestId("secret-xsuaa-client-secret"), "XSUAA keeps its secret").toBeTruthy();
  });

  it("cannot be switched while a run is going", async () => {
    const backend = useFakeBackend({ hold: true });
    await openSandbox();
    await fireEvent.click(screen.getByTestId("run-button"));
    await screen.findByTestId("signin-waiting");
    const certificates = screen.getByTestId("sandbox-credentials-certificates") as HTMLInputElement;
    expect(certificates.disabled).toBe(true);
    backend.release();
    await screen.findByTestId("run-summary");
    expect(certificates.disabled).toBe(false);
    expect(backend.callsTo("sandbox_set_credentials")).toEqual([]);
  });
});

describe("ProfileView settings", () => {
  it("shows where each secret comes from and never the value", async () => {
    const backend = useFakeBackend();
    await openSandbox();
    await fireEvent.click(screen.getByTestId("profile-tab-settings"));
    const source = await screen.findByTestId("secret-source-ias-client-secret");
    await waitFor(() => expect(source.dataset.source).toBe("session"));

    await fireEvent.input(screen.getByTestId("secret-input-xsuaa-client-secret"), { target: { value: "xs-s3cret" } });
    await fireEvent.submit(screen.getByTestId("secret-xsuaa-client-secret"));
    await waitFor(() => expect(screen.getByTestId("secret-source-xsuaa-client-secret").dataset.source).toBe("keychain"));
    expect(backend.callsTo("secrets_set")[0].args).toEqual({ slug: "sandbox", kind: "xsuaa-client-secret", value: "xs-s3cret" });
    expect(document.body.innerHTML).not.toContain("xs-s3cret");
    expect(screen.getByTestId("profile-settings").textContent).toContain("https://acme.accounts.ondemand.com");
  });
});
