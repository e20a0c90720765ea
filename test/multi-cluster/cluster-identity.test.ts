import { describe, expect, test } from "bun:test";
import type { ClusterResult } from "../../lib/multi-cluster/aggregate.ts";
import { dropSameClusterById } from "../../lib/multi-cluster/cluster-identity.ts";

const ok = (context: string, server: string): ClusterResult => ({ context, server, score: 90, pods: 2, violations: 1 });
const pods = (...uids: string[]) => new Set(uids);

describe("dropSameClusterById", () => {
  test("keeps the first context of each cluster (kube-system uid, mostly the same pods), in the order given, and names the skipped one", () => {
    const { results, sameCluster, apart } = dropSameClusterById([
      { result: ok("lb", "https://api.example:6443"), uid: "u-1", podUids: pods("p1", "p2", "p3") },
      { result: ok("other", "https://other:6443"), uid: "u-2", podUids: pods("q1") },
      // listed a moment later: one pod replaced meanwhile
      { result: ok("node-ip", "https://10.0.0.5:6443"), uid: "u-1", podUids: pods("p1", "p2", "p4") },
    ]);
    expect(results.map((r) => r.context)).toEqual(["lb", "other"]);
    expect(sameCluster).toEqual([{ skipped: "node-ip", kept: "lb", server: "https://10.0.0.5:6443", uid: "u-1" }]);
    expect(apart).toEqual([]);
  });

  test("two clusters without pods and one uid are one cluster", () => {
    const { results } = dropSameClusterById([
      { result: ok("a", "https://a"), uid: "u-1", podUids: pods() },
      { result: ok("b", "https://b"), uid: "u-1", podUids: pods() },
    ]);
    expect(results.map((r) => r.context)).toEqual(["a"]);
  });

  test("a cluster restored or cloned from another's etcd (same kube-system uid, other pods) is counted, and named as sharing the uid", () => {
    const { results, sameCluster, apart } = dropSameClusterById([
      { result: ok("prod", "https://prod"), uid: "u-1", podUids: pods("p1", "p2", "p3", "p4") },
      { result: ok("dr", "https://dr"), uid: "u-1", podUids: pods("p1", "d2", "d3", "d4") },
      { result: ok("empty-clone", "https://clone"), uid: "u-1", podUids: pods() },
    ]);
    expect(results.map((r) => r.context)).toEqual(["prod", "dr", "empty-clone"]);
    expect(sameCluster).toEqual([]);
    expect(apart).toEqual([
      { context: "dr", other: "prod", uid: "u-1" },
      { context: "empty-clone", other: "prod", uid: "u-1" },
      { context: "empty-clone", other: "dr", uid: "u-1" },
    ]);
  });

  test("an unidentified (forbidden) or failed context is kept: it is not known to be a repeat", () => {
    const failed: ClusterResult = { context: "down", server: "https://down", error: "timed out" };
    const { results, sameCluster } = dropSameClusterById([
      { result: ok("a", "https://a"), uid: undefined, podUids: pods("p1") },
      { result: ok("b", "https://b"), uid: undefined, podUids: pods("p1") },
      { result: ok("c", "https://c"), uid: "", podUids: pods("p1") },
      { result: failed, uid: "u-1" },
      { result: ok("d", "https://d"), uid: "u-1", podUids: pods("p1") },
    ]);
    expect(results.map((r) => r.context)).toEqual(["a", "b", "c", "down", "d"]);
    expect(sameCluster).toEqual([]);
  });
});
