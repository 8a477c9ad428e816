// Local JWT splitting for display only (no verification): used to preview a pasted token before the
// backend's `tokens_decode` answers, and by the dev mock. Verification is the backend's job.

export function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function base64UrlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export interface SplitJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Header and claims of a compact JWS, or `null` when the text is not one (opaque token, typo). */
export function splitJwt(token: string): SplitJwt | null {
  const parts = token.trim().split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(base64UrlDecode(parts[0]));
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    if (typeof header !== "object" || typeof claims !== "object" || !header || !claims) return null;
    return { header, claims };
  } catch {
    return null;
  }
}
