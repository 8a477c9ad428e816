import { render } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Spinner from "./Spinner.svelte";

const angle = (el: HTMLElement) => Number(/rotate\((\d+)deg\)/.exec(el.style.transform)?.[1]);

describe("Spinner", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("turns an eighth every 100 ms while shown, and stops its timer when gone", () => {
    const { container, unmount } = render(Spinner);
    const ring = container.querySelector<HTMLElement>(".spinner")!;
    const start = angle(ring);
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(100);
    flushSync();
    expect(angle(ring)).toBe((start + 45) % 360);
    vi.advanceTimersByTime(700);
    flushSync();
    expect(angle(ring), "eight ticks make a full turn").toBe(start);

    unmount();
    flushSync();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("two spinners share one timer and one position", () => {
    const a = render(Spinner).container.querySelector<HTMLElement>(".spinner")!;
    const b = render(Spinner).container.querySelector<HTMLElement>(".spinner")!;
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(300);
    flushSync();
    expect(angle(a)).toBe(angle(b));
  });

  it("stands still with reduced motion", () => {
    vi.stubGlobal("matchMedia", (q: string) => ({ matches: q.includes("reduce"), media: q }));
    const ring = render(Spinner).container.querySelector<HTMLElement>(".spinner")!;
    const start = angle(ring);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    flushSync();
    expect(angle(ring)).toBe(start);
  });
});
