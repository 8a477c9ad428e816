// How a profile's IAS and XSUAA clients authenticate, where the UI needs to know: certificate clients (X.509
// bindings, mutual TLS) call XSUAA at its certificate host, and their exports can carry certificate files.
import type { Profile } from "./bindings/Profile";
import type { XsuaaConfig } from "./bindings/XsuaaConfig";

/** The IAS or the XSUAA client presents a client certificate. */
export function usesClientCertificate(p: Profile): boolean {
  return p.ias?.client_auth === "x509" || p.xsuaa?.client_auth === "x509";
}

/** Where XSUAA's token request goes: the certificate host (`cert_url`) for a certificate client, else `url`. */
export function xsuaaTokenHost(x: XsuaaConfig): string {
  return x.client_auth === "x509" && x.cert_url ? x.cert_url : x.url;
}
