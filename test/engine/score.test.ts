/**
 * The reference's score contract (§3.2–3.3): per-pod contribution, add and
 * saturating subtract, the integer formula, empty → 100, the worked example
 * 1/1/1/5/1 → 56, the class bands, and the system-namespace predicate.
 */
import { describe, expect, test } from "bun:test";
import { DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { evaluatePod, tallyPod } from "../../lib/checks/evaluate.ts";
import { isProtectedNamespace, isSystemNamespace } from "../../lib/namespaces.ts";
import {
  addTallyInto,
  classify,
  emptyTally,
  rawPenalty,
  scoreGain,
  scoreTally,
  subtractTallyInto,
  sumTallies,
  tallyEquals,
  type Tally,
} from "../../lib/score.ts";
import { makePod, NOW } from "./fixtures.ts";

function tally(parts: Partial<Tally>): Tally {
  return { ...emptyTally(), ...parts };
}

describe("scoreTally", () => {
  test("no pods scores 100", () => {
    expect(scoreTally(emptyTally())).toBe(100);
    expect(scoreTally(tally({ latest_tag: 7 }))).toBe(100);
  });

  test("a clean pod and 100 clean pods score 100", () => {
    expect(scoreTally(tally({ pods: 1 }))).toBe(100);
    expect(scoreTally(tally({ pods: 100 }))).toBe(100);
  });

  test("worked example: 1 pod with 1/1/1/5/1 → raw 44 → 56", () => {
    const t = tally({ pods: 1, latest_tag: 1, missing_liveness: 1, missing_readiness: 1, high_restarts: 5, pending: 1 });
    expect(rawPenalty(t)).toBe(44);
    expect(scoreTally(t)).toBe(56);
  });

  test("the same pod evaluated by the default set gives the worked example", () => {
    const pod = makePod({ image: "nginx:latest", liveness: false, readiness: false, restarts: 5, phase: "Pending" });
    const t = tallyPod(pod, DEFAULT_CHECK_SET, { now: NOW });
    expect(t).toMatchObject({ pods: 1, latest_tag: 1, missing_liveness: 1, missing_readiness: 1, high_restarts: 5, pending: 1, violations: 5 });
    expect(scoreTally(t)).toBe(56);
  });

  test("per-pod penalty is truncated, not rounded", () => {
    // raw 5 over 2 pods = 2.5 → 2 → 98
    expect(scoreTally(tally({ pods: 2, latest_tag: 1 }))).toBe(98);
    // raw 3 over 4 pods = 0.75 → 0 → 100
    expect(scoreTally(tally({ pods: 4, missing_liveness: 1 }))).toBe(100);
  });

  test("an extreme penalty clamps at 0", () => {
    expect(scoreTally(tally({ pods: 1, latest_tag: 50, high_restarts: 500 }))).toBe(0);
  });

  test("resource checks weigh 3 (requests) and 2 (limits)", () => {
    expect(scoreTally(tally({ pods: 1, missing_requests: 1, missing_limits: 1 }))).toBe(95);
  });
});

describe("classify", () => {
  const cases: [number, string][] = [
    [100, "Healthy"], [80, "Healthy"], [79, "Stable"], [60, "Stable"],
    [59, "Degraded"], [40, "Degraded"], [39, "Critical"], [0, "Critical"],
  ];
  for (const [score, cls] of cases) test(`${score} → ${cls}`, () => expect(classify(score)).toBe(cls as never));
});

describe("tally arithmetic", () => {
  test("add is component-wise", () => {
    const a = tally({ pods: 1, latest_tag: 1, violations: 1 });
    const b = tally({ pods: 2, latest_tag: 2, pending: 1, violations: 3 });
    expect(addTallyInto({ ...a }, b)).toEqual(tally({ pods: 3, latest_tag: 3, pending: 1, violations: 4 }));
    expect(sumTallies([a, b, a])).toEqual(tally({ pods: 4, latest_tag: 4, pending: 1, violations: 5 }));
  });

  test("subtract saturates at 0", () => {
    const t = tally({ pods: 1, latest_tag: 1 });
    expect(subtractTallyInto(t, tally({ pods: 2, latest_tag: 5, pending: 3 }))).toEqual(emptyTally());
  });

  test("add then subtract round-trips", () => {
    const base = tally({ pods: 3, missing_readiness: 2, violations: 2 });
    const pod = tally({ pods: 1, high_restarts: 5, violations: 1 });
    const t = addTallyInto({ ...base }, pod);
    expect(tallyEquals(t, base)).toBe(false);
    expect(tallyEquals(subtractTallyInto(t, pod), base)).toBe(true);
  });

  test("scoreGain is what removing a workload's penalties is worth, exact to one decimal", () => {
    const total = tally({ pods: 2, latest_tag: 2, missing_liveness: 1 }); // raw 13 / 2 = 6.5
    expect(scoreGain(total, tally({ pods: 1, latest_tag: 1 }))).toBe(2.5); // raw 8 / 2 = 4
    expect(scoreGain(total, total)).toBe(6.5);
    expect(scoreGain(tally({ pods: 3, latest_tag: 1 }), tally({ pods: 1, latest_tag: 1 }))).toBe(1.7);
    // penalties beyond 100 points per pod are capped, as the score is
    expect(scoreGain(tally({ pods: 1, high_restarts: 40 }), tally({ pods: 1, high_restarts: 20 }))).toBe(0);
    expect(scoreGain(emptyTally(), emptyTally())).toBe(0);
  });
});

describe("default evaluator (reference §3.2)", () => {
  test("two containers count twice for each spec check", () => {
    const pod = makePod({ image: "nginx:latest", liveness: false, readiness: false });
    const main = pod.spec!.containers![0]!;
    pod.spec!.containers!.push({ ...main, name: "side" });
    const t = tallyPod(pod, DEFAULT_CHECK_SET, { now: NOW });
    expect(t).toMatchObject({ latest_tag: 2, missing_liveness: 2, missing_readiness: 2 });
  });

  test("a pod with no spec contributes only pods=1; no status → no restarts or pending", () => {
    expect(tallyPod({ metadata: { name: "x" }, status: { phase: "Running" } }, DEFAULT_CHECK_SET, { now: NOW }))
      .toEqual(tally({ pods: 1 }));
    const noStatus = makePod({ image: "nginx:1" });
    delete noStatus.status;
    expect(tallyPod(noStatus, DEFAULT_CHECK_SET, { now: NOW })).toEqual(tally({ pods: 1 }));
  });

  test("findings come in the reference order with its fields", () => {
    const pod = makePod({ name: "api", namespace: "shop", image: "api:latest", liveness: false, readiness: false, restarts: 9, phase: "Pending" });
    const { findings } = evaluatePod(pod, DEFAULT_CHECK_SET, { now: NOW });
    expect(findings.map((f) => [f.check, f.severity, f.container])).toEqual([
      ["latest_tag", "high", "main"],
      ["missing_liveness", "medium", "main"],
      ["missing_readiness", "low", "main"],
      ["high_restarts", "critical", "main"],
      ["pending", "medium", ""],
    ]);
    expect(findings[3]).toMatchObject({ pod: "api", namespace: "shop", message: "container 'main' has 9 restarts (threshold: 3)", units: 5, exempt: false });
  });

  test("a pod without name or namespace is 'unknown' in 'default'", () => {
    const { findings } = evaluatePod({ spec: { containers: [{ name: "c", image: "x" }] } }, DEFAULT_CHECK_SET, { now: NOW });
    expect(findings[0]).toMatchObject({ pod: "unknown", namespace: "default" });
  });

  test("malformed input never throws", () => {
    const weird = [
      {},
      { spec: null },
      { spec: { containers: "nope" } },
      { spec: { containers: [null, 3, { name: 7, image: 9 }] }, status: { containerStatuses: [null, { restartCount: "12" }] } },
      { metadata: "x", status: "y" },
    ];
    for (const pod of weird) expect(() => evaluatePod(pod as never, DEFAULT_CHECK_SET, { now: NOW })).not.toThrow();
  });
});

describe("namespaces", () => {
  test("system namespaces are the reference's predicate", () => {
    for (const ns of ["kube-system", "kube-flannel", "kube-devops", "longhorn-system", "cert-manager", "monitoring", "observability", "argocd", "istio-system"]) {
      expect(isSystemNamespace(ns)).toBe(true);
    }
    for (const ns of ["default", "production", "kube", "systems", "argo-cd"]) expect(isSystemNamespace(ns)).toBe(false);
  });

  test("protected namespaces include kube-* and *-system", () => {
    for (const ns of ["kube-system", "kube-flannel", "cert-manager", "istio-system", "monitoring", "foo-system"]) {
      expect(isProtectedNamespace(ns)).toBe(true);
    }
    expect(isProtectedNamespace("default")).toBe(false);
    expect(isProtectedNamespace("production")).toBe(false);
  });

  test("pods in system namespaces are skipped", () => {
    const r = evaluatePod(makePod({ namespace: "kube-system", image: "x:latest" }), DEFAULT_CHECK_SET, { now: NOW });
    expect(r.skipped).toBe("system-namespace");
    expect(r.tally).toEqual(emptyTally());
    const included = evaluatePod(makePod({ namespace: "kube-system", image: "x:latest" }), DEFAULT_CHECK_SET, { now: NOW, includeSystemNamespaces: true });
    expect(included.tally.latest_tag).toBe(1);
  });
});
