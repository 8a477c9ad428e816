// "Run all": many profiles at once as the matrix view sees them — a row per profile, a cell per hop with its
// state and time, whose browser sign-in it is, and each finished run's history id (to open or compare it).
// The concurrency itself is core's (matrix.rs); this only follows its events.
import * as api from "./api";
import type { AppError } from "./api";
import type { NodeState } from "./run.svelte";
import { STEPS } from "./steps";
import type { MatrixEvent } from "./bindings/MatrixEvent";
import type { ProfileSummary } from "./bindings/ProfileSummary";
import type { Step } from "./bindings/Step";
import type { StepOutcome } from "./bindings/StepOutcome";

/** Where a row's run is: queued for a place, waiting for another tenant's sign-in, signing in, running, done. */
export type RowPhase = "queued" | "waiting_turn" | "signing_in" | "running" | "done";

export interface MatrixRow {
  slug: string;
  name: string;
  environment?: string;
  phase: RowPhase;
  /** Whose sign-in this row waits for (`waiting_turn`). */
  behind?: string;
  states: Record<Step, NodeState>;
  /** Each finished hop's time and, if it failed, its diagnosis code (the run itself stays in the history). */
  results: Partial<Record<Step, { elapsed_ms: number; code?: string }>>;
  ok?: boolean;
  /** The run's id in the history, once the matrix has finished. */
  runId?: string;
}

export class MatrixState {
  #rows = $state<MatrixRow[]>([]);
  #running = $state(false);
  #error = $state<AppError | null>(null);

  get rows() {
    return this.#rows;
  }
  get running() {
    return this.#running;
  }
  get error() {
    return this.#error;
  }
  /** The hops any row asks for: the matrix's columns. */
  columns = $derived(STEPS.filter((s) => this.#rows.some((r) => r.states[s] !== "unconfigured")));
  /** The row whose browser sign-in is under way. */
  signingIn = $derived(this.#rows.find((r) => r.phase === "signing_in"));
  waitingTurn = $derived(this.#rows.filter((r) => r.phase === "waiting_turn"));

  row(slug: string): MatrixRow | undefined {
    return this.#rows.find((r) => r.slug === slug);
  }

  /** Runs `profiles` (up to `until`); resolves when every run has finished. */
  async start(profiles: ProfileSummary[], until: Step | null = null): Promise<void> {
    if (this.#running || profiles.length === 0) return;
    const last = until ? STEPS.indexOf(until) : STEPS.length - 1;
    this.#rows = profiles.map((p) => {
      const configured: Record<Step, boolean> = { entra: true, ias: !!p.ias_url, xsuaa: !!p.xsuaa_url, api: !!p.api_url };
      const states = Object.fromEntries(
        STEPS.map((s, i) => [s, configured[s] && i <= last ? "waiting" : "unconfigured"]),
      ) as Record<Step, NodeState>;
      return { slug: p.slug, name: p.name, environment: p.environment, phase: "queued", states, results: {} };
    });
    this.#error = null;
    this.#running = true;
    try {
      const records = await api.matrixRun(
        profiles.map((p) => p.slug),
        until,
        (e) => this.handle(e),
      );
      for (const record of records) {
        const row = this.row(record.slug);
        if (row) row.runId = record.id;
      }
    } catch (e) {
      this.#error = api.toAppError(e);
    } finally {
      for (const row of this.#rows) {
        for (const s of STEPS) if (row.states[s] === "waiting" || row.states[s] === "running") row.states[s] = "skipped";
        row.phase = "done";
      }
      this.#running = false;
    }
  }

  /** Cancels one row's run, or every run with `null`. */
  async cancel(slug: string | null): Promise<void> {
    try {
      await api.matrixCancel(slug);
    } catch (e) {
      this.#error = api.toAppError(e);
    }
  }

  handle(e: MatrixEvent) {
    const row = this.row(e.slug);
    if (!row) return;
    switch (e.type) {
      case "queued":
        row.phase = "queued";
        break;
      case "waiting_for_sign_in":
        row.phase = "waiting_turn";
        row.behind = this.row(e.behind)?.name ?? e.behind;
        break;
      case "signing_in":
        row.phase = "signing_in";
        row.behind = undefined;
        break;
      case "progress": {
        const p = e.progress;
        if (p.type === "step_started") {
          row.states[p.step] = "running";
          if (row.phase !== "signing_in") row.phase = "running";
        } else if (p.type === "callback_received") {
          row.phase = "running";
        } else if (p.type === "step_finished") {
          this.#finish(row, p.outcome as StepOutcome);
        }
        break;
      }
      case "finished":
        for (const o of e.report.steps) this.#finish(row, o as StepOutcome);
        row.ok = e.report.ok;
        row.phase = "done";
        for (const s of STEPS) if (row.states[s] === "waiting" || row.states[s] === "running") row.states[s] = "skipped";
        break;
    }
  }

  #finish(row: MatrixRow, o: StepOutcome) {
    row.results[o.step] = { elapsed_ms: o.elapsed_ms, code: o.error?.code ?? (o.ok ? undefined : "check_failed") };
    row.states[o.step] = o.ok ? "ok" : "failed";
    if (o.step === "entra" && row.phase === "signing_in") row.phase = "running";
  }
}
