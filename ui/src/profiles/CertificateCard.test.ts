import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { useFakeBackend } from "../test-utils";
import CertificateCard from "./CertificateCard.svelte";

describe("CertificateCard", () => {
  it("shows the stored certificate's public facts, warns near notAfter, and asks only for the certificate", async () => {
    const backend = useFakeBackend();
    await backend.handle("secrets_set", { slug: "dev", kind: "xsuaa-client-certificate", value: "PEM" });
    render(CertificateCard, { slug: "dev", kind: "xsuaa-client-certificate", label: "XSUAA client certificate" });

    expect((await screen.findByTestId("certificate-subject")).textContent).toContain("CN=sb-demo!t1");
    expect(screen.getByTestId("certificate-not-after").textContent).toContain("renew it soon");
    const kinds = backend.callsTo("secrets_certificate").map((c) => c.args.kind);
    expect(kinds).toEqual(["xsuaa-client-certificate"]);
  });

  it("says how to store a certificate when none is", async () => {
    useFakeBackend();
    render(CertificateCard, { slug: "dev", kind: "ias-client-certificate", label: "IAS client certificate" });
    const missing = await screen.findByTestId("certificate-missing");
    expect(missing.textContent).toContain("tokenhop-cli profile key dev --ias");
  });

  it("for a client assertion's certificate, says to store the key and certificate with secret set", async () => {
    useFakeBackend();
    render(CertificateCard, { slug: "dev", kind: "entra-client-certificate", label: "Entra app certificate", assertion: true });
    const missing = await screen.findByTestId("certificate-missing");
    expect(missing.textContent).toContain("tokenhop-cli secret set dev entra-client-key");
    expect(missing.textContent).toContain("tokenhop-cli secret set dev entra-client-certificate");
    expect(missing.textContent).not.toContain("profile key");
  });
});
