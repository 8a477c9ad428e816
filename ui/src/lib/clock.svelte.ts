// Shared ticking clocks: one timer per clock while something on screen reads it, none otherwise.
import { createSubscriber } from "svelte/reactivity";

class Clock {
  #periodMs: number;
  #subscribe: () => void;

  /** `still`: checked when the first reader subscribes; if true, no timer runs and readers never re-run. */
  constructor(periodMs: number, still: () => boolean = () => false) {
    this.#periodMs = periodMs;
    this.#subscribe = createSubscriber((update) => {
      if (still()) return;
      const id = setInterval(update, periodMs);
      return () => clearInterval(id);
    });
  }

  /** Whole periods since the Unix epoch; reading it in a reactive context re-runs that context every period. */
  get now(): number {
    this.#subscribe();
    return Math.floor(Date.now() / this.#periodMs);
  }
}

/** Unix seconds, for every live countdown on screen. */
export const clock = new Clock(1000);

// The spinners' clock: eight positions a turn, ten a second. A CSS animation, even a stepped one, keeps
// WebKit's display link running at 60 frames a second, and the web view draws without GPU compositing: a
// style pass every frame, a paint at every step. A timer wakes the page ten times a second and nothing else.
// With reduced motion it stands still.
export const STEPS_PER_TURN = 8;
const ticker = new Clock(100, prefersReducedMotion);

/** The spinners' position, 0 to 7 (a reactive read, like `clock.now`). */
export function spinnerStep(): number {
  return ticker.now % STEPS_PER_TURN;
}

function prefersReducedMotion(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}
