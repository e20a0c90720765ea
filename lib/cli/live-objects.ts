/**
 * @module
 * What live `analyze` and `list pods` read from the API: pods (paginated, one
 * page in flight) and the controllers they belong to, found by following
 * ownerReferences kind by kind (ReplicaSet → Deployment, Job → CronJob), so
 * attribution is the API's, never a name guess. Owners the identity may not
 * list are left unresolved with a warning rather than failing the scan.
 */
import type { KubeClient } from "../kube/client.ts";
import { isForbidden } from "../kube/api-errors.ts";
import { CRONJOBS, DAEMONSETS, DEPLOYMENTS, JOBS, PODS, REPLICASETS, STATEFULSETS, type ResourceType } from "../kube/resources.ts";
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import type { Logger } from "../log.ts";

export interface LiveScope {
  /** One namespace, or undefined for all. */
  namespace: string | undefined;
  labelSelector: string | undefined;
  /** Aborts the listing (multi-cluster analyze's per-cluster timeout). */
  signal?: AbortSignal | undefined;
}

const OWNER_TYPES: Readonly<Record<string, ResourceType>> = {
  ReplicaSet: REPLICASETS,
  Deployment: DEPLOYMENTS,
  StatefulSet: STATEFULSETS,
  DaemonSet: DAEMONSETS,
  Job: JOBS,
  CronJob: CRONJOBS,
};

/** Every pod in scope, page by page; `onPage` reports progress (count so far). */
export async function listLivePods(client: KubeClient, scope: LiveScope, onPage?: (count: number) => void): Promise<KubeObjectLike[]> {
  let pods: KubeObjectLike[] = [];
  for await (const page of client.listPages<KubeObjectLike>(PODS, { namespace: scope.namespace, labelSelector: scope.labelSelector, limit: 500, signal: scope.signal })) {
    if (page.restarted) pods = [];
    for (const item of page.items) pods.push(item.kind ? item : { ...item, kind: "Pod" });
    onPage?.(pods.length);
  }
  return pods;
}

function ownerKindsOf(objects: readonly KubeObjectLike[], seen: ReadonlySet<string>): Set<string> {
  const kinds = new Set<string>();
  for (const o of objects) {
    const refs = asRecord(o.metadata)?.ownerReferences;
    if (!Array.isArray(refs)) continue;
    for (const r of refs) {
      const kind = asRecord(r)?.kind;
      if (typeof kind === "string" && OWNER_TYPES[kind] && !seen.has(kind)) kinds.add(kind);
    }
  }
  return kinds;
}

/** The controllers above `pods`, listed kind by kind as the ownerReferences ask for them. */
export async function listOwners(client: KubeClient, pods: readonly KubeObjectLike[], scope: LiveScope, logger: Logger): Promise<KubeObjectLike[]> {
  const owners: KubeObjectLike[] = [];
  const listed = new Set<string>();
  let frontier: readonly KubeObjectLike[] = pods;
  for (let round = 0; round < 3 && frontier.length > 0; round++) {
    const next: KubeObjectLike[] = [];
    for (const kind of ownerKindsOf(frontier, listed)) {
      listed.add(kind);
      const type = OWNER_TYPES[kind] as ResourceType;
      try {
        let ofKind: KubeObjectLike[] = [];
        for await (const page of client.listPages<KubeObjectLike>(type, { namespace: scope.namespace, limit: 500, signal: scope.signal })) {
          if (page.restarted) ofKind = []; // an expired continue token: a full list follows
          for (const item of page.items) ofKind.push(item.kind ? item : { ...item, kind });
        }
        next.push(...ofKind);
      } catch (err) {
        if (!isForbidden(err)) throw err;
        logger.warn(`cannot list ${type.plural}: pods they own are reported under the ${kind} (${(err as Error).message})`);
      }
    }
    owners.push(...next);
    frontier = next;
  }
  return owners;
}
