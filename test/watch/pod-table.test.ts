/**
 * The watch controller's columnar per-pod memory: what is written reads back the
 * same, resourceVersions (numeric or not) are compared exactly, shared values
 * (namespaces, owners, tallies) are freed with their last pod,
 * and the pod list+watch store built on it reports each version once.
 */
import { describe, expect, test } from "bun:test";
import { keyOf } from "../../lib/kube/watch-store.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { emptyTally } from "../../lib/score.ts";
import { HealthAggregator, IGNORED } from "../../lib/watch/health-aggregator.ts";
import { CLEAN_TALLY, type PodContribution } from "../../lib/watch/pod-contribution.ts";
import { AggregatorPodStore } from "../../lib/watch/pod-store.ts";
import { PodTable } from "../../lib/watch/pod-table.ts";

const LATEST_TALLY = Object.freeze({ ...emptyTally(), pods: 1, violations: 1, latest_tag: 1 });

function contribution(o: Partial<PodContribution> = {}): PodContribution {
  return { tally: CLEAN_TALLY, mask: 0, counts: undefined, namespace: "shop", owner: undefined, resourceVersion: "42", generation: 0, next: undefined, findings: undefined, ...o };
}

describe("PodTable", () => {
  test("a written contribution reads back field for field (findings are never kept)", () => {
    const table = new PodTable();
    const next = { tally: LATEST_TALLY, mask: 4, counts: { pending: 1 }, at: 1234 };
    const c = contribution({ tally: LATEST_TALLY, mask: 1, counts: { latest_tag: 1 }, owner: "ReplicaSet/web-1", generation: 7, next, findings: [] });
    table.write("shop/web", c);
    expect(table.read("shop/web")).toEqual({ ...c, findings: undefined });
    expect(table.read("shop/web")!.tally).toBe(LATEST_TALLY);
    expect(table.nextOf("shop/web")).toBe(next);
    expect(table.read("shop/other")).toBeUndefined();
  });

  test("resourceVersions: numeric and opaque ones are matched exactly, an empty one never", () => {
    const table = new PodTable();
    table.write("a/1", contribution({ resourceVersion: "123456789012345" }));
    table.write("a/2", contribution({ resourceVersion: "0007" }));
    table.write("a/3", contribution({ resourceVersion: "" }));
    expect(table.hasVersion("a/1", "123456789012345")).toBe(true);
    expect(table.hasVersion("a/1", "123456789012346")).toBe(false);
    expect(table.hasVersion("a/2", "0007")).toBe(true);
    expect(table.hasVersion("a/2", "7")).toBe(false);
    expect(table.read("a/2")!.resourceVersion).toBe("0007");
    expect(table.hasVersion("a/3", "")).toBe(false);
    table.write("a/2", contribution({ resourceVersion: "8" }));
    expect(table.hasVersion("a/2", "8")).toBe(true);
    expect(table.hasVersion("a/2", "0007")).toBe(false);
  });

  test("namespaces, owners and tallies are freed with the last pod that uses them", () => {
    const table = new PodTable();
    for (let i = 0; i < 3000; i++) table.write(`ns-${i % 3}/p-${i}`, contribution({ namespace: `ns-${i % 3}`, owner: `ReplicaSet/rs-${i % 10}`, tally: i % 2 ? LATEST_TALLY : CLEAN_TALLY }));
    expect(table.size).toBe(3000);
    expect(table.namespaces.size).toBe(3);
    expect(table.owners.size).toBe(10);
    expect(table.tallies.size).toBe(2);
    for (let i = 0; i < 3000; i++) if (i % 3 !== 0) table.delete(`ns-${i % 3}/p-${i}`);
    expect(table.namespaces.size).toBe(1);
    // A rollout: every owner replaced; the old ReplicaSet names are gone.
    for (let i = 0; i < 3000; i += 3) table.write(`ns-0/p-${i}`, contribution({ namespace: "ns-0", owner: "ReplicaSet/rs-new", tally: CLEAN_TALLY }));
    expect(table.owners.size).toBe(1);
    expect(table.tallies.size).toBe(1);
    for (let i = 0; i < 2000; i++) table.write(`fresh/p-${i}`, contribution({ namespace: "fresh" }));
    expect(table.size).toBe(3000);
    expect(table.staleKeys("fresh", 0)).toEqual([]);
    expect(table.staleKeys("fresh", 1)).toHaveLength(2000);
    table.clear();
    expect([table.size, table.namespaces.size, table.owners.size, table.tallies.size]).toEqual([0, 0, 0, 0]);
  });
});

describe("AggregatorPodStore", () => {
  const pod = (ns: string, name: string, rv: string, image = "nginx:1.27"): KubeObject =>
    ({ metadata: { namespace: ns, name, resourceVersion: rv }, spec: { containers: [{ name: "app", image, livenessProbe: {}, readinessProbe: {} }] }, status: { phase: "Running" } }) as KubeObject;

  test("each version is reported once; modified carries the stored state; unknown deletions are dropped", () => {
    const agg = new HealthAggregator();
    const store = new AggregatorPodStore(agg, () => 0);
    const added = store.upsert(pod("shop", "web", "1"))!;
    expect(added.type).toBe("added");
    agg.apply(added.key, (added as { value: PodContribution }).value, 0);
    expect(store.upsert(pod("shop", "web", "1"))).toBeUndefined();
    const modified = store.upsert(pod("shop", "web", "2", "nginx:latest"))!;
    expect(modified.type).toBe("modified");
    expect((modified as { previous: PodContribution }).previous.resourceVersion).toBe("1");
    agg.apply(modified.key, (modified as { value: PodContribution }).value, 0);
    expect(store.size).toBe(1);
    expect(store.delete(pod("shop", "gone", "3"))).toBeUndefined();
    expect(store.dropUnseen(new Set(["shop/web"]))).toEqual([]);
    expect(store.dropUnseen(new Set()).map((e) => [e.type, e.key])).toEqual([["deleted", "shop/web"]]);
  });

  test("system-namespace pods are never tracked, but their events still pass through", () => {
    const agg = new HealthAggregator();
    const store = new AggregatorPodStore(agg, () => 0);
    const sys = pod("kube-system", "coredns", "5");
    const e = store.upsert(sys)!;
    expect(e.type === "added" && e.value).toBe(IGNORED);
    agg.apply(keyOf(sys), IGNORED, 0);
    expect(store.size).toBe(0);
    expect(store.delete(sys)).toEqual({ type: "deleted", key: "kube-system/coredns", previous: IGNORED });
  });
});
