// A fake TokenHop backend for `mockIPC`: the command contract of DESIGN §3 over in-memory profiles,
// emitting real-shaped progress events. Used by component tests and the dev-only mock window
// (`mock.html`), never by the production bundle.
import { splitJwt } from "../lib/jwt";
import type { AppInfo } from "../lib/bindings/AppInfo";
import type { CheckComparison } from "../lib/bindings/CheckComparison";
import type { ClaimComparison } from "../lib/bindings/ClaimComparison";
import type { FieldError } from "../lib/bindings/FieldError";
import type { HistoryList } from "../lib/bindings/HistoryList";
import type { KeychainStatus } from "../lib/bindings/KeychainStatus";
import type { MatrixEvent } from "../lib/bindings/MatrixEvent";
import type { Profile } from "../lib/bindings/Profile";
import type { ProfileSummary } from "../lib/bindings/ProfileSummary";
import type { Progress } from "../lib/bindings/Progress";
import type { RunComparison } from "../lib/bindings/RunComparison";
import type { RunRecord } from "../lib/bindings/RunRecord";
import type { RunReport } from "../lib/bindings/RunReport";
import type { SecretKind } from "../lib/bindings/SecretKind";
import type { SecretSource } from "../lib/bindings/SecretSource";
import type { ServiceKeyView } from "../lib/bindings/ServiceKeyView";
import type { SignedInUser } from "../lib/bindings/SignedInUser";
import type { Step } from "../lib/bindings/Step";
import type { StepOutcome } from "../lib/bindings/StepOutcome";
import type { TokenView } from "../lib/bindings/TokenView";
import * as fx from "./fixtures";

export interface FakeOptions {
  /** Milliseconds between progress events (0 in tests). */
  delay?: number;
  /** Make this hop fail with its real-shaped diagnosis. */
  failAt?: "ias";
  /** Return from `chain_run` only when `release()` is called (to observe a run in flight). */
  hold?: boolean;
  /** What `keychain_status` answers (available by default). */
  keychain?: KeychainStatus;
  /** Profiles (slugs) whose matrix runs fail at IAS. */
  failSlugs?: string[];
}

type Channel = { onmessage: (batch: Progress[]) => void };

export function sandboxProfile(): Profile {
  return {
    schema_version: 1,
    name: "Sandbox",
    environment: "sandbox",
    entra: {
      authority: "http://127.0.0.1:47011",
      tenant: fx.TENANT_ID,
      client_id: fx.ENTRA_CLIENT_ID,
      flow: "authorization-code",
      scopes: ["openid", "profile", "email", "offline_access"],
      redirect_host: "localhost",
      redirect_port: 0,
      confidential: false,
    },
    ias: { url: fx.IAS_URL, client_id: fx.IAS_CLIENT_ID, client_auth: "post", token_format: "jwt" },
    xsuaa: { url: fx.XSUAA_URL, client_id: fx.XSUAA_CLIENT_ID, client_auth: "post" },
    api: { url: "https://acme-app.cfapps.eu10.hana.ondemand.com/api/me", header: "authorization", method: "GET" },
  };
}

export function summary(slug: string, p: Profile): ProfileSummary {
  return {
    slug,
    name: p.name,
    environment: p.environment,
    tenant: p.entra.tenant,
    entra_client_id: p.entra.client_id,
    ias_url: p.ias?.url,
    xsuaa_url: p.xsuaa?.url,
    api_url: p.api?.url,
  };
}

export function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "profile";
}

/** The validation rules the backend applies, enough to exercise the UI. */
export function validate(p: Profile): FieldError[] {
  const errors: FieldError[] = [];
  const need = (field: string, value: string | undefined, what: string, hint: string) => {
    if (!value?.trim()) errors.push({ field, message: `${what} is required`, hint });
  };
  need("name", p.name, "A name", "Give the profile a name you will recognise.");
  need("entra.tenant", p.entra.tenant, "The tenant", "Copy the Directory (tenant) ID from the app's Overview page.");
  need("entra.client_id", p.entra.client_id, "The client ID", "Copy the Application (client) ID from the app's Overview page.");
  if (p.entra.client_id && !/^[0-9a-f-]{36}$/i.test(p.entra.client_id.trim()))
    errors.push({ field: "entra.client_id", message: "The client ID is not a GUID", hint: "It looks like 5e2c3b61-8f7d-…" });
  const url = (field: string, value: string | undefined) => {
    if (!value) return need(field, value, "The URL", "Paste the https:// address.");
    if (!/^https:\/\//.test(value) && !/^http:\/\/(localhost|127\.0\.0\.1)/.test(value))
      errors.push({ field, message: "Only https:// URLs are accepted", hint: "http:// is allowed for loopback hosts only." });
  };
  if (p.ias) {
    url("ias.url", p.ias.url);
    need("ias.client_id", p.ias.client_id, "The IAS client ID", "Applications → your app → Client Authentication.");
  }
  if (p.xsuaa) {
    url("xsuaa.url", p.xsuaa.url);
    need("xsuaa.client_id", p.xsuaa.client_id, "The XSUAA client ID", "The clientid of the service key.");
  }
  if (p.api) url("api.url", p.api.url);
  return errors;
}

export function decodeView(token: string, name = "pasted"): TokenView {
  const parts = splitJwt(token);
  if (!parts) throw { code: "token.not_a_jwt", message: "This is not a JWT.", hint: "A JWT has three base64url parts separated by dots." };
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    name,
    raw: token,
    header: parts.header,
    claims: parts.claims,
    signature: { status: "unverified", reason: "the mock backend does not fetch keys" },
    issued_at: num(parts.claims.iat),
    expires_at: num(parts.claims.exp),
  };
}

export function createFakeBackend(options: FakeOptions = {}) {
  const profiles = new Map<string, Profile>([["sandbox", sandboxProfile()]]);
  const secrets = new Map<string, SecretSource>();
  // The cached Entra sign-in per profile: a run signs in through the browser once, then silently.
  const signedIn = new Map<string, SignedInUser>();
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  let release: () => void = () => {};
  let cancelled = false;

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const notFound = (slug: string) => ({ code: "profile.not_found", message: `No profile “${slug}”.`, hint: "Refresh the list." });

  const session: { record: RunRecord; report: RunReport }[] = [];
  let historyEnabled = true;
  const cancelledSlugs = new Set<string>();
  let runningSlug: string | null = null;

  async function run(args: Record<string, unknown>, failAt = options.failAt): Promise<RunReport> {
    const ch = args.onProgress as Channel;
    const profile = (args.draft as Profile | null) ?? profiles.get(args.slug as string);
    if (!profile) throw notFound(String(args.slug));
    const until = (args.until as Step | null) ?? "api";
    const order: Step[] = ["entra", "ias", "xsuaa", "api"];
    const wanted = order.filter((s, i) => i <= order.indexOf(until) && (s === "entra" || profile[s]));
    const now = Math.floor(Date.now() / 1000);
    const steps: StepOutcome[] = [];
    cancelled = runningSlug !== null && cancelledSlugs.has(runningSlug);
    const send = async (p: Progress) => {
      ch.onmessage([p]);
      if (options.delay) await wait(options.delay);
    };
    const key = (args.slug as string | null) ?? "__draft__";
    const silent = signedIn.has(key) && profile.remember_sign_in !== false;
    for (const step of wanted) {
      await send({ type: "step_started", step });
      if (step === "entra" && silent) {
        await send({ type: "request", step, url: `${profile.entra.authority}/${profile.entra.tenant}/oauth2/v2.0/token` });
      } else if (step === "entra") {
        const url = `${profile.entra.authority}/${profile.entra.tenant}/oauth2/v2.0/authorize?client_id=${profile.entra.client_id}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A53117%2F&scope=openid+profile+email+offline_access&code_challenge_method=S256`;
        await send({ type: "browser_opened", url });
        await send({ type: "waiting_for_sign_in", redirect_uri: "http://localhost:53117/" });
        if (options.hold && !cancelled) await new Promise<void>((r) => (release = r));
        if (cancelled) {
          const o: StepOutcome = { ...fx.entraOutcome(now), ok: false, tokens: {}, claims: {}, views: [], checks: [] };
          o.error = { code: "cancelled", message: "The sign-in was cancelled.", hint: "Run again when ready." };
          await send({ type: "step_finished", outcome: o });
          steps.push(o);
          break;
        }
        await send({ type: "callback_received" });
      } else {
        await send({ type: "request", step, url: step === "ias" ? `${fx.IAS_URL}/oauth2/token` : `${fx.XSUAA_URL}/oauth/token` });
      }
      const o =
        step === "entra" ? { ...fx.entraOutcome(now), sign_in: { method: silent ? ("silent" as const) : ("browser" as const) } }
        : step === "ias" ? (failAt === "ias" ? fx.iasFailure() : fx.iasOutcome(now))
        : step === "xsuaa" ? fx.xsuaaOutcome(now)
        : fx.apiOutcome();
      await send({ type: "step_finished", outcome: o });
      steps.push(o);
      if (step === "entra" && o.ok && profile.remember_sign_in !== false) {
        signedIn.set(key, { sub: "Qm9iIHRoZSBzdWI", tid: fx.TENANT_ID, username: "alice@sandbox.onmicrosoft.com", refreshed_at: now });
      }
      if (!o.ok) break;
    }
    return { ok: steps.every((s) => s.ok) && steps.length === wanted.length, profile: profile.name, steps, started_at: new Date().toISOString() };
  }

  /** The matrix, one run after the other (the real one overlaps the hops after each sign-in). */
  async function matrix(args: Record<string, unknown>): Promise<RunRecord[]> {
    const ch = args.onEvent as { onmessage: (e: MatrixEvent) => void };
    const slugs = args.slugs as string[];
    cancelledSlugs.clear();
    slugs.forEach((slug) => ch.onmessage({ type: "queued", slug }));
    const records: RunRecord[] = [];
    for (const [i, slug] of slugs.entries()) {
      if (i + 1 < slugs.length) ch.onmessage({ type: "waiting_for_sign_in", slug: slugs[i + 1], behind: slug });
      ch.onmessage({ type: "signing_in", slug });
      runningSlug = slug;
      cancelled = cancelledSlugs.has(slug);
      const onProgress = { onmessage: (batch: Progress[]) => batch.forEach((progress) => ch.onmessage({ type: "progress", slug, progress })) };
      const report = await run({ slug, until: args.until, onProgress }, options.failSlugs?.includes(slug) ? "ias" : options.failAt);
      runningSlug = null;
      records.push(remember(slug, report));
      ch.onmessage({ type: "finished", slug, report });
    }
    return records;
  }

  function remember(slug: string, report: RunReport): RunRecord {
    const record: RunRecord = {
      id: `${slug}@${report.started_at}#${session.length + 1}`,
      slug,
      profile: report.profile,
      started_at: report.started_at,
      ok: report.ok,
      steps: report.steps.map((s) => ({
        step: s.step,
        ok: s.ok,
        elapsed_ms: s.elapsed_ms,
        code: s.error?.code,
        message: s.error?.message,
        claims: s.claims,
        checks: s.checks,
        lifetimes: Object.fromEntries(s.views.map((v) => [v.name, { issued_at: v.issued_at, expires_at: v.expires_at }])),
      })),
    };
    session.unshift({ record, report });
    return record;
  }

  /** The shape `history_compare` answers with; the diff itself is core's (`compare.rs`), this is a stand-in. */
  function compare(left: RunRecord, right: RunRecord): RunComparison {
    const steps = order
      .filter((step) => left.steps.some((s) => s.step === step) || right.steps.some((s) => s.step === step))
      .map((step) => {
        const l = left.steps.find((s) => s.step === step);
        const r = right.steps.find((s) => s.step === step);
        const tokens = [...new Set([...Object.keys(l?.claims ?? {}), ...Object.keys(r?.claims ?? {})])].sort().map((token) => {
          const lc = l?.claims[token] ?? {};
          const rc = r?.claims[token] ?? {};
          const claims: ClaimComparison[] = [...new Set([...Object.keys(lc), ...Object.keys(rc)])].sort().map((name) => {
            const [a, b] = [lc[name], rc[name]];
            const difference =
              a === undefined ? "only_right" : b === undefined ? "only_left" : JSON.stringify(a) === JSON.stringify(b) ? "same" : "different";
            return { name, left: a ?? null, right: b ?? null, difference, volatile: ["iat", "exp", "nbf", "jti", "nonce"].includes(name) };
          });
          return { token, claims, left_lifetime: null, right_lifetime: null, lifetime_differs: false };
        });
        const checks: CheckComparison[] = [];
        const side = (s: typeof l) => s && { ok: s.ok, elapsed_ms: s.elapsed_ms, code: s.code };
        return { step, left: side(l) ?? null, right: side(r) ?? null, tokens, checks };
      });
    const differences = steps.flatMap((s) => s.tokens.flatMap((t) => t.claims)).filter((c) => c.difference !== "same" && !c.volatile).length;
    const runSide = (r: RunRecord) => ({ id: r.id, profile: r.profile, started_at: r.started_at, ok: r.ok });
    return { left: runSide(left), right: runSide(right), steps, differences };
  }
  const order: Step[] = ["entra", "ias", "xsuaa", "api"];

  async function handle(cmd: string, raw: unknown): Promise<unknown> {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const slug = args.slug as string;
    switch (cmd) {
      case "app_info":
        return { version: "0.1.0", sandbox: { profile: "sandbox" } } satisfies AppInfo;
      case "keychain_status":
        return options.keychain ?? { available: true };
      case "app_ready":
        return null;
      case "sandbox_set_credentials": {
        // As the app rewrites its Sandbox profile: IAS and XSUAA on certificates (XSUAA at its certificate host),
        // or Entra (a confidential app) and IAS on client assertions.
        const p = profiles.get("sandbox");
        if (!p?.ias || !p.xsuaa) throw notFound("sandbox");
        const x509 = args.credentials === "certificates";
        const assertions = args.credentials === "assertions";
        p.entra.confidential = assertions;
        p.entra.client_auth = assertions ? "private-key-jwt" : undefined;
        p.ias.client_auth = x509 ? "x509" : assertions ? "private-key-jwt" : "post";
        p.xsuaa.client_auth = x509 ? "x509" : "post";
        p.xsuaa.cert_url = x509 ? fx.XSUAA_URL.replace(".authentication.", ".authentication.cert.") : undefined;
        return structuredClone(p);
      }
      case "profiles_list":
        return {
          profiles: [...profiles].map(([s, p]) => summary(s, p)),
          errors: [{ file: "/home/ada/.config/tokenhop/profiles/broken.toml", message: "unknown field `tenent`, expected one of `authority`, `tenant`, …", line: 4, column: 1 }],
        };
      case "profiles_get":
        if (!profiles.has(slug)) throw notFound(slug);
        return structuredClone(profiles.get(slug));
      case "profiles_validate":
        return validate(args.profile as Profile);
      case "profiles_save": {
        const p = args.profile as Profile;
        const s = slug ?? slugify(p.name);
        profiles.set(s, p);
        return summary(s, p);
      }
      case "profiles_rename": {
        const p = profiles.get(slug);
        if (!p) throw notFound(slug);
        const name = args.newName as string;
        if ([...profiles.values()].some((o) => o !== p && o.name === name))
          throw { code: "profile.exists", message: `A profile named “${name}” exists already.`, hint: "Choose another name." };
        profiles.delete(slug);
        const s = slugify(name);
        profiles.set(s, { ...p, name });
        return summary(s, profiles.get(s)!);
      }
      case "profiles_duplicate": {
        const p = profiles.get(slug);
        if (!p) throw notFound(slug);
        const name = args.newName as string;
        const s = slugify(name);
        profiles.set(s, { ...structuredClone(p), name });
        return summary(s, profiles.get(s)!);
      }
      case "profiles_delete":
        profiles.delete(slug);
        signedIn.delete(slug);
        return null;
      case "profiles_sign_in":
        return signedIn.get(slug) ?? null;
      case "profiles_sign_out":
        signedIn.delete(slug);
        return null;
      case "service_key_parse": {
        const key = JSON.parse(args.json as string);
        secrets.set(`${slug}/xsuaa-client-secret`, "keychain");
        return { kind: "xsuaa", xsuaa: { url: key.url, client_id: key.clientid, client_auth: "post" } } satisfies ServiceKeyView;
      }
      case "secrets_set":
        secrets.set(`${slug}/${args.kind}`, "keychain");
        return null;
      case "secrets_delete":
        secrets.delete(`${slug}/${args.kind}`);
        return null;
      case "secrets_certificate":
        // Public facts only, as the real command returns them; a mock certificate exists once "stored".
        return secrets.has(`${slug}/${args.kind}`) || slug === "sandbox"
          ? {
              subject: "CN=sb-demo!t1, OU=TokenHop Sandbox Clients",
              issuer: "CN=TokenHop Sandbox CA",
              not_before: "2026-11-01T00:00:00Z",
              not_after: "2026-11-08T00:00:00Z",
              days_left: 2,
              expires_soon: true,
              sha256_thumbprint: "AB:CD",
            }
          : null;
      case "secrets_status": {
        const kinds: SecretKind[] = [
          "entra-client-secret",
          "ias-client-secret",
          "xsuaa-client-secret",
          "entra-password",
          "ias-client-certificate",
          "ias-client-key",
          "xsuaa-client-certificate",
          "xsuaa-client-key",
          "entra-client-certificate",
          "entra-client-key",
        ];
        return Object.fromEntries(kinds.map((k) => [k, secrets.get(`${slug}/${k}`) ?? (slug === "sandbox" ? "session" : "missing")]));
      }
      case "chain_run": {
        const report = await run(args);
        if (!args.draft) remember(slug, report);
        return report;
      }
      case "matrix_run":
        return matrix(args);
      case "matrix_cancel": {
        const which = (args.slug as string | null) ?? null;
        for (const s of which ? [which] : [...profiles.keys()]) cancelledSlugs.add(s);
        if (runningSlug && cancelledSlugs.has(runningSlug)) {
          cancelled = true;
          release();
        }
        return null;
      }
      case "history_list":
        return {
          session: session.filter((e) => e.record.slug === slug).map((e) => e.record),
          saved: [],
          enabled: historyEnabled,
        } satisfies HistoryList;
      case "history_get": {
        const found = session.find((e) => e.record.id === args.id);
        if (!found) throw { code: "history.not_in_session", message: "That run is no longer in this session's history.", hint: "Run the profile again." };
        return found.report;
      }
      case "history_compare": {
        const find = (id: unknown) => session.find((e) => e.record.id === id)!.record;
        return compare(find(args.left), find(args.right));
      }
      case "history_set_enabled":
        historyEnabled = args.enabled as boolean;
        return null;
      case "history_clear":
        session.length = 0;
        return null;
      case "chain_refresh": {
        const now = Math.floor(Date.now() / 1000);
        const step = args.step as Step;
        if (step === "ias") return fx.iasOutcome(now);
        if (step === "xsuaa") return fx.xsuaaOutcome(now);
        throw { code: "refresh.not_refreshable", message: `The ${step} step has no refresh token.`, hint: "" };
      }
      case "chain_cancel":
        cancelled = true;
        release();
        return null;
      case "tokens_decode":
        return decodeView(args.token as string);
      case "export_render":
        return "#!/usr/bin/env bash\nset -euo pipefail\nIAS_URL='https://acme.accounts.ondemand.com'\n";
      case "profiles_import":
        return null;
      case "profiles_export":
        return true;
      case "export_copy":
        return null;
      case "export_save":
        return {
          files: [
            `/home/ada/acme.${args.format}`,
            ...(args.writeClientCerts ? ["/home/ada/acme-xsuaa-client.crt", "/home/ada/acme-xsuaa-client.key"] : []),
          ],
        };
      case "plugin:clipboard-manager|write_text":
        return null;
      default:
        throw { code: "internal", message: `The mock has no command ${cmd}`, hint: "" };
    }
  }

  return {
    handle,
    calls,
    profiles,
    release: () => release(),
    callsTo: (cmd: string) => calls.filter((c) => c.cmd === cmd),
    signedIn,
  };
}
