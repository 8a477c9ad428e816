// The profile list of the sidebar: search, selection, and the file-level actions on a profile.
import * as api from "./api";
import type { AppError } from "./api";
import type { ProfileLoadError } from "./bindings/ProfileLoadError";
import type { ProfileSummary } from "./bindings/ProfileSummary";

export class ProfilesState {
  #all = $state<ProfileSummary[]>([]);
  #errors = $state<ProfileLoadError[]>([]);
  #query = $state("");
  /** Only profiles of this environment tag (case-insensitive), or every profile when null. */
  #environment = $state<string | null>(null);
  #loading = $state(true);
  #error = $state<AppError | null>(null);

  /** The environment tags the profiles carry, each once, in the order of the list. */
  environments = $derived.by(() => {
    const tags = this.#all.map((p) => p.environment?.trim().toLowerCase()).filter((t): t is string => !!t);
    return [...new Set(tags)];
  });

  /** Profiles of the chosen environment whose name, tenant, environment or URLs contain the query
   * (case-insensitive): what the sidebar lists and Run all runs. */
  visible = $derived.by(() => {
    const q = this.#query.trim().toLowerCase();
    const env = this.#environment;
    return this.#all.filter(
      (p) =>
        (!env || p.environment?.trim().toLowerCase() === env) &&
        (!q ||
          [p.name, p.slug, p.environment, p.tenant, p.ias_url, p.xsuaa_url]
            .filter(Boolean)
            .some((s) => s!.toLowerCase().includes(q))),
    );
  });

  /** Whether the list shows fewer than all profiles. */
  get filtered() {
    return !!this.#query.trim() || this.#environment !== null;
  }

  get all() {
    return this.#all;
  }
  get errors() {
    return this.#errors;
  }
  get loading() {
    return this.#loading;
  }
  get error() {
    return this.#error;
  }
  get query() {
    return this.#query;
  }
  set query(q: string) {
    this.#query = q;
  }
  get environment() {
    return this.#environment;
  }
  set environment(tag: string | null) {
    this.#environment = tag;
  }

  find(slug: string): ProfileSummary | undefined {
    return this.#all.find((p) => p.slug === slug);
  }

  async load(): Promise<void> {
    this.#loading = true;
    try {
      const list = await api.profilesList();
      this.#all = [...list.profiles].sort((a, b) => a.name.localeCompare(b.name));
      this.#errors = list.errors;
      this.#error = null;
    } catch (e) {
      this.#error = api.toAppError(e);
    } finally {
      this.#loading = false;
    }
  }

  async rename(slug: string, newName: string): Promise<ProfileSummary> {
    const saved = await api.profilesRename(slug, newName);
    await this.load();
    return saved;
  }

  async duplicate(slug: string, newName: string, copySecrets: boolean): Promise<ProfileSummary> {
    const saved = await api.profilesDuplicate(slug, newName, copySecrets);
    await this.load();
    return saved;
  }

  async remove(slug: string): Promise<void> {
    await api.profilesDelete(slug);
    await this.load();
  }

  /** Asks for a file and imports it; `null` when the user cancelled the dialog. */
  async import(): Promise<ProfileSummary | null> {
    const saved = await api.profilesImport();
    if (saved) await this.load();
    return saved;
  }

  /** Asks where to write the profile file (no secrets are in it); `false` when cancelled. */
  async export(slug: string): Promise<boolean> {
    return api.profilesExport(slug);
  }

  async saved(): Promise<void> {
    await this.load();
  }
}
