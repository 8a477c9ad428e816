// One run of the chain as the UI sees it: a state per hop, fed by the engine's progress events, the
// sign-in prompt while the browser is out, and the final report. The chain picture and the inspector
// read from here; nothing here touches the DOM.
import * as api from "./api";
import type { AppError, RunRequest } from "./api";
import { STEPS } from "./steps";
import type { Progress } from "./bindings/Progress";
import type { RunReport } from "./bindings/RunReport";
import type { Step } from "./bindings/Step";
import type { StepOutcome } from "./bindings/StepOutcome";

/** `unconfigured`: the profile has no such hop; `ready`: configured, not run yet; `waiting`: queued in this
 *  run; `skipped`: not reached (after `until`, or after a failure). */
export type NodeState = "unconfigured" | "ready" | "waiting" | "running" | "ok" | "failed" | "skipped";

export interface SignInPrompt {
  url?: string;
  redirectUri?: string;
  browserFailed?: string;
  device?: { userCode: string; verificationUri: string; message: string };
}

export type Configured = Record<Step, boolean>;

export class RunState {
  #configured = $state<Configured>({ entra: true, ias: false, xsuaa: false, api: false });
  #states = $state<Record<Step, NodeState>>({ entra: "ready", ias: "unconfigured", xsuaa: "unconfigured", api: "unconfigured" });
  // Raw (not deeply reactive): outcomes and reports are immutable snapshots from the engine, tokens and
  // HTTP records included; deep proxies of each run's data cost memory and time for nothing.
  #outcomes = $state.raw<Partial<Record<Step, StepOutcome>>>({});
  #activity = $state<Partial<Record<Step, string>>>({});
  #warnings = $state<{ step: Step; message: string }[]>([]);
  #signIn = $state<SignInPrompt | null>(null);
  #running = $state(false);
  #cancelling = $state(false);
  #report = $state.raw<RunReport | null>(null);
  #error = $state<AppError | null>(null);
  #selected = $state<Step | null>(null);
  #refreshing = $state<Step | null>(null);

  constructor(configured?: Configured) {
    if (configured) this.configure(configured);
  }

  get running() {
    return this.#running;
  }
  get cancelling() {
    return this.#cancelling;
  }
  get signIn() {
    return this.#signIn;
  }
  get warnings() {
    return this.#warnings;
  }
  get report() {
    return this.#report;
  }
  get error() {
    return this.#error;
  }
  get selected() {
    return this.#selected;
  }
  /** The hop whose tokens are being refreshed. */
  get refreshing() {
    return this.#refreshing;
  }
  get configured() {
    return this.#configured;
  }
  state(step: Step): NodeState {
    return this.#states[step];
  }
  outcome(step: Step): StepOutcome | undefined {
    return this.#outcomes[step];
  }
  activity(step: Step): string | undefined {
    return this.#activity[step];
  }
  select(step: Step | null) {
    this.#selected = step;
  }

  /** The outcome the inspector shows: the selected node's. */
  selectedOutcome = $derived.by(() => (this.#selected ? this.#outcomes[this.#selected] : undefined));
  /** The first failed hop of the run, where the chain broke. */
  failed = $derived.by(() => STEPS.map((s) => this.#outcomes[s]).find((o) => o && !o.ok));

  /** Which hops exist for this profile; resets every node to `ready` / `unconfigured`. */
  configure(configured: Configured) {
    this.#configured = { ...configured };
    this.reset();
  }

  reset() {
    for (const s of STEPS) this.#states[s] = this.#configured[s] ? "ready" : "unconfigured";
    this.#outcomes = {};
    this.#activity = {};
    this.#warnings = [];
    this.#signIn = null;
    this.#report = null;
    this.#error = null;
    this.#selected = null;
  }

  /** Runs the chain up to `req.until` (or every configured hop) and resolves with the report, or `null`
   *  when the command itself failed (then `error` says why). */
  async start(req: RunRequest): Promise<RunReport | null> {
    if (this.#running) return null;
    this.reset();
    const last = req.until ? STEPS.indexOf(req.until) : STEPS.length - 1;
    STEPS.forEach((s, i) => {
      if (this.#configured[s] && i <= last) this.#states[s] = "waiting";
    });
    this.#running = true;
    try {
      const report = await api.chainRun(req, (p) => this.handle(p));
      for (const o of report.steps) this.#finish(o);
      this.#report = report;
      return report;
    } catch (e) {
      this.#error = api.toAppError(e);
      return null;
    } finally {
      for (const s of STEPS) {
        if (this.#states[s] === "waiting" || this.#states[s] === "running") this.#states[s] = "skipped";
      }
      if (!this.#selected) this.#selected = this.#lastWithTokens();
      this.#signIn = null;
      this.#running = false;
      this.#cancelling = false;
    }
  }

  /** Shows a finished run (from the history) as if it had just run, the inspector on `step` if given. */
  show(report: RunReport, step?: Step) {
    this.reset();
    for (const s of STEPS) if (this.#configured[s]) this.#states[s] = "skipped";
    for (const o of report.steps) this.#finish(o);
    this.#report = report;
    if (step && this.#outcomes[step]) this.#selected = step;
    else if (!this.#selected) this.#selected = this.#lastWithTokens();
  }

  /** Whether `step`'s tokens can be renewed from its refresh token (IAS and XSUAA, after they succeeded). */
  canRefresh(step: Step): boolean {
    const o = this.#outcomes[step];
    return (step === "ias" || step === "xsuaa") && !!o?.ok && o.tokens.refresh_token != null && !this.#running;
  }

  /** Renews `step`'s tokens from its refresh token; the new outcome replaces the old one (or `error` says why). */
  async refresh(step: Step): Promise<void> {
    if (this.#refreshing || !this.canRefresh(step)) return;
    this.#refreshing = step;
    this.#error = null;
    try {
      const outcome = await api.chainRefresh(step);
      if (outcome.ok) {
        this.#outcomes = { ...this.#outcomes, [step]: outcome };
        if (this.#report) {
          this.#report = { ...this.#report, steps: this.#report.steps.map((o) => (o.step === step ? outcome : o)) };
        }
      } else {
        this.#error = outcome.error
          ? { code: outcome.error.code, message: outcome.error.message, hint: outcome.error.hint }
          : { code: "refresh.failed", message: "The refresh failed.", hint: "Run the chain again." };
      }
    } catch (e) {
      this.#error = api.toAppError(e);
    } finally {
      this.#refreshing = null;
    }
  }

  async cancel(): Promise<void> {
    if (!this.#running) return;
    this.#cancelling = true;
    try {
      await api.chainCancel();
    } catch (e) {
      this.#error = api.toAppError(e);
      this.#cancelling = false;
    }
  }

  /** Applies one progress event from the engine. */
  handle(p: Progress) {
    switch (p.type) {
      case "step_started":
        this.#states[p.step] = "running";
        if (p.step === "entra") this.#signIn = {};
        break;
      case "sign_in_queued":
        this.#activity.entra = `Waiting to sign in: ${p.behind} is signing in first`;
        break;
      case "sign_in_turn":
        this.#activity.entra = "Signing in";
        break;
      case "browser_opened":
        this.#signIn = { ...this.#signIn, url: p.url };
        break;
      case "browser_failed":
        this.#signIn = { ...this.#signIn, url: p.url, browserFailed: p.reason };
        break;
      case "waiting_for_sign_in":
        this.#signIn = { ...this.#signIn, redirectUri: p.redirect_uri };
        this.#activity.entra = "Waiting for sign-in";
        break;
      case "device_code":
        this.#signIn = {
          ...this.#signIn,
          device: { userCode: p.user_code, verificationUri: p.verification_uri, message: p.message },
        };
        this.#activity.entra = "Waiting for device code";
        break;
      case "callback_received":
        this.#signIn = null;
        this.#activity.entra = "Redeeming the code";
        break;
      case "request":
        this.#activity[p.step] = `Calling ${hostOf(p.url)}`;
        break;
      case "warning":
        this.#warnings.push({ step: p.step, message: p.message });
        break;
      case "step_finished":
        this.#finish(p.outcome);
        break;
    }
  }

  /** The last hop that produced tokens (what people came for), else the last that succeeded. */
  #lastWithTokens(): Step | null {
    const done = [...STEPS].reverse().filter((s) => this.#outcomes[s]?.ok);
    return done.find((s) => this.#outcomes[s]!.views.length > 0) ?? done[0] ?? null;
  }

  #finish(o: StepOutcome) {
    this.#outcomes = { ...this.#outcomes, [o.step]: o };
    this.#states[o.step] = o.ok ? "ok" : "failed";
    delete this.#activity[o.step];
    if (o.step === "entra") this.#signIn = null;
    if (!o.ok) this.#selected = o.step;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
