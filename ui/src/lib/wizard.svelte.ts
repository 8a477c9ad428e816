// The guided set-up: six steps, a draft profile built from the form, validation by the backend before
// each Next, test runs of the draft up to the current hop, and saving.
import * as api from "./api";
import type { AppError, SecretsStatus } from "./api";
import { RunState } from "./run.svelte";
import type { ApiHeader } from "./bindings/ApiHeader";
import type { ClientAuth } from "./bindings/ClientAuth";
import type { FieldError } from "./bindings/FieldError";
import type { Flow } from "./bindings/Flow";
import type { HttpMethod } from "./bindings/HttpMethod";
import type { Profile } from "./bindings/Profile";
import type { ProfileSummary } from "./bindings/ProfileSummary";
import type { Step } from "./bindings/Step";
import type { TokenFormat } from "./bindings/TokenFormat";

/** The slug under which the wizard stores secrets before the profile has a name (`DRAFT_SLUG` in the shell's
 *  `state.rs`). */
export const DRAFT_SLUG = "__draft__";

export const WIZARD_STEPS = [
  { id: "entra", title: "Entra app", fields: ["entra."] },
  { id: "signin", title: "Sign in", fields: [] },
  { id: "ias", title: "SAP IAS", fields: ["ias."] },
  { id: "xsuaa", title: "BTP (optional)", fields: ["xsuaa."] },
  { id: "api", title: "API (optional)", fields: ["api."] },
  { id: "save", title: "Save", fields: [""] },
] as const;
export type WizardStepId = (typeof WIZARD_STEPS)[number]["id"];

export const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
export const DEFAULT_SCOPES = "openid profile email offline_access";

export class WizardState {
  readonly run = new RunState();
  #index = $state(0);
  #editing = $state<string | null>(null);
  #errors = $state<FieldError[]>([]);
  #busy = $state(false);
  #problem = $state<AppError | null>(null);
  #secrets = $state<SecretsStatus | null>(null);

  entra = $state({
    authority: DEFAULT_AUTHORITY,
    tenant: "",
    client_id: "",
    flow: "authorization-code" as Flow,
    confidential: false,
    /** "post" (the client secret) or "private-key-jwt" (a certificate credential). */
    client_auth: "post" as ClientAuth,
    username: "",
    scopes: DEFAULT_SCOPES,
  });
  ias = $state({
    url: "",
    client_id: "",
    client_auth: "post" as ClientAuth,
    token_format: "jwt" as TokenFormat,
    scope: "",
    resource: "",
    assertion_kid: "",
  });
  xsuaa = $state({
    enabled: false,
    url: "",
    client_id: "",
    client_auth: "post" as ClientAuth,
    cert_url: "",
    scope: "",
    trust_client_id: "",
  });
  /** A loaded profile's `ca_file`, kept as it is (the wizard does not edit it). */
  #caFile: string | undefined = undefined;
  apiCall = $state({ enabled: false, url: "", header: "authorization" as ApiHeader, method: "GET" as HttpMethod });
  meta = $state({ name: "", environment: "dev" });

  get index() {
    return this.#index;
  }
  get step() {
    return WIZARD_STEPS[this.#index];
  }
  get isLast() {
    return this.#index === WIZARD_STEPS.length - 1;
  }
  get editing() {
    return this.#editing;
  }
  /** Where the wizard's secrets go: the draft slug until the profile is saved. */
  get secretSlug() {
    return this.#editing ?? DRAFT_SLUG;
  }
  get errors() {
    return this.#errors;
  }
  get busy() {
    return this.#busy;
  }
  /** Why Next was refused when it is not a field error (command failed, sign-in missing). */
  get problem() {
    return this.#problem;
  }
  get secrets() {
    return this.#secrets;
  }

  errorFor(field: string): FieldError | undefined {
    return this.#errors.find((e) => e.field === field);
  }

  /** The draft as a `Profile`; hops not yet reached or switched off are left out. */
  toProfile(): Profile {
    const e = this.entra;
    const profile: Profile = {
      schema_version: 1,
      name: this.meta.name.trim() || "New profile",
      environment: this.meta.environment.trim() || undefined,
      ca_file: this.#caFile,
      entra: {
        authority: e.authority.trim() || DEFAULT_AUTHORITY,
        tenant: e.tenant.trim(),
        client_id: e.client_id.trim(),
        flow: e.flow,
        scopes: e.scopes.split(/[\s,]+/).filter(Boolean),
        redirect_host: "localhost",
        redirect_port: 0,
        confidential: e.confidential,
        client_auth: e.confidential && e.client_auth === "private-key-jwt" ? "private-key-jwt" : undefined,
        username: e.username.trim() || undefined,
      },
    };
    if (this.#index >= 2 || this.ias.url || this.ias.client_id) {
      profile.ias = {
        url: this.ias.url.trim(),
        client_id: this.ias.client_id.trim(),
        client_auth: this.ias.client_auth,
        token_format: this.ias.token_format,
        scope: this.ias.scope.trim() || undefined,
        resource: this.ias.resource.trim() || undefined,
        // A key ID only names the key of client assertions.
        assertion_kid:
          this.ias.client_auth === "private-key-jwt" ? this.ias.assertion_kid.trim() || undefined : undefined,
      };
    }
    if (this.xsuaa.enabled) {
      profile.xsuaa = {
        url: this.xsuaa.url.trim(),
        client_id: this.xsuaa.client_id.trim(),
        client_auth: this.xsuaa.client_auth,
        cert_url: this.xsuaa.cert_url.trim() || undefined,
        scope: this.xsuaa.scope.trim() || undefined,
        trust_client_id: this.xsuaa.trust_client_id.trim() || undefined,
      };
    }
    if (this.apiCall.enabled) {
      profile.api = { url: this.apiCall.url.trim(), header: this.apiCall.header, method: this.apiCall.method };
    }
    return profile;
  }

  /** Fills the form from a saved profile, to edit it. */
  async load(slug: string): Promise<void> {
    const p = await api.profilesGet(slug);
    this.#editing = slug;
    Object.assign(this.entra, {
      ...p.entra,
      client_auth: p.entra.client_auth ?? "post",
      username: p.entra.username ?? "",
      scopes: p.entra.scopes.join(" "),
    });
    if (p.ias)
      Object.assign(this.ias, {
        ...p.ias,
        scope: p.ias.scope ?? "",
        resource: p.ias.resource ?? "",
        assertion_kid: p.ias.assertion_kid ?? "",
      });
    if (p.xsuaa) {
      const x = p.xsuaa;
      Object.assign(this.xsuaa, {
        enabled: true,
        ...x,
        cert_url: x.cert_url ?? "",
        scope: x.scope ?? "",
        trust_client_id: x.trust_client_id ?? "",
      });
    }
    if (p.api) Object.assign(this.apiCall, { enabled: true, ...p.api });
    this.#caFile = p.ca_file;
    this.meta.name = p.name;
    this.meta.environment = p.environment ?? "";
    await this.refreshSecrets();
  }

  async refreshSecrets(): Promise<void> {
    try {
      this.#secrets = await api.secretsStatus(this.secretSlug);
    } catch {
      this.#secrets = null;
    }
  }

  /** Asks the backend to check the draft; keeps the errors that belong to the current step (all on the
   *  last step). True when the step may be left. */
  async validate(): Promise<boolean> {
    this.#busy = true;
    this.#problem = null;
    try {
      const all = await api.profilesValidate(this.toProfile());
      const prefixes: readonly string[] = this.step.fields;
      this.#errors = this.isLast ? all : all.filter((e) => prefixes.some((p) => p && e.field.startsWith(p)));
      return this.#errors.length === 0;
    } catch (e) {
      this.#problem = api.toAppError(e);
      return false;
    } finally {
      this.#busy = false;
    }
  }

  async next(): Promise<boolean> {
    if (this.step.id === "signin" && !this.run.outcome("entra")?.ok) {
      this.#problem = {
        code: "wizard.sign_in_first",
        message: "Sign in once before going on.",
        hint: "The next steps exchange the Entra ID token this sign-in produces.",
      };
      return false;
    }
    if (this.step.fields.length && !(await this.validate())) return false;
    if (this.isLast) return true;
    this.#index += 1;
    this.#problem = null;
    return true;
  }

  back() {
    if (this.#index === 0) return;
    this.#index -= 1;
    this.#errors = [];
    this.#problem = null;
  }

  /** Runs the draft up to `until`, showing the result on this step. */
  async tryUntil(until: Step) {
    if (!(await this.validate())) return;
    const p = this.toProfile();
    this.run.configure({ entra: true, ias: !!p.ias, xsuaa: !!p.xsuaa, api: !!p.api });
    await this.run.start({ slug: null, draft: p, until });
  }

  /** Reads a pasted service key; the backend keeps its secret, we fill in URL and client ID. */
  async pasteServiceKey(json: string): Promise<"ias" | "xsuaa" | null> {
    this.#problem = null;
    try {
      const key = await api.serviceKeyParse(this.secretSlug, json);
      // The same fields `tokenhop-cli profile key` applies: a certificate key switches to x509 (and brings certurl),
      // a secret key leaves post/basic as chosen.
      const auth = (next: ClientAuth, old: ClientAuth): ClientAuth => (next === "x509" || old === "x509" ? next : old);
      if (key.kind === "xsuaa") {
        Object.assign(this.xsuaa, {
          enabled: true,
          url: key.xsuaa.url,
          client_id: key.xsuaa.client_id,
          client_auth: auth(key.xsuaa.client_auth, this.xsuaa.client_auth),
          cert_url: key.xsuaa.cert_url ?? this.xsuaa.cert_url,
        });
      } else {
        Object.assign(this.ias, {
          url: key.ias.url,
          client_id: key.ias.client_id,
          client_auth: auth(key.ias.client_auth, this.ias.client_auth),
        });
      }
      await this.refreshSecrets();
      return key.kind;
    } catch (e) {
      this.#problem = api.toAppError(e);
      return null;
    }
  }

  /** Validates everything and writes the profile; secrets under the draft slug move with it. */
  async save(): Promise<ProfileSummary | null> {
    if (!(await this.validate())) return null;
    this.#busy = true;
    try {
      const saved = await api.profilesSave(this.#editing, this.toProfile());
      this.#editing = saved.slug;
      return saved;
    } catch (e) {
      this.#problem = api.toAppError(e);
      return null;
    } finally {
      this.#busy = false;
    }
  }
}
