import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { entraIdToken, iasOutcome, view, xsuaaAccessToken } from "../mock/fixtures";
import { useFakeBackend } from "../test-utils";
import TokenInspector from "./TokenInspector.svelte";

const now = () => Math.floor(Date.now() / 1000);
const claimRow = (name: string) => document.querySelector<HTMLElement>(`[data-testid=claim][data-claim="${name}"]`)!;

describe("TokenInspector", () => {
  it("shows an Entra ID token's claims with their meaning, times and a live expiry", () => {
    const claims = entraIdToken(now());
    render(TokenInspector, { views: [view("id_token", claims, "https://login.microsoftonline.com/keys")] });

    expect(within(claimRow("ver")).getByTestId("claim-value").textContent).toBe("2.0");
    expect(within(claimRow("aud")).getByTestId("claim-note").textContent).toMatch(/Audience/);
    expect(within(claimRow("tid")).getByTestId("claim-note").textContent).toMatch(/tenant/i);
    expect(within(claimRow("exp")).getByTestId("claim-time").textContent).toMatch(/in 5\d min/);
    expect(screen.getByTestId("expiry-phrase").textContent).toMatch(/^expires in 5\d min$/);
    expect(screen.getByTestId("lifetime").dataset.expired).toBe("false");
    expect(screen.getByTestId("signature").dataset.status).toBe("verified");
  });

  it("marks an expired token red and says how long ago it expired", () => {
    const claims = { ...entraIdToken(now() - 7200) };
    render(TokenInspector, { views: [view("id_token", claims, "https://x/keys")] });

    expect(screen.getByTestId("lifetime").dataset.expired).toBe("true");
    expect(screen.getByTestId("expiry-phrase").textContent).toMatch(/^expired 1 h( \d+ min)? ago$/);
  });

  it("explains the IAS and XSUAA claims consultants ask about", () => {
    const xsuaa = view("access_token", xsuaaAccessToken(now()), "https://x/token_keys");
    const { unmount } = render(TokenInspector, { views: [xsuaa] });
    for (const name of ["zid", "scope", "cid", "origin", "user_name"]) {
      expect(within(claimRow(name)).getByTestId("claim-note").textContent, `${name} needs a note`).not.toBe("");
    }
    const scopes = within(claimRow("scope")).getAllByText(/acme-app!t12345\./);
    expect(scopes.map((s) => s.textContent)).toEqual(["acme-app!t12345.Display", "acme-app!t12345.Edit"]);
    unmount();

    render(TokenInspector, { views: iasOutcome(now()).views });
    for (const name of ["app_tid", "azp", "ias_iss", "sap_id_type", "scim_id", "user_uuid", "groups"]) {
      expect(within(claimRow(name)).getByTestId("claim-note").textContent, `${name} needs a note`).not.toBe("");
    }
  });

  it("switches between the tokens of a hop and between claims, header and raw", async () => {
    const outcome = iasOutcome(now());
    render(TokenInspector, { views: outcome.views, checks: outcome.checks });

    expect(screen.getByTestId("token-view").dataset.token).toBe("id_token");
    expect(screen.getAllByTestId("check").map((c) => c.dataset.name)).toEqual(["app_tid", "aud"]);

    await fireEvent.click(screen.getByTestId("inspector-tab-header"));
    expect(within(screen.getByTestId("header")).getByText("RS256")).toBeTruthy();

    await fireEvent.click(screen.getByTestId("inspector-tab-raw"));
    expect(screen.getByTestId("raw-token").textContent).toBe(outcome.views[0].raw);

    await fireEvent.click(screen.getByTestId("token-tab-refresh_token"));
    expect(screen.getByTestId("token-view").dataset.token).toBe("refresh_token");
    expect(screen.getByText(/Opaque token/)).toBeTruthy();
    expect(screen.queryAllByTestId("check")).toHaveLength(0);
  });

  it("copies the raw token and a single claim to the clipboard", async () => {
    const backend = useFakeBackend();
    const claims = entraIdToken(now());
    const v = view("id_token", claims, "https://x/keys");
    render(TokenInspector, { views: [v] });

    await fireEvent.click(screen.getByTestId("copy-token"));
    await fireEvent.click(screen.getByTestId("copy-claim-email"));
    await waitFor(() => {
      const copied = backend.callsTo("plugin:clipboard-manager|write_text").map((c) => c.args.text);
      expect(copied).toEqual([v.raw, "ada.lovelace@contoso.com"]);
    });
  });
});
