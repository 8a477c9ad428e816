import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import Lifetime from "../inspector/Lifetime.svelte";
import { useFakeBackend } from "../test-utils";
import ProfileView from "./ProfileView.svelte";

const now = () => Math.floor(Date.now() / 1000);

async function runOnce() {
  await fireEvent.click(screen.getByTestId("run-button"));
  await screen.findByTestId("run-summary");
  // The summary is replaced on the next run; wait for this one's Entra node to settle.
  await waitFor(() => expect(screen.getByTestId("chain-node-entra").dataset.state).toBe("ok"));
}

describe("the cached sign-in in the profile view", () => {
  it("signs in through the browser once, then silently, and Sign out forgets it", async () => {
    const backend = useFakeBackend();
    render(ProfileView, { slug: "sandbox", sandbox: true, onedit: () => {} });
    await screen.findByTestId("run-button");
    await waitFor(() => expect(screen.getByTestId("sign-in-status").dataset.signedIn).toBe("false"));
    expect(screen.getByTestId("sign-in-status").textContent).toMatch(/next run opens the browser/);

    await runOnce();
    expect(screen.getByTestId("sign-in-method").dataset.method).toBe("browser");
    const user = await screen.findByTestId("signed-in-user");
    expect(user.textContent).toBe("alice@sandbox.onmicrosoft.com");
    expect(screen.getByTestId("sign-in-status").textContent).toMatch(/Signed in as alice@sandbox\.onmicrosoft\.com \(until .+\)/);

    await runOnce();
    await waitFor(() => expect(screen.getByTestId("sign-in-method").dataset.method).toBe("silent"));
    expect(screen.getByTestId("chain-node-entra").textContent).toContain("silent sign-in");

    await fireEvent.click(screen.getByTestId("sign-out"));
    await waitFor(() => expect(screen.getByTestId("sign-in-status").dataset.signedIn).toBe("false"));
    expect(backend.callsTo("profiles_sign_out")).toEqual([{ cmd: "profiles_sign_out", args: { slug: "sandbox" } }]);
    expect(backend.signedIn.has("sandbox")).toBe(false);
  });

  it("says so when the profile does not keep its sign-in", async () => {
    const backend = useFakeBackend();
    backend.profiles.get("sandbox")!.remember_sign_in = false;
    render(ProfileView, { slug: "sandbox", sandbox: true, onedit: () => {} });
    await screen.findByTestId("run-button");
    await runOnce();
    expect(screen.getByTestId("sign-in-method").dataset.method).toBe("browser");
    await waitFor(() => expect(screen.getByTestId("sign-in-status").textContent).toMatch(/does not keep its sign-in/));
  });

  it("refreshes the IAS tokens from the inspector with the step's refresh token", async () => {
    const backend = useFakeBackend();
    render(ProfileView, { slug: "sandbox", sandbox: true, onedit: () => {} });
    await screen.findByTestId("run-button");
    await runOnce();
    await fireEvent.click(screen.getByTestId("chain-node-ias"));
    await fireEvent.click(screen.getByTestId("refresh-token"));
    await waitFor(() => expect(backend.callsTo("chain_refresh")).toEqual([{ cmd: "chain_refresh", args: { step: "ias" } }]));

    await fireEvent.click(screen.getByTestId("chain-node-entra"));
    expect(screen.queryByTestId("refresh-token"), "Entra's tokens are renewed by running again").toBeNull();
  });
});

describe("the countdown", () => {
  it("offers a refresh only in a token's last five minutes", async () => {
    const onrefresh = vi.fn();
    const { unmount } = render(Lifetime, { issuedAt: now() - 3000, expiresAt: now() + 600, onrefresh });
    expect(screen.queryByTestId("refresh-soon"), "ten minutes left: no offer yet").toBeNull();
    unmount();

    render(Lifetime, { issuedAt: now() - 3300, expiresAt: now() + 240, onrefresh });
    await fireEvent.click(screen.getByTestId("refresh-soon"));
    expect(onrefresh).toHaveBeenCalledOnce();
  });

  it("offers nothing for a token that cannot be refreshed", () => {
    render(Lifetime, { issuedAt: now() - 3300, expiresAt: now() + 240 });
    expect(screen.queryByTestId("refresh-soon")).toBeNull();
  });
});
