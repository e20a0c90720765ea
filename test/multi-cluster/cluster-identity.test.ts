import { describe, expect, test } from "bun:test";
import type { ClusterResult } from "../../lib/multi-cluster/aggregate.ts";
import { dropSameClusterById } from "../../lib/multi-cluster/cluster-identity.ts";

const ok = (context: string, server: string): ClusterResult => ({ context, server, score: 90, pods: 2, violations: 1 });

describe("dropSameClusterById", () => {
  test("keeps the first context of each kube-system uid, in the order given, and names the skipped one", () => {
    const { results, sameCluster } = dropSameClusterById([
      { result: ok("lb", "https://api.example:6443"), uid: "u-1" },
      { result: ok("other", "https://other:6443"), uid: "u-2" },
      { result: ok("node-ip", "https://10.0.0.5:6443"), uid: "u-1" },
    ]);
    expect(results.map((r) => r.context)).toEqual(["lb", "other"]);
    expect(sameCluster).toEqual([{ skipped: "node-ip", kept: "lb", server: "https://10.0.0.5:6443", uid: "u-1" }]);
  });

  test("an unidentified (forbidden) or failed context is kept: it is not known to be a repeat", () => {
    const failed: ClusterResult = { context: "down", server: "https://down", error: "timed out" };
    const { results, sameCluster } = dropSameClusterById([
      { result: ok("a", "https://a"), uid: undefined },
      { result: ok("b", "https://b"), uid: undefined },
      { result: ok("c", "https://c"), uid: "" },
      { result: failed, uid: "u-1" },
      { result: ok("d", "https://d"), uid: "u-1" },
    ]);
    expect(results.map((r) => r.context)).toEqual(["a", "b", "c", "down", "d"]);
    expect(sameCluster).toEqual([]);
  });
});
