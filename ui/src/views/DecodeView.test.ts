import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { jwt, xsuaaAccessToken } from "../mock/fixtures";
import { useFakeBackend } from "../test-utils";
import DecodeView from "./DecodeView.svelte";

describe("DecodeView", () => {
  it("decodes a pasted JWT (with a Bearer prefix) without pressing a button", async () => {
    const backend = useFakeBackend();
    render(DecodeView);
    const token = jwt(xsuaaAccessToken(Math.floor(Date.now() / 1000)));
    await fireEvent.input(screen.getByTestId("decode-input"), { target: { value: `Bearer ${token}\n` } });

    await screen.findByTestId("token-view");
    expect(document.querySelector('[data-claim="zid"]')).not.toBeNull();
    expect(backend.callsTo("tokens_decode")[0].args).toEqual({ token, verify: true });
  });

  it("explains why a text is not a token", async () => {
    useFakeBackend();
    render(DecodeView);
    await fireEvent.input(screen.getByTestId("decode-input"), { target: { value: "opaque-refresh-token" } });
    await fireEvent.click(screen.getByTestId("decode-button"));

    const err = await screen.findByTestId("decode-error");
    expect(err.dataset.code).toBe("token.not_a_jwt");
    expect(screen.queryByTestId("token-view")).toBeNull();
  });
});
