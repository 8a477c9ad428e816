// The window's top-level state: what the main pane shows, the app info, the profile list.
import * as api from "./api";
import type { AppError } from "./api";
import { MatrixState } from "./matrix.svelte";
import { ProfilesState } from "./profiles.svelte";
import type { AppInfo } from "./bindings/AppInfo";
import type { KeychainStatus } from "./bindings/KeychainStatus";
import type { Step } from "./bindings/Step";

export type View =
  | { kind: "empty" }
  /** `run` and `step`: a past run of this session, opened at that hop (from the matrix or the history). */
  | { kind: "profile"; slug: string; run?: string; step?: Step }
  | { kind: "matrix" }
  | { kind: "compare"; left: string; right: string; back: View }
  | { kind: "wizard"; slug: string | null }
  | { kind: "decode" };

export class AppState {
  readonly profiles = new ProfilesState();
  readonly matrix = new MatrixState();
  #info = $state<AppInfo | null>(null);
  #keychain = $state<KeychainStatus | null>(null);
  #infoError = $state<AppError | null>(null);
  #view = $state<View>({ kind: "empty" });

  get info() {
    return this.#info;
  }
  /** `null` until the keychain probe has answered. */
  get keychain() {
    return this.#keychain;
  }
  get infoError() {
    return this.#infoError;
  }
  get view() {
    return this.#view;
  }
  get sandboxSlug(): string | undefined {
    return this.#info?.sandbox?.profile;
  }
  get selectedSlug(): string | null {
    return this.#view.kind === "profile" ? this.#view.slug : null;
  }

  show(view: View) {
    this.#view = view;
  }
  openProfile(slug: string) {
    this.#view = { kind: "profile", slug };
  }
  /** Opens a finished run of this session in its profile's run view, at `step`. */
  openRun(slug: string, run: string | undefined, step?: Step) {
    this.#view = { kind: "profile", slug, run, step };
  }
  compare(left: string, right: string) {
    this.#view = { kind: "compare", left, right, back: this.#view };
  }

  /** "Run all": the profiles the sidebar shows now (its search applied), in the matrix view. */
  runAll(): Promise<void> {
    this.#view = { kind: "matrix" };
    return this.matrix.start(this.profiles.visible);
  }

  /** Whether the keychain works: asked once the window is up, as the probe may start a D-Bus service. */
  async loadKeychain(): Promise<void> {
    try {
      this.#keychain = await api.keychainStatus();
    } catch (e) {
      this.#infoError = api.toAppError(e);
    }
  }

  /** Loads the app info and the profiles, then opens the sandbox (first run) or the first profile. */
  async start(): Promise<void> {
    const [info] = await Promise.allSettled([api.appInfo(), this.profiles.load()]);
    if (info.status === "fulfilled") this.#info = info.value;
    else this.#infoError = api.toAppError(info.reason);
    const sandbox = this.sandboxSlug;
    const first = (sandbox && this.profiles.find(sandbox)?.slug) ?? this.profiles.all[0]?.slug;
    // Only if the user has not gone elsewhere while the list loaded.
    if (first && this.#view.kind === "empty") this.openProfile(first);
  }

  /** Leaves the wizard: back to the profile being edited, else the first profile, else the empty state. */
  closeWizard(slug: string | null) {
    const next = slug ?? this.profiles.all[0]?.slug;
    this.#view = next ? { kind: "profile", slug: next } : { kind: "empty" };
  }

  /** After a delete: pick another profile or show the empty state. */
  afterRemoved(slug: string) {
    if (this.selectedSlug !== slug) return;
    const next = this.profiles.all[0]?.slug;
    this.#view = next ? { kind: "profile", slug: next } : { kind: "empty" };
  }
}
