/**
 * @module
 * What the operator keeps of each pod (only the fields the checks and the
 * enforcement seam read) and a per-namespace index fed by one cluster-wide pod
 * watch, so a policy's reconcile reads its namespace's pods from memory.
 */
import { CONTAINER_LISTS } from "../checks/pod-containers.ts";
import { isSystemNamespace } from "../namespaces.ts";
import type { PodLike } from "../k8s-objects.ts";
import { SharedParts } from "./shared-parts.ts";

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function pick(source: Json | undefined, keys: readonly string[]): Json {
  const out: Json = {};
  if (!source) return out;
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** Our annotations only (exemptions); the rest of a pod's annotations can be large. */
function ownAnnotations(annotations: unknown): Record<string, string> | undefined {
  const all = record(annotations);
  if (!all) return undefined;
  const kept = Object.entries(all).filter(([key]) => key.startsWith("devops.stochastic.io/"));
  return kept.length > 0 ? (Object.fromEntries(kept) as Record<string, string>) : undefined;
}

/** One shared marker: checks test probe presence only, so every present probe is this object. */
const PRESENT = Object.freeze({});
const RESOURCE_NAMES = ["cpu", "memory"] as const;

/** cpu and memory of requests/limits only (what the resource checks read). */
function trimResources(resources: unknown): Json | undefined {
  const r = record(resources);
  if (!r) return undefined;
  const out: Json = {};
  for (const kind of ["requests", "limits"] as const) {
    const kept = pick(record(r[kind]), RESOURCE_NAMES);
    if (Object.keys(kept).length > 0) out[kind] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function trimContainer(container: unknown): Json {
  const c = record(container);
  const out = pick(c, ["name", "image", "restartPolicy"]);
  const resources = trimResources(c?.resources);
  if (resources) out.resources = resources;
  if (c?.livenessProbe !== undefined) out.livenessProbe = PRESENT;
  if (c?.readinessProbe !== undefined) out.readinessProbe = PRESENT;
  return out;
}

/** Only the controller reference (owner resolution for enforcement follows it). */
function controllerOwner(refs: unknown): Json[] | undefined {
  if (!Array.isArray(refs)) return undefined;
  const controller = refs.map(record).find((r) => r?.controller === true);
  return controller ? [pick(controller, ["apiVersion", "kind", "name", "uid", "controller"])] : undefined;
}

/** The statuses the restart check reads (the container lists: pod-containers.ts). */
const STATUS_LISTS = ["containerStatuses", "initContainerStatuses"] as const;

const shared = new SharedParts();

/**
 * The projection the pod watch stores: a few hundred bytes instead of kilobytes per
 * pod. Everything but the pod's own identity (name, uid, timestamps) is a shared,
 * frozen part: read-only, like every cached object.
 */
export function trimPod(pod: unknown): PodLike {
  const p = record(pod) ?? {};
  const meta = record(p.metadata);
  const spec = record(p.spec);
  const status = record(p.status);
  const annotations = ownAnnotations(meta?.annotations);
  const specPart: Json = pick(spec, ["restartPolicy"]);
  for (const list of CONTAINER_LISTS) if (Array.isArray(spec?.[list])) specPart[list] = (spec[list] as unknown[]).map(trimContainer);
  const statusPart = pick(status, ["phase", "reason"]);
  for (const list of STATUS_LISTS) if (Array.isArray(status?.[list])) statusPart[list] = (status[list] as unknown[]).map((s) => pick(record(s), ["name", "restartCount"]));
  const owners = controllerOwner(meta?.ownerReferences);
  return {
    metadata: {
      ...pick(meta, ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp"]),
      ...(owners ? { ownerReferences: shared.share("owners", owners) } : {}),
      ...(annotations ? { annotations: shared.share("annotations", annotations) } : {}),
    },
    spec: shared.share("spec", specPart),
    status: shared.share("status", statusPart),
  } as PodLike;
}

/** Pods by namespace; system namespaces are never stored (no policy evaluates them). */
export class PodIndex {
  /** Per namespace its pods and one copy of its name, which every stored pod of it shares. */
  private readonly byNamespace = new Map<string, { name: string; pods: Map<string, PodLike> }>();

  /** Stores or replaces a pod; returns its namespace when stored. */
  upsert(key: string, pod: PodLike): string | undefined {
    const ns = pod.metadata?.namespace;
    if (!ns || isSystemNamespace(ns)) return undefined;
    let bucket = this.byNamespace.get(ns);
    if (!bucket) this.byNamespace.set(ns, (bucket = { name: ns, pods: new Map() }));
    if (pod.metadata && !Object.isFrozen(pod.metadata)) pod.metadata.namespace = bucket.name;
    bucket.pods.set(key, pod);
    return bucket.name;
  }

  /** Forgets a pod by its `namespace/name` key; returns its namespace when it was known. */
  delete(key: string): string | undefined {
    const ns = key.slice(0, key.indexOf("/"));
    const bucket = this.byNamespace.get(ns);
    if (!bucket?.pods.delete(key)) return undefined;
    if (bucket.pods.size === 0) this.byNamespace.delete(ns);
    return ns;
  }

  /** The pods of one namespace (a snapshot: safe to iterate while events arrive). */
  podsIn(namespace: string): PodLike[] {
    return [...(this.byNamespace.get(namespace)?.pods.values() ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const bucket of this.byNamespace.values()) n += bucket.pods.size;
    return n;
  }
}
