import { describe, expect, it } from "vitest";
import { envColour } from "./environments";
import { base64UrlEncode, splitJwt } from "./jwt";
import { duration, expiryPhrase } from "./time";
import { mockIPC } from "@tauri-apps/api/mocks";
import { chainRun, toAppError } from "./api";
import type { Progress } from "./bindings/Progress";
import type { RunReport } from "./bindings/RunReport";

describe("time", () => {
  it.each([
    [40, "40 s"],
    [54 * 60 + 10, "54 min"],
    [2 * 3600 + 5 * 60, "2 h 5 min"],
    [12 * 3600, "12 h"],
    [5 * 86400, "5 days"],
  ])("writes %i seconds as %s", (s, text) => expect(duration(s)).toBe(text));

  it("says whether a token expires or expired", () => {
    expect(expiryPhrase(1000 + 3240, 1000)).toBe("expires in 54 min");
    expect(expiryPhrase(1000, 1000 + 180)).toBe("expired 3 min ago");
  });
});

describe("envColour", () => {
  it.each([
    ["prod", "env-red"],
    ["Production", "env-red"],
    ["dev", "env-green"],
    ["test", "env-amber"],
    ["qa", "env-amber"],
    ["sandbox", "env-violet"],
    [undefined, "env-none"],
  ])("colours %s as %s", (tag, cls) => expect(envColour(tag)).toBe(cls));

  it("gives an unknown tag the same colour every time", () => {
    expect(envColour("customer-x")).toBe(envColour("customer-x"));
    expect(envColour("customer-x")).toMatch(/^env-(blue|teal|pink|slate)$/);
  });
});

describe("splitJwt", () => {
  it("decodes UTF-8 claims from base64url", () => {
    const token = `${base64UrlEncode('{"alg":"RS256"}')}.${base64UrlEncode('{"name":"Zoë Ångström"}')}.sig`;
    expect(splitJwt(token)?.claims).toEqual({ name: "Zoë Ångström" });
  });

  it.each(["opaque-refresh-token", "a.b.c", ""])("refuses %j", (t) => expect(splitJwt(t)).toBeNull());
});

describe("toAppError", () => {
  it("keeps a command's {code, message, hint}", () => {
    expect(toAppError({ code: "x", message: "m", hint: "h" })).toEqual({ code: "x", message: "m", hint: "h" });
  });
  it("wraps a plain rejection string", () => {
    expect(toAppError("command chain_run not found")).toEqual({
      code: "internal",
      message: "command chain_run not found",
      hint: "",
    });
  });
});

describe("chainRun", () => {
  it("hands over every event of every batch, in order", async () => {
    const first: Progress[] = [{ type: "step_started", step: "entra" }, { type: "callback_received" }];
    const second: Progress[] = [{ type: "step_started", step: "ias" }];
    const report = { ok: true, profile: "Sandbox", steps: [], started_at: "" } as unknown as RunReport;
    mockIPC((cmd, args) => {
      const channel = (args as { onProgress: { onmessage: (batch: Progress[]) => void } }).onProgress;
      channel.onmessage(first);
      channel.onmessage(second);
      return cmd === "chain_run" ? report : null;
    });
    const seen: Progress[] = [];
    expect(await chainRun({ slug: "sandbox", draft: null, until: null }, (p) => seen.push(p))).toEqual(report);
    expect(seen).toEqual([...first, ...second]);
  });
});
