/**
 * The watch controller's pure state with literal pods: pod-weighted scores equal to
 * the engine's, namespace series that go with their last pod, system namespaces
 * ignored, violations reported once when they appear and once when resolved, pending
 * deadlines without a new event, per-namespace check sets and relists.
 */
import { describe, expect, test } from "bun:test";
import { checkSetFromPolicies, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { tallyPod } from "../../lib/checks/evaluate.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { scoreTally, sumTallies } from "../../lib/score.ts";
import { HealthAggregator, IGNORED, sameCheckSet, type ViolationChange } from "../../lib/watch/health-aggregator.ts";
import { CLEAN_TALLY } from "../../lib/watch/pod-contribution.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
let rv = 1;

function pod(ns: string, name: string, o: { image?: string; probes?: boolean; restarts?: number; phase?: string; created?: number; owner?: string } = {}): PodLike {
  const probes = o.probes ?? true;
  return {
    metadata: {
      namespace: ns,
      name,
      resourceVersion: String(rv++),
      creationTimestamp: new Date(o.created ?? T0).toISOString(),
      ...(o.owner ? { ownerReferences: [{ kind: "ReplicaSet", name: o.owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: "app", image: o.image ?? "nginx:1.27", ...(probes ? { livenessProbe: {}, readinessProbe: {} } : {}) }] },
    status: { phase: o.phase ?? "Running", containerStatuses: [{ name: "app", restartCount: o.restarts ?? 0 }] },
  } as PodLike;
}

const key = (p: PodLike): string => `${p.metadata?.namespace}/${p.metadata?.name}`;

function load(agg: HealthAggregator, pods: PodLike[], now = T0): void {
  for (const p of pods) agg.apply(key(p), agg.project(p, now), now);
}

describe("HealthAggregator scores", () => {
  test("exemption annotations count unless the controller runs with --no-exemptions", () => {
    const exempt = { ...pod("a", "x", { image: "nginx:latest" }), metadata: { namespace: "a", name: "x", resourceVersion: "1", annotations: { "devops.stochastic.io/exempt": "true" } } } as PodLike;
    const honouring = new HealthAggregator();
    load(honouring, [exempt]);
    expect(honouring.clusterScore()).toBe(100);
    const strict = new HealthAggregator({ exemptions: false });
    load(strict, [exempt]);
    expect(strict.clusterScore()).toBe(95);
  });

  test("the cluster score is pod-weighted: the engine's score of all pods, not the mean of namespaces", () => {
    const pods = [
      pod("big", "a"), pod("big", "b"), pod("big", "c"), pod("big", "d"),
      pod("small", "x", { image: "nginx:latest", probes: false, restarts: 9 }),
    ];
    const agg = new HealthAggregator();
    load(agg, pods);
    const expected = scoreTally(sumTallies(pods.map((p) => tallyPod(p, DEFAULT_CHECK_SET, { now: T0 }))));
    expect(agg.clusterScore()).toBe(expected);
    const ns = Object.fromEntries([...agg.namespaceHealth()].map((n) => [n.name, scoreTally(n.tally)]));
    expect(ns).toEqual({ big: 100, small: 100 - Math.min(5 + 3 + 2 + 6 * 5, 100) });
    expect(expected).not.toBe(Math.floor((ns.big! + ns.small!) / 2));
    expect(agg.podsTracked).toBe(5);
  });

  test("an empty cluster scores 100; a namespace disappears with its last pod; system pods are ignored", () => {
    const agg = new HealthAggregator();
    expect(agg.clusterScore()).toBe(100);
    const sys = pod("kube-system", "dns", { image: "x:latest" });
    expect(agg.project(sys, T0)).toBe(IGNORED);
    load(agg, [sys, pod("a", "1", { image: "x:latest" }), pod("b", "1")]);
    expect(agg.podsTracked).toBe(2);
    agg.remove("a/1");
    expect([...agg.namespaceHealth()].map((n) => n.name)).toEqual(["b"]);
    expect([...agg.violations()]).toEqual([]);
    agg.remove("b/1");
    expect([...agg.namespaceHealth()]).toEqual([]);
    expect(agg.clusterScore()).toBe(100);
    expect(agg.clusterTally().pods).toBe(0);
  });

  test("clean pods share one tally; violations are counted per check with the namespace's severity", () => {
    const agg = new HealthAggregator();
    const clean = pod("a", "clean");
    load(agg, [clean, pod("a", "bad", { image: "x:latest", probes: false })]);
    expect(agg.get("a/clean")?.tally).toBe(CLEAN_TALLY as never);
    expect([...agg.violations()]).toEqual([
      { namespace: "a", check: "latest_tag", severity: "high", count: 1 },
      { namespace: "a", check: "missing_liveness", severity: "medium", count: 1 },
      { namespace: "a", check: "missing_readiness", severity: "low", count: 1 },
    ]);
  });

  test("retain drops every pod a relist did not return", () => {
    const agg = new HealthAggregator();
    load(agg, [pod("a", "1"), pod("a", "2", { image: "x:latest" }), pod("b", "1")]);
    agg.retain(new Set(["a/1"]));
    expect(agg.podsTracked).toBe(1);
    expect([...agg.namespaceHealth()].map((n) => n.name)).toEqual(["a"]);
    expect(agg.clusterScore()).toBe(100);
  });
});

describe("HealthAggregator violation transitions", () => {
  test("a violation is reported when it appears and when it is resolved, not on every modification", () => {
    const changes: ViolationChange[] = [];
    const agg = new HealthAggregator({ onViolationChange: (c) => changes.push(c) });
    agg.reporting = true;
    load(agg, [pod("a", "p", { image: "x:latest", owner: "web-1" })]);
    load(agg, [pod("a", "p", { image: "x:latest", owner: "web-1" })]);
    load(agg, [pod("a", "p", { image: "x:latest", owner: "web-1" })]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ key: "a/p", namespace: "a", owner: "ReplicaSet/web-1", appeared: ["latest_tag"], resolved: [], reason: "changed" });
    expect(changes[0]!.findings?.map((f) => f.message)).toEqual(["container 'app' uses :latest tag"]);
    load(agg, [pod("a", "p", { image: "x:1", restarts: 7 })]);
    expect(changes[1]).toMatchObject({ appeared: ["high_restarts"], resolved: ["latest_tag"] });
    agg.remove("a/p");
    expect(changes[2]).toMatchObject({ appeared: [], resolved: ["high_restarts"], reason: "deleted" });
    expect(changes).toHaveLength(3);
  });

  test("nothing is reported while reporting is off (the initial sync logs a summary instead)", () => {
    const changes: ViolationChange[] = [];
    const agg = new HealthAggregator({ onViolationChange: (c) => changes.push(c) });
    load(agg, [pod("a", "p", { image: "x:latest" })]);
    expect(changes).toEqual([]);
    expect(agg.get("a/p")?.findings).toBeUndefined();
  });
});

describe("HealthAggregator check sets and deadlines", () => {
  const strict = checkSetFromPolicies([{ forbidLatestTag: true, forbidPendingDuration: 60 } as never]);

  test("a Pending pod becomes a violation when it crosses forbidPendingDuration, without a new event", () => {
    const changes: ViolationChange[] = [];
    const agg = new HealthAggregator({ onViolationChange: (c) => changes.push(c) });
    agg.reporting = true;
    expect(agg.setCheckSet("a", strict)).toBe(true);
    load(agg, [pod("a", "p", { phase: "Pending", created: T0 })], T0 + 10_000);
    expect(agg.clusterScore()).toBe(100);
    expect(agg.nextDeadline()).toBe(T0 + 60_001);
    expect(agg.advance(T0 + 60_000)).toBe(0);
    expect(agg.advance(T0 + 60_001)).toBe(1);
    expect(agg.clusterScore()).toBe(96);
    expect(changes).toEqual([expect.objectContaining({ appeared: ["pending"], reason: "pending-deadline" })]);
    expect(agg.nextDeadline()).toBeUndefined();
  });

  test("a deadline of a pod that ran meanwhile is ignored", () => {
    const agg = new HealthAggregator();
    agg.setCheckSet("a", strict);
    load(agg, [pod("a", "p", { phase: "Pending" })], T0);
    load(agg, [pod("a", "p", { phase: "Running" })], T0 + 5_000);
    expect(agg.advance(T0 + 120_000)).toBe(0);
    expect(agg.clusterScore()).toBe(100);
  });

  test("a new check set marks the namespace's pods stale until re-scored", () => {
    const agg = new HealthAggregator();
    const p = pod("a", "p", { probes: false });
    load(agg, [p, pod("b", "q", { probes: false })]);
    expect(agg.clusterScore()).toBe(95);
    expect(agg.setCheckSet("a", strict)).toBe(true);
    expect(agg.setCheckSet("a", checkSetFromPolicies([{ forbidLatestTag: true, forbidPendingDuration: 60 } as never]))).toBe(false);
    expect(agg.staleKeys("a")).toEqual(["a/p"]);
    expect(agg.staleKeys("b")).toEqual([]);
    load(agg, [p]);
    expect(agg.staleKeys("a")).toEqual([]);
    expect(scoreTally([...agg.namespaceHealth()].find((n) => n.name === "a")!.tally)).toBe(100);
    expect(agg.setCheckSet("a", undefined)).toBe(true);
    expect(agg.staleKeys("a")).toEqual(["a/p"]);
  });

  test("sameCheckSet compares checks, parameters and severities", () => {
    expect(sameCheckSet(DEFAULT_CHECK_SET, checkSetFromPolicies([{ forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 3, forbidPendingDuration: 0 } as never]))).toBe(true);
    expect(sameCheckSet(DEFAULT_CHECK_SET, checkSetFromPolicies([{ forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 2, forbidPendingDuration: 0 } as never]))).toBe(false);
  });
});
