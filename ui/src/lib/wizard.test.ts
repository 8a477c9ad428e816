import { describe, expect, it } from "vitest";
import { WizardState } from "./wizard.svelte";

describe("the wizard's draft profile", () => {
  it("names the IAS signing key's kid only for client assertions", () => {
    const wizard = new WizardState();
    Object.assign(wizard.ias, {
      url: "https://acme.accounts.ondemand.com",
      client_id: "3f1c2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
      client_auth: "private-key-jwt",
      assertion_kid: " tokenhop-2026 ",
    });
    expect(wizard.toProfile().ias?.assertion_kid).toBe("tokenhop-2026");

    wizard.ias.client_auth = "post";
    expect(wizard.toProfile().ias?.assertion_kid, "a secret client sends no key ID").toBeUndefined();
  });
});
