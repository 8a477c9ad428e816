// Times for people: local date-time and "expires in 54 min" relative phrases.

export function localTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A duration in seconds as `54 min`, `2 h 5 min`, `40 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** `expires in 54 min` / `expired 3 min ago` for an expiry at `exp` seen at `now` (both Unix seconds). */
export function expiryPhrase(exp: number, now: number): string {
  return exp > now ? `expires in ${duration(exp - now)}` : `expired ${duration(now - exp)} ago`;
}

/** `in 5 min` / `3 min ago` for any moment. */
export function relative(at: number, now: number): string {
  return at > now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`;
}

export function elapsed(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
