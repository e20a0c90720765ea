/**
 * Table-driven pass/fail fixtures for every check in the registry, run alone
 * through a one-check set so each row proves exactly one predicate.
 */
import { describe, expect, test } from "bun:test";
import { buildCheckSet } from "../../lib/checks/check-set.ts";
import { evaluatePod } from "../../lib/checks/evaluate.ts";
import { CHECKS, CHECK_IDS, type CheckId } from "../../lib/checks/registry.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { makePod, NOW } from "./fixtures.ts";

interface Row {
  name: string;
  pod: PodLike;
  /** Expected penalty units for the check (0 = pass). */
  units: number;
  message?: string;
}

const full = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } };

const TABLE: Record<CheckId, Row[]> = {
  latest_tag: [
    { name: "explicit :latest", pod: makePod({ image: "nginx:latest" }), units: 1, message: "container 'main' uses :latest tag" },
    { name: "registry with port and :latest", pod: makePod({ image: "reg.local:5000/app:latest" }), units: 1 },
    { name: "untagged image (implicit latest)", pod: makePod({ image: "nginx" }), units: 1 },
    { name: "untagged image behind a registry port", pod: makePod({ image: "reg.local:5000/team/app" }), units: 1 },
    { name: "version tag", pod: makePod({ image: "nginx:1.27.3" }), units: 0 },
    { name: "registry port and version tag", pod: makePod({ image: "reg.local:5000/app:v2" }), units: 0 },
    { name: "digest-pinned :latest", pod: makePod({ image: "nginx:latest@sha256:" + "a".repeat(64) }), units: 0 },
    { name: "digest only", pod: makePod({ image: "nginx@sha256:" + "b".repeat(64) }), units: 0 },
    { name: "tag LATEST is a different tag (case-sensitive)", pod: makePod({ image: "nginx:LATEST" }), units: 0 },
    { name: "tag that merely ends in latest", pod: makePod({ image: "nginx:not-latest" }), units: 0 },
    { name: "missing image", pod: { metadata: { name: "p" }, spec: { containers: [{ name: "main" }] } }, units: 0 },
  ],
  missing_liveness: [
    { name: "no livenessProbe", pod: makePod({ liveness: false }), units: 1, message: "container 'main' missing liveness probe" },
    { name: "empty probe object counts as present", pod: makePod(), units: 0 },
  ],
  missing_readiness: [
    { name: "no readinessProbe", pod: makePod({ readiness: false }), units: 1, message: "container 'main' missing readiness probe" },
    { name: "empty probe object counts as present", pod: makePod(), units: 0 },
  ],
  high_restarts: [
    { name: "3 restarts is not over 3", pod: makePod({ restarts: 3 }), units: 0 },
    { name: "4 restarts adds 4", pod: makePod({ restarts: 4 }), units: 4, message: "container 'main' has 4 restarts (threshold: 3)" },
    { name: "5 restarts adds 5", pod: makePod({ restarts: 5 }), units: 5 },
    { name: "100 restarts adds 5 (capped)", pod: makePod({ restarts: 100 }), units: 5 },
    { name: "no status", pod: { metadata: { name: "p" }, spec: { containers: [] } }, units: 0 },
  ],
  pending: [
    { name: "Pending pod", pod: makePod({ phase: "Pending" }), units: 1, message: "pod is in Pending phase" },
    { name: "Running pod", pod: makePod(), units: 0 },
    { name: "Failed pod", pod: makePod({ phase: "Failed" }), units: 0 },
  ],
  missing_requests: [
    { name: "no resources", pod: makePod(), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    { name: "cpu only", pod: makePod({ resources: { requests: { cpu: "100m" } } }), units: 1, message: "container 'main' missing resource requests (memory)" },
    { name: "requests set", pod: makePod({ resources: { requests: { cpu: "100m", memory: "64Mi" } } }), units: 0 },
    { name: "limits alone default the requests", pod: makePod({ resources: { limits: { cpu: "1", memory: "1Gi" } } }), units: 0 },
    { name: "empty string is not a value", pod: makePod({ resources: { requests: { cpu: "", memory: "64Mi" } } }), units: 1 },
    { name: "blank strings are not values (any Unicode space)", pod: makePod({ resources: { requests: { cpu: " \t\n", memory: "\u00a0\u2003" } } }), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    { name: "a value with surrounding space is a value", pod: makePod({ resources: { requests: { cpu: " 100m", memory: "\u00a064Mi" } } }), units: 0 },
    // Kubernetes' QoS counts only requests above zero: a container asking for 0 is BestEffort
    { name: "zero requests are no requests (a number, a suffixed string)", pod: makePod({ resources: { requests: { cpu: 0, memory: "0Mi" } } }), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    { name: "zero in any spelling", pod: makePod({ resources: { requests: { cpu: "0.000", memory: "+0e3" } } }), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    { name: "a zero limit defaults the request to zero", pod: makePod({ resources: { limits: { cpu: "0m", memory: "0" } } }), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    // the API server copies a limit into an absent request only: a request written as 0 stays 0
    { name: "a zero request beside a set limit is still zero", pod: makePod({ resources: { requests: { cpu: "0", memory: 0 }, limits: { cpu: "1", memory: "1Gi" } } }), units: 1, message: "container 'main' missing resource requests (cpu, memory)" },
    { name: "one zero request beside limits: only that one is missing", pod: makePod({ resources: { requests: { cpu: "0" }, limits: { cpu: "1", memory: "1Gi" } } }), units: 1, message: "container 'main' missing resource requests (cpu)" },
    { name: "a small request is a request", pod: makePod({ resources: { requests: { cpu: "1m", memory: 0.5 } } }), units: 0 },
  ],
  missing_limits: [
    { name: "no resources", pod: makePod(), units: 1, message: "container 'main' missing resource limits (cpu, memory)" },
    { name: "requests only", pod: makePod({ resources: { requests: { cpu: "100m", memory: "64Mi" } } }), units: 1 },
    { name: "memory limit only", pod: makePod({ resources: { limits: { memory: "128Mi" } } }), units: 1, message: "container 'main' missing resource limits (cpu)" },
    { name: "both limits", pod: makePod({ resources: full }), units: 0 },
    // the kubelet runs a container with a zero limit unbounded (no cgroup quota, no memory cap)
    { name: "zero limits are no limits", pod: makePod({ resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "0", memory: 0 } } }), units: 1, message: "container 'main' missing resource limits (cpu, memory)" },
    { name: "a zero cpu limit beside a memory limit", pod: makePod({ resources: { limits: { cpu: "0m", memory: "128Mi" } } }), units: 1, message: "container 'main' missing resource limits (cpu)" },
  ],
};

describe("check registry", () => {
  test("has one entry per id with the reference weights and severities", () => {
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const weights = Object.fromEntries(CHECKS.map((c) => [c.id, c.weight]));
    expect(weights).toEqual({
      latest_tag: 5,
      missing_liveness: 3,
      missing_readiness: 2,
      high_restarts: 6,
      pending: 4,
      missing_requests: 3,
      missing_limits: 2,
    });
    const severities = Object.fromEntries(CHECKS.map((c) => [c.id, c.defaultSeverity]));
    expect(severities).toMatchObject({
      latest_tag: "high",
      missing_liveness: "medium",
      missing_readiness: "low",
      high_restarts: "critical",
      pending: "medium",
    });
  });

  test("every check has fixtures that pass and fixtures that fail", () => {
    for (const id of CHECK_IDS) {
      expect(TABLE[id].some((r) => r.units > 0)).toBe(true);
      expect(TABLE[id].some((r) => r.units === 0)).toBe(true);
    }
  });
});

for (const id of CHECK_IDS) {
  describe(id, () => {
    const set = buildCheckSet([id], { maxRestartCount: 3, pendingAfterSeconds: 0 });
    for (const row of TABLE[id]) {
      test(`${row.units > 0 ? "fails" : "passes"}: ${row.name}`, () => {
        const { tally, findings } = evaluatePod(row.pod, set, { now: NOW });
        expect(tally[id]).toBe(row.units);
        expect(findings.filter((f) => f.check === id).length).toBe(row.units > 0 ? 1 : 0);
        if (row.message) expect(findings[0]?.message).toBe(row.message);
      });
    }
  });
}
