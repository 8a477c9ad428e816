// One shared ticker for the spinners: eight positions a turn, moved by a timer while something shows them.
// A CSS animation, even a stepped one, keeps WebKit's display link running at 60 frames a second, and the web
// view draws without GPU compositing: a style pass every frame, a paint at every step. A timer wakes the page
// ten times a second and nothing else. With reduced motion the ticker stands still.
import { createSubscriber } from "svelte/reactivity";

export const TICK_MS = 100;
export const STEPS_PER_TURN = 8;

class Ticker {
  #step = 0;
  #subscribe = createSubscriber((update) => {
    if (prefersReducedMotion()) return;
    const id = setInterval(() => {
      this.#step = (this.#step + 1) % STEPS_PER_TURN;
      update();
    }, TICK_MS);
    return () => clearInterval(id);
  });

  /** The current position, 0 to 7; reading it in a reactive context re-runs that context at every tick. */
  get step(): number {
    this.#subscribe();
    return this.#step;
  }
}

function prefersReducedMotion(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export const ticker = new Ticker();
