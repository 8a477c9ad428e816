// One shared ticking clock (Unix seconds) for every live countdown on screen.
import { createSubscriber } from "svelte/reactivity";

class Clock {
  #subscribe = createSubscriber((update) => {
    const id = setInterval(update, 1000);
    return () => clearInterval(id);
  });

  /** Now, in Unix seconds; reading it in a reactive context re-runs that context every second. */
  get now(): number {
    this.#subscribe();
    return Math.floor(Date.now() / 1000);
  }
}

export const clock = new Clock();
