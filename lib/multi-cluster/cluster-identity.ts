/**
 * @module
 * One cluster reached through two endpoints — a load balancer and a node IP, Rancher's proxy
 * and its authorized endpoint, a private and a public API address — has two server URLs and
 * often two CAs, so the URL-and-CA rule (select-contexts.ts) counts it twice. Its `kube-system`
 * namespace is created once with the cluster and has the same uid through every endpoint and
 * user: OpenTelemetry's `k8s.cluster.uid` is that uid, for the same reason. Read
 * best-effort; a context that may not read it keeps the URL rule (decision 0028).
 */
import type { ClusterResult } from "./aggregate.ts";

/** The namespace whose uid identifies the cluster. */
export const IDENTITY_NAMESPACE = "kube-system";

export interface IdentifiedCluster {
  result: ClusterResult;
  /** The kube-system namespace's uid; undefined when it could not be read. */
  uid: string | undefined;
}

export interface SameClusterById {
  skipped: string;
  kept: string;
  /** The skipped context's server. */
  server: string;
  uid: string;
}

/** Keeps the first analyzed context of each uid (the order given); a failed or unidentified one is always kept. */
export function dropSameClusterById(clusters: readonly IdentifiedCluster[]): { results: ClusterResult[]; sameCluster: SameClusterById[] } {
  const byUid = new Map<string, string>();
  const results: ClusterResult[] = [];
  const sameCluster: SameClusterById[] = [];
  for (const { result, uid } of clusters) {
    if (uid === undefined || uid === "" || result.error !== undefined) {
      results.push(result);
      continue;
    }
    const kept = byUid.get(uid);
    if (kept !== undefined) {
      sameCluster.push({ skipped: result.context, kept, server: result.server, uid });
      continue;
    }
    byUid.set(uid, result.context);
    results.push(result);
  }
  return { results, sameCluster };
}
