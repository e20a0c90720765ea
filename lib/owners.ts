/**
 * @module
 * Owner attribution: which workload a pod belongs to, followed through
 * `metadata.ownerReferences` (Pod → ReplicaSet → Deployment, Pod → Job →
 * CronJob, ...) using objects the caller supplies — listed from the API live,
 * read from the same files offline. Never guessed from names (reference W-E2).
 */
import { asRecord, type KubeObjectLike, type OwnerReferenceLike } from "./k8s-objects.ts";
import { mergeExemptions, parseExemption, type Exemption } from "./checks/exemptions.ts";

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Finds an owner object by kind, namespace and name (undefined when unknown). */
export type OwnerLookup = (kind: string, namespace: string, name: string) => KubeObjectLike | undefined;

export interface ResolvedOwner {
  /** The top-most known owner (the object itself when it has none). */
  workload: WorkloadRef;
  /** The owner objects found above the object, nearest first. */
  chain: KubeObjectLike[];
}

const MAX_DEPTH = 8;

/** The managing controller's reference: the one with `controller: true`, else the first. */
export function controllerRef(obj: KubeObjectLike): OwnerReferenceLike | undefined {
  const refs = asRecord(obj.metadata)?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  let first: OwnerReferenceLike | undefined;
  for (const r of refs) {
    const rec = asRecord(r);
    if (typeof rec?.kind !== "string" || typeof rec.name !== "string") continue;
    if (rec.controller === true) return rec as OwnerReferenceLike;
    first ??= rec as OwnerReferenceLike;
  }
  return first;
}

/** `deployment/prod/web`: the reference's workload key (lower-case kind). */
export function formatWorkload(ref: WorkloadRef): string {
  return `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}`;
}

/** Walks ownerReferences upward as far as the lookup knows the owners. */
export function resolveOwner(obj: KubeObjectLike, lookup: OwnerLookup): ResolvedOwner {
  const meta = asRecord(obj.metadata);
  const namespace = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
  let workload: WorkloadRef = {
    kind: typeof obj.kind === "string" && obj.kind !== "" ? obj.kind : "Pod",
    namespace,
    name: typeof meta?.name === "string" ? meta.name : "unknown",
  };
  const chain: KubeObjectLike[] = [];
  let current: KubeObjectLike = obj;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const ref = controllerRef(current);
    // Mirror pods name their Node as owner: a node is not a workload.
    if (!ref?.kind || !ref.name || ref.kind === "Node") break;
    workload = { kind: ref.kind, namespace, name: ref.name };
    const parent = lookup(ref.kind, namespace, ref.name);
    if (!parent || chain.includes(parent)) break;
    chain.push(parent);
    current = parent;
  }
  return { workload, chain };
}

/** The exemption declared on any owner in the chain (workload-level exemptions). */
export function chainExemption(chain: readonly KubeObjectLike[]): Exemption | undefined {
  if (chain.length === 0) return undefined;
  return mergeExemptions(...chain.map((o) => parseExemption(asRecord(o.metadata)?.annotations)));
}

/** An OwnerLookup over a set of objects (offline files, or lists fetched live). */
export function indexOwners(objects: Iterable<KubeObjectLike>): OwnerLookup {
  const byKey = new Map<string, KubeObjectLike>();
  for (const o of objects) {
    const meta = asRecord(o.metadata);
    if (typeof o.kind !== "string" || typeof meta?.name !== "string") continue;
    const ns = typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
    byKey.set(`${o.kind}/${ns}/${meta.name}`, o);
  }
  return (kind, namespace, name) => byKey.get(`${kind}/${namespace}/${name}`);
}
