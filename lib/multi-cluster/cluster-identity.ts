/**
 * @module
 * One cluster reached through two endpoints — a load balancer and a node IP, Rancher's proxy
 * and its authorized endpoint, a private and a public API address — has two server URLs and
 * often two CAs, so the URL-and-CA rule (select-contexts.ts) counts it twice. Its `kube-system`
 * namespace is created once with the cluster and has the same uid through every endpoint and
 * user: OpenTelemetry's `k8s.cluster.uid` is that uid, for the same reason. Read
 * best-effort; a context that may not read it keeps the URL rule (decision 0028). A cluster
 * restored or cloned from another's etcd snapshot has the same uid, so the uid is confirmed by
 * the pods both contexts listed (their uids are the API server's too): the same cluster listed
 * twice within seconds shares nearly all of them, a restored copy soon very few.
 */
import type { ClusterResult } from "./aggregate.ts";

/** The namespace whose uid identifies the cluster. */
export const IDENTITY_NAMESPACE = "kube-system";

export interface IdentifiedCluster {
  result: ClusterResult;
  /** The kube-system namespace's uid; undefined when it could not be read. */
  uid: string | undefined;
  /** The uids of the pods listed through this context. */
  podUids?: ReadonlySet<string>;
}

/** Two listings of one cluster a few seconds apart share at least this share of the smaller one's pods. */
export const SAME_PODS_SHARE = 0.5;

export interface SameClusterById {
  skipped: string;
  kept: string;
  /** The skipped context's server. */
  server: string;
  uid: string;
}

/** Two contexts whose clusters share a kube-system uid but not their pods: both counted. */
export interface SharedUidApart {
  context: string;
  other: string;
  uid: string;
}

function samePods(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (!a || !b) return false;
  if (a.size === 0 || b.size === 0) return a.size === b.size;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const uid of small) if (large.has(uid)) shared++;
  return shared >= SAME_PODS_SHARE * small.size;
}

/**
 * Keeps the first analyzed context of each cluster (the order given): a later one with the same
 * uid and mostly the same pods is skipped; one with the same uid and other pods is kept and named
 * in `apart`. A failed or unidentified context is always kept.
 */
export function dropSameClusterById(clusters: readonly IdentifiedCluster[]): { results: ClusterResult[]; sameCluster: SameClusterById[]; apart: SharedUidApart[] } {
  const kept: IdentifiedCluster[] = [];
  const results: ClusterResult[] = [];
  const sameCluster: SameClusterById[] = [];
  const apart: SharedUidApart[] = [];
  for (const c of clusters) {
    const { result, uid } = c;
    if (uid === undefined || uid === "" || result.error !== undefined) {
      results.push(result);
      continue;
    }
    const sharing = kept.filter((k) => k.uid === uid);
    const same = sharing.find((k) => samePods(k.podUids, c.podUids));
    if (same) {
      sameCluster.push({ skipped: result.context, kept: same.result.context, server: result.server, uid });
      continue;
    }
    for (const k of sharing) apart.push({ context: result.context, other: k.result.context, uid });
    kept.push(c);
    results.push(result);
  }
  return { results, sameCluster, apart };
}
