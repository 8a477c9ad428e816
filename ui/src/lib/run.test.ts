import { describe, expect, it } from "vitest";
import { RunState } from "./run.svelte";

describe("RunState", () => {
  it("says whose sign-in a queued run waits for, then that its own turn came", () => {
    const run = new RunState();
    run.handle({ type: "step_started", step: "entra" });
    run.handle({ type: "sign_in_queued", behind: "acme-test" });
    expect(run.activity("entra")).toBe("Waiting to sign in: acme-test is signing in first");
    run.handle({ type: "sign_in_turn" });
    expect(run.activity("entra")).toBe("Signing in");
    run.handle({ type: "waiting_for_sign_in", redirect_uri: "http://localhost:53117/" });
    expect(run.activity("entra")).toBe("Waiting for sign-in");
  });
});
