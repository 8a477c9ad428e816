// Environment tags (dev, test, prod, …) and the colour each one wears in the sidebar.

export const ENVIRONMENTS = ["dev", "test", "qa", "prod", "sandbox"] as const;

/** A CSS class `env-<colour>` for a tag: well-known names get fixed colours, others a stable hash. */
export function envColour(tag: string | undefined): string {
  if (!tag) return "env-none";
  const t = tag.toLowerCase();
  if (t.startsWith("prod") || t === "live") return "env-red";
  if (t.startsWith("dev")) return "env-green";
  if (t.startsWith("test") || t === "qa" || t.startsWith("stag")) return "env-amber";
  if (t === "sandbox" || t === "demo") return "env-violet";
  const palette = ["env-blue", "env-teal", "env-pink", "env-slate"];
  let h = 0;
  for (const c of t) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return palette[h % palette.length];
}
