/**
 * @module
 * The emulator's API semantics, independent of HTTP: get/list with selectors and pagination,
 * create/update/patch/delete with real metadata handling, status subresource rules,
 * finalizers, admission, dry-run and change subscriptions. The HTTP router and in-process
 * callers (tests, simulated controllers) both go through this.
 */
import { applyDefaults, statusOnCreate } from "./defaults.ts";
import type { AdmissionAttributes, AdmissionVerdict, UserInfo } from "./hooks.ts";
import { applyConfiguration, recordUpdate, type SchemaContext } from "./managed-fields.ts";
import { applyConflict, parseApplyConfiguration, withoutManagerTimes } from "./server-side-apply.ts";
import { applyJsonPatch, applyMergePatch, strategicMerge, type PatchType } from "./patch.ts";
import type { Registry } from "./registry.ts";
import { applySchemaDefaults, pruneUnknown, validateSchema } from "./schema.ts";
import { StatusError, alreadyExists, badRequest, conflict, forbidden, invalid, notFound, unsupportedMediaType, type FieldError } from "./status.ts";
import { readListPage, type ListOptions, type ListPage } from "./list-page.ts";
import { makeEntry, objectKey, type ChangeEvent, type Entry, type Storage } from "./storage.ts";
import { apiVersionOf, groupResource, type KubeObject, type ResourceType } from "./types.ts";
import { deepEqual, formatTime, isObj, randomSuffix, specPart } from "./util.ts";
import { validateBuiltin, validateBuiltinUpdate, validateName } from "./validate.ts";

export type { ListOptions, ListPage } from "./list-page.ts";

export const SYSTEM_USER: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };

export interface WriteOptions {
  dryRun?: boolean;
  user?: UserInfo;
  subresource?: string;
  fieldManager?: string;
  force?: boolean;
  /** Keep metadata.managedFields as given (server-side apply computed them). */
  managedFieldsComputed?: boolean;
  /** Skip the admission hook (simulated controllers may choose to). */
  skipAdmission?: boolean;
  /** Receives admission and field-validation warnings. */
  warnings?: string[];
  /** Server-side field validation for unknown (pruned) fields: Ignore, Warn (default) or Strict. */
  fieldValidation?: "Ignore" | "Warn" | "Strict";
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

/** What a store subscriber receives (objects are fresh copies it may keep or mutate). */
export interface StoreEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: string;
  object: KubeObject;
  oldObject?: KubeObject;
  resourceVersion: string;
}

export type Admitter = (attrs: AdmissionAttributes) => Promise<AdmissionVerdict>;

/** Types whose DELETE answers with the object instead of a Status (registry ReturnDeletedObject). */
const RETURNS_DELETED = new Set(["pods", "services", "namespaces"]);

/** Namespaces are only removed once their spec.finalizers (the namespace controller's) are gone. */
function hasSpecFinalizers(obj: KubeObject): boolean {
  return obj.kind === "Namespace" && isObj(obj.spec) && Array.isArray(obj.spec.finalizers) && obj.spec.finalizers.length > 0;
}

export class Api {
  /** Called after a commit (CRD registration, namespace and GC bookkeeping). */
  readonly afterCommit: ((ev: ChangeEvent) => void)[] = [];
  /** Validates type-specific content (CRD definitions). Throws StatusError. */
  readonly validators = new Map<string, (obj: KubeObject, old: KubeObject | undefined) => void>();
  admitter: Admitter | undefined;

  constructor(
    readonly storage: Storage,
    readonly registry: Registry,
    readonly clock: () => Date = () => new Date(),
  ) {}

  /** The type behind `pods` / `deployments.apps`; 404 if not served. */
  type(gr: string): ResourceType {
    const t = this.registry.get(gr);
    if (!t) throw new StatusError(404, "NotFound", "the server could not find the requested resource", {});
    return t;
  }

  private now(): string {
    return formatTime(this.clock());
  }

  getEntry(gr: string, namespace: string | undefined, name: string): Entry | undefined {
    const t = this.type(gr);
    return this.storage.get(gr, objectKey(t.namespaced ? namespace : undefined, name));
  }

  /** A copy of one object; throws 404. */
  get(gr: string, namespace: string | undefined, name: string): KubeObject {
    const e = this.getEntry(gr, namespace, name);
    if (!e) throw notFound(this.type(gr), name);
    return JSON.parse(e.json) as KubeObject;
  }

  /** Copies of all matching objects (no pagination). */
  list(gr: string, opts: Omit<ListOptions, "limit" | "continue"> = {}): KubeObject[] {
    return this.listPage(gr, opts).entries.map((e) => JSON.parse(e.json) as KubeObject);
  }

  /** One page of a list in key order, with a continue token as the real server encodes it. */
  listPage(gr: string, opts: ListOptions): ListPage {
    return readListPage(this.storage, this.type(gr), gr, opts);
  }

  /** Notifies on every committed change (simulated controllers write back through this Api). */
  subscribe(listener: (ev: StoreEvent) => void, filter?: { resource?: string }): () => void {
    const deliver = (ev: ChangeEvent): void => {
      if (filter?.resource && ev.gr !== filter.resource) return;
      const out: StoreEvent = { type: ev.type, resource: ev.gr, object: JSON.parse(ev.entry.json) as KubeObject, resourceVersion: String(ev.rv) };
      if (ev.prev) out.oldObject = JSON.parse(ev.prev.json) as KubeObject;
      queueMicrotask(() => listener(out));
    };
    return this.storage.listenAll(deliver);
  }

  private checkNamespace(t: ResourceType, namespace: string | undefined, forCreate: boolean): void {
    if (!t.namespaced) return;
    if (!namespace) throw badRequest("the server could not find the requested resource");
    const ns = this.storage.get("namespaces", namespace);
    if (!ns) throw notFound({ group: "", resource: "namespaces" }, namespace);
    if (forCreate && ns.obj.metadata.deletionTimestamp) {
      throw forbidden(t, "", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private checkTypeMeta(t: ResourceType, obj: KubeObject, version: string): void {
    if (!isObj(obj)) throw badRequest("the request body is not a JSON object");
    if (obj.metadata === undefined) obj.metadata = {};
    if (!isObj(obj.metadata)) throw badRequest("Object 'metadata' is invalid");
    const av = apiVersionOf({ group: t.group, version });
    if (obj.apiVersion !== undefined && obj.apiVersion !== av) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${av})`);
    if (obj.kind !== undefined && obj.kind !== t.kind) throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
    obj.apiVersion = apiVersionOf({ group: t.group, version: t.version });
    obj.kind = t.kind;
  }

  private schemaContext(t: ResourceType): SchemaContext {
    const schema = t.crd?.versions.find((v) => v.name === t.version)?.schema;
    return schema ? { builtin: !t.crd, schema } : { builtin: !t.crd };
  }

  /** The field manager of a write: ?fieldManager, else the router's User-Agent prefix. */
  private manager(opts: WriteOptions): string {
    return opts.fieldManager ?? "emulator";
  }

  /** A copy with apiVersion, kind and metadata first, as the real server serializes. */
  private ordered(obj: KubeObject): KubeObject {
    const { apiVersion, kind, metadata, ...rest } = obj;
    return { apiVersion, kind, metadata, ...rest };
  }

  /** Schema defaulting, pruning and validation for custom resources; built-in validation otherwise. */
  private validate(t: ResourceType, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions = {}): void {
    const errors: FieldError[] = [];
    if (t.crd) {
      const schema = t.crd.versions.find((v) => v.name === t.version)?.schema;
      const pruned: string[] = [];
      pruneUnknown(obj, schema, true, "", pruned);
      if (pruned.length > 0 && opts.fieldValidation === "Strict") {
        throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${pruned.map((p) => `unknown field "${p}"`).join(", ")}`);
      }
      if (opts.fieldValidation !== "Ignore") for (const p of pruned) opts.warnings?.push(`unknown field "${p}"`);
      applySchemaDefaults(obj, schema);
      validateSchema(obj, schema, "", errors);
    } else {
      validateBuiltin(obj, errors, old !== undefined);
      if (old) validateBuiltinUpdate(obj, old, errors, opts.subresource ?? "");
    }
    const name = obj.metadata.name ?? "";
    if (old?.metadata.deletionTimestamp) {
      const added = (obj.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) errors.push({ type: "FieldValueForbidden", field: "metadata.finalizers", detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}` });
    }
    if (errors.length > 0) throw invalid(t, name, errors);
    this.validators.get(groupResource(t))?.(obj, old);
  }

  private async admit(t: ResourceType, operation: AdmissionAttributes["operation"], obj: KubeObject | null, old: KubeObject | null, opts: WriteOptions, extra: Record<string, unknown> = {}): Promise<void> {
    if (!this.admitter || opts.skipAdmission) return;
    const meta = (obj ?? old)!.metadata;
    const verdict = await this.admitter({
      uid: crypto.randomUUID(),
      operation,
      user: opts.user ?? SYSTEM_USER,
      kind: { group: t.group, version: t.version, kind: t.kind },
      resource: { group: t.group, version: t.version, resource: t.resource },
      subResource: opts.subresource ?? "",
      namespace: t.namespaced ? (meta.namespace ?? "") : "",
      name: meta.name ?? "",
      object: obj ? structuredClone(obj) : null,
      oldObject: old ? structuredClone(old) : null,
      options: { kind: operation === "CREATE" ? "CreateOptions" : operation === "UPDATE" ? "UpdateOptions" : "DeleteOptions", apiVersion: "meta.k8s.io/v1", ...(opts.dryRun ? { dryRun: ["All"] } : {}), ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}), ...extra },
      dryRun: opts.dryRun ?? false,
    });
    if (verdict.warnings?.length) opts.warnings?.push(...verdict.warnings);
    if (!verdict.allowed) {
      const code = verdict.status?.code ?? 403;
      const err = new StatusError(code, verdict.status?.reason ?? (code === 403 ? "Forbidden" : ""), verdict.status?.message ?? "admission denied the request");
      err.warnings = verdict.warnings ?? [];
      throw err;
    }
  }

  /** POST: creates an object, filling uid, timestamps, generated name and resourceVersion. */
  async create(gr: string, input: KubeObject, opts: WriteOptions & { namespace?: string; version?: string } = {}): Promise<KubeObject> {
    const t = this.type(gr);
    const raw = structuredClone(input);
    this.checkTypeMeta(t, raw, opts.version ?? t.version);
    const obj = this.ordered(raw);
    const meta = obj.metadata;
    if (t.namespaced) {
      if (opts.namespace && meta.namespace && meta.namespace !== opts.namespace) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      meta.namespace = opts.namespace ?? meta.namespace;
      if (!meta.namespace) meta.namespace = "default";
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName) throw invalid(t, "", [{ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" }]);
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    const nameErrors: FieldError[] = [];
    validateName(t.kind, meta.name, nameErrors);
    if (nameErrors.length > 0) throw invalid(t, meta.name, nameErrors);
    this.checkNamespace(t, meta.namespace, true);
    if (t.crd && this.storage.get("customresourcedefinitions.apiextensions.k8s.io", t.crd.name)?.obj.metadata.deletionTimestamp) {
      throw new StatusError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating", {});
    }
    if (t.status && !t.crd) {
      const status = statusOnCreate(obj);
      if (status === undefined) delete obj.status;
      else obj.status = status;
    } else if (t.crd && t.crd.versions.find((v) => v.name === t.version)?.statusSubresource) delete obj.status;
    if (t.kind === "Namespace") meta.labels = { ...meta.labels, "kubernetes.io/metadata.name": meta.name };
    if (t.kind === "Namespace") obj.spec = { finalizers: ["kubernetes"], ...(isObj(obj.spec) ? obj.spec : {}) };
    applyDefaults(obj);
    for (const k of ["uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"]) delete meta[k];
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = this.now();
    if (t.generation) meta.generation = 1;
    else delete meta.generation;
    this.validate(t, obj, undefined, opts);
    if (!opts.managedFieldsComputed) {
      delete meta.managedFields;
      recordUpdate(undefined, obj, this.manager(opts), this.schemaContext(t), this.now());
    }
    await this.admit(t, "CREATE", obj, null, opts);
    const key = objectKey(meta.namespace, meta.name);
    if (this.storage.get(gr, key)) throw alreadyExists(t, meta.name);
    if (opts.dryRun) return obj;
    this.checkNamespace(t, meta.namespace, true);
    return this.commit(gr, "ADDED", obj).obj;
  }

  private commit(gr: string, type: "ADDED" | "MODIFIED", obj: KubeObject, prev?: Entry): Entry {
    const rv = this.storage.nextRv();
    obj.metadata.resourceVersion = String(rv);
    const entry = makeEntry(obj, rv);
    const ev = this.storage.commit(gr, type, entry, prev);
    for (const f of this.afterCommit) f(ev);
    return entry;
  }

  /** Removes an object for good (DELETED event carries the last state at the deletion rv). */
  private remove(gr: string, prev: Entry): KubeObject {
    const rv = this.storage.nextRv();
    const last = JSON.parse(prev.json) as KubeObject;
    last.metadata.resourceVersion = String(rv);
    const ev = this.storage.commit(gr, "DELETED", makeEntry(last, rv), prev);
    for (const f of this.afterCommit) f(ev);
    return last;
  }

  /** Builds the next state for an update of `prev` with `body` (main or status endpoint). */
  private prepareUpdate(t: ResourceType, prev: KubeObject, body: KubeObject, subresource: string): KubeObject {
    let next: KubeObject;
    if (subresource === "status") {
      next = structuredClone(prev);
      if (body.status === undefined) delete next.status;
      else next.status = structuredClone(body.status);
    } else if (subresource === "ephemeralcontainers") {
      // Only spec.ephemeralContainers comes from the body; validateBuiltinUpdate keeps existing ones as they were.
      next = structuredClone(prev);
      const spec = { ...((next.spec ?? {}) as Record<string, unknown>) };
      const wanted = (body.spec as Record<string, unknown> | undefined)?.ephemeralContainers;
      if (wanted === undefined) delete spec.ephemeralContainers;
      else spec.ephemeralContainers = structuredClone(wanted);
      next.spec = spec;
    } else {
      next = structuredClone(body);
      if (t.status) {
        if (prev.status === undefined) delete next.status;
        else next.status = structuredClone(prev.status);
      }
    }
    const m = next.metadata;
    const pm = prev.metadata;
    for (const k of ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] as const) {
      if (pm[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = pm[k];
    }
    if (t.kind === "Namespace") m.labels = { ...m.labels, "kubernetes.io/metadata.name": pm.name! };
    applyDefaults(next);
    return next;
  }

  /** PUT (and the tail of PATCH): optimistic concurrency, status rules, generation, finalizers. */
  async update(gr: string, body: KubeObject, opts: WriteOptions & { namespace?: string; name?: string; version?: string; fromPatch?: boolean } = {}): Promise<KubeObject> {
    const t = this.type(gr);
    const input = structuredClone(body);
    this.checkTypeMeta(t, input, opts.version ?? t.version);
    const name = opts.name ?? input.metadata.name ?? "";
    if (opts.name && input.metadata.name && input.metadata.name !== opts.name) throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${opts.name})`);
    if (t.namespaced && opts.namespace && input.metadata.namespace && input.metadata.namespace !== opts.namespace) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    const namespace = t.namespaced ? (opts.namespace ?? input.metadata.namespace ?? "default") : undefined;
    const wantRv = input.metadata.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const prevEntry = this.storage.get(gr, objectKey(namespace, name));
      if (!prevEntry) throw notFound(t, name);
      const prev = JSON.parse(prevEntry.json) as KubeObject;
      if (wantRv !== undefined && wantRv !== "" && wantRv !== prev.metadata.resourceVersion) throw conflict(t, name);
      if ((wantRv === undefined || wantRv === "") && t.crd && !opts.fromPatch) {
        throw invalid(t, name, [{ type: "FieldValueInvalid", field: "metadata.resourceVersion", rawValue: "0x0", detail: "must be specified for an update" }]);
      }
      const next = this.prepareUpdate(t, prev, input, opts.subresource ?? "");
      this.validate(t, next, prev, opts);
      if (t.generation && !deepEqual(specPart(next), specPart(prev))) next.metadata.generation = (prev.metadata.generation ?? 1) + 1;
      next.metadata.resourceVersion = prev.metadata.resourceVersion;
      if (opts.managedFieldsComputed) {
        if (deepEqual(withoutManagerTimes(next), withoutManagerTimes(prev))) return prev;
      } else {
        if (prev.metadata.managedFields === undefined) delete next.metadata.managedFields;
        else next.metadata.managedFields = prev.metadata.managedFields;
        if (deepEqual(next, prev)) return prev;
        recordUpdate(prev, next, this.manager(opts), this.schemaContext(t), this.now(), opts.subresource || undefined);
      }
      // A PATCH reaches webhooks as an UPDATE carrying PatchOptions (as on a real server).
      await this.admit(t, "UPDATE", next, prev, opts, opts.fromPatch ? { kind: "PatchOptions" } : {});
      const current = this.storage.get(gr, prevEntry.key);
      if (current?.rv !== prevEntry.rv) {
        if (wantRv || attempt > 5) throw conflict(t, name);
        continue;
      }
      if (opts.dryRun) return next;
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && !hasSpecFinalizers(next)) {
        this.remove(gr, prevEntry);
        next.metadata.resourceVersion = String(this.storage.currentRv);
        return next;
      }
      return this.commit(gr, "MODIFIED", next, prevEntry).obj;
    }
  }

  /** PATCH with one of the four patch content types. */
  async patch(gr: string, namespace: string | undefined, name: string, type: PatchType, body: string, opts: WriteOptions & { version?: string } = {}): Promise<KubeObject> {
    const t = this.type(gr);
    if (type === "application/strategic-merge-patch+json" && t.crd) {
      throw unsupportedMediaType("application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
    }
    const first = this.getEntry(gr, namespace, name);
    if (type === "application/apply-patch+yaml") return this.apply(t, namespace, name, body, first, opts);
    let parsed: unknown;
    if (type !== "application/json-patch+json") {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        throw badRequest(`error decoding patch: ${(err as Error).message}`);
      }
      if (!isObj(parsed)) throw badRequest("error decoding patch: patch is not a JSON object");
    }
    const preconditioned = patchSetsResourceVersion(type, body, parsed);
    for (let attempt = 0; ; attempt++) {
      const entry = attempt === 0 ? first : this.getEntry(gr, namespace, name);
      if (!entry) throw notFound(t, name);
      const current = JSON.parse(entry.json) as unknown;
      const patched = type === "application/json-patch+json" ? applyJsonPatch(current, body) : type === "application/merge-patch+json" ? applyMergePatch(current, parsed) : strategicMerge(current, parsed);
      if (!isObj(patched)) throw badRequest("the patched object is not a JSON object");
      try {
        return await this.update(groupResource(t), patched as KubeObject, { ...opts, namespace, name, fromPatch: true });
      } catch (err) {
        // kube-apiserver's GuaranteedUpdate applies a patch again to the object another write left
        // (its `test` operations included); only a resourceVersion in the patch makes that a 409.
        const movedOn = this.getEntry(gr, namespace, name)?.rv !== entry.rv;
        if (preconditioned || attempt >= 5 || !movedOn || !(err instanceof StatusError && err.code === 409 && err.reason === "Conflict")) throw err;
      }
    }
  }

  /** Server-side apply: field ownership per manager, conflicts (409) unless force, create if absent. */
  private async apply(t: ResourceType, namespace: string | undefined, name: string, body: string, entry: Entry | undefined, opts: WriteOptions & { version?: string }): Promise<KubeObject> {
    const cfg = parseApplyConfiguration(body, name, opts.fieldManager);
    this.checkTypeMeta(t, cfg, opts.version ?? t.version);
    if (t.namespaced && namespace) cfg.metadata.namespace = namespace;
    const live = entry ? (JSON.parse(entry.json) as KubeObject) : undefined;
    const result = applyConfiguration(live, cfg, opts.fieldManager!, opts.force ?? false, this.schemaContext(t), this.now());
    if (result.conflicts.length > 0) throw applyConflict(t, name, result.conflicts);
    const next = this.ordered(result.object);
    if (!entry) return this.create(groupResource(t), next, { ...opts, ...(namespace ? { namespace } : {}), managedFieldsComputed: true });
    return this.update(groupResource(t), next, { ...opts, namespace, name, fromPatch: true, managedFieldsComputed: true });
  }

  /** DELETE: preconditions, finalizers (deletionTimestamp first), propagation policy. */
  async delete(gr: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ object: KubeObject; deleted: boolean; status: number; returnObject: boolean }> {
    const t = this.type(gr);
    const entry = this.getEntry(gr, namespace, name);
    if (!entry) throw notFound(t, name);
    const prev = JSON.parse(entry.json) as KubeObject;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== prev.metadata.uid) throw conflict(t, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== prev.metadata.resourceVersion) throw conflict(t, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`);
    await this.admit(t, "DELETE", null, prev, opts, { ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}) });
    const returnObject = RETURNS_DELETED.has(gr) || t.crd !== undefined;
    const finalizers = [...(prev.metadata.finalizers ?? [])];
    if (opts.propagationPolicy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
    if (opts.propagationPolicy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
    const graceful = t.kind === "Namespace";
    if (finalizers.length > 0 || graceful) {
      if (prev.metadata.deletionTimestamp) return { object: prev, deleted: false, status: 200, returnObject: true };
      const next = structuredClone(prev);
      next.metadata.deletionTimestamp = this.now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (finalizers.length > 0) next.metadata.finalizers = finalizers;
      if (t.kind === "Namespace") next.status = { ...(isObj(next.status) ? next.status : {}), phase: "Terminating" };
      if (opts.dryRun) return { object: next, deleted: false, status: 200, returnObject: true };
      const e = this.commit(gr, "MODIFIED", next, entry);
      return { object: e.obj, deleted: false, status: opts.propagationPolicy === "Foreground" ? 202 : 200, returnObject: true };
    }
    if (opts.dryRun) return { object: prev, deleted: true, status: 200, returnObject };
    const last = this.remove(gr, entry);
    return { object: last, deleted: true, status: 200, returnObject };
  }

  /** Loads objects as-is (seeds): metadata filled where missing, status kept, no admission. */
  load(obj: KubeObject, options: { quiet?: boolean } = {}): KubeObject {
    if (!obj.apiVersion || !obj.kind) throw badRequest("seed object without apiVersion/kind");
    const t = this.registry.findByKind(obj.apiVersion, obj.kind);
    if (!t) throw badRequest(`no resource type for ${obj.apiVersion} ${obj.kind}`);
    const gr = groupResource(t);
    const o = obj;
    o.metadata ??= {};
    const m = o.metadata;
    if (!m.name) m.name = `${m.generateName ?? "seed-"}${randomSuffix()}`;
    if (t.namespaced) m.namespace ??= "default";
    else delete m.namespace;
    if (t.kind === "Namespace") {
      m.labels = { ...m.labels, "kubernetes.io/metadata.name": m.name };
      o.status ??= { phase: "Active" };
    }
    m.uid ??= crypto.randomUUID();
    m.creationTimestamp ??= this.now();
    if (t.generation) m.generation ??= 1;
    if (t.crd) pruneUnknown(o, t.crd.versions.find((v) => v.name === t.version)?.schema);
    this.validators.get(gr)?.(o, this.storage.get(gr, objectKey(m.namespace, m.name))?.obj);
    if (t.namespaced && !this.storage.get("namespaces", m.namespace!)) {
      this.load({ apiVersion: "v1", kind: "Namespace", metadata: { name: m.namespace! } }, options);
    }
    const key = objectKey(m.namespace, m.name);
    const prev = this.storage.get(gr, key);
    const rv = this.storage.nextRv();
    m.resourceVersion = String(rv);
    const entry = makeEntry(o, rv);
    const ev = this.storage.commit(gr, prev ? "MODIFIED" : "ADDED", entry, prev, options);
    for (const f of this.afterCommit) f(ev);
    return o;
  }
}

/** True when a patch sets metadata.resourceVersion: a precondition, not a value to apply again. */
function patchSetsResourceVersion(type: PatchType, body: string, parsed: unknown): boolean {
  if (type === "application/json-patch+json") {
    const ops = (() => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        return [];
      }
    })();
    return Array.isArray(ops) && ops.some((op) => isObj(op) && op.path === "/metadata/resourceVersion" && op.op !== "test" && op.op !== "remove");
  }
  const metadata = isObj(parsed) ? parsed.metadata : undefined;
  return isObj(metadata) && typeof metadata.resourceVersion === "string" && metadata.resourceVersion !== "";
}
