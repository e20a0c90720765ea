/**
 * @module
 * What the simulated controllers need from the emulator (the shape of test/kube/api.ts's
 * Api), the objects they handle, and helpers for ownership and label selectors.
 */
import { labelSelectorMatches, type LabelSelector } from "../auth/rbac-rules.ts";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface Caller {
  username: string;
  groups: string[];
  uid?: string;
}

export interface ControllerApi {
  get(gr: string, namespace: string | undefined, name: string): Obj;
  list(gr: string, opts?: { namespace?: string; labelSelector?: string }): Obj[];
  create(gr: string, obj: Obj, opts?: { namespace?: string; user?: Caller }): Promise<Obj>;
  update(gr: string, obj: Obj, opts?: { namespace?: string; name?: string; subresource?: string; user?: Caller }): Promise<Obj>;
  delete(gr: string, namespace: string | undefined, name: string, opts?: { user?: Caller; propagationPolicy?: "Background" | "Foreground" | "Orphan" }): Promise<unknown>;
  subscribe(listener: (ev: { type: string; resource: string; object: Obj; oldObject?: Obj }) => void, filter?: { resource?: string }): () => void;
}

/** The identity each kube-controller-manager controller writes as. */
export function controllerUser(name: string): Caller {
  return {
    username: `system:serviceaccount:kube-system:${name}`,
    groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
  };
}

/** The controller owner reference of `obj`, if any. */
export function controllerOf(obj: Obj): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** An owner reference to `owner` as controllers set it (controller + blockOwnerDeletion). */
export function controllerRef(owner: Obj): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Objects of `gr` in `namespace` whose controller is `owner` (never adopted orphans). */
export function ownedBy(api: ControllerApi, gr: string, owner: Obj): Obj[] {
  return api.list(gr, { namespace: owner.metadata.namespace }).filter((o) => controllerOf(o)?.uid === owner.metadata.uid);
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  return labelSelectorMatches(selector ?? {}, labels);
}

/** Get that answers undefined for a missing object instead of throwing. */
export function tryGet(api: ControllerApi, gr: string, namespace: string | undefined, name: string): Obj | undefined {
  try {
    return api.get(gr, namespace, name);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Whether a status write is needed: compares canonical JSON of the two statuses. */
export function statusChanged(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) !== JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}
