/**
 * Exemption annotations on a pod or its workload, `--no-exemptions`, and owner
 * attribution through ownerReferences (never from names).
 */
import { describe, expect, test } from "bun:test";
import { checkSetFromPolicy, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { evaluatePod, evaluatePodSpec } from "../../lib/checks/evaluate.ts";
import { parseExemption } from "../../lib/checks/exemptions.ts";
import { chainExemption, formatWorkload, indexOwners, resolveOwner } from "../../lib/owners.ts";
import { scoreTally } from "../../lib/score.ts";
import { makePod, NOW } from "./fixtures.ts";

const bad = { image: "nginx:latest", liveness: false, readiness: false };

describe("exemptions", () => {
  test("exempt: true exempts every check; findings are reported as exempt and not scored", () => {
    const pod = makePod({ ...bad, annotations: { "devops.stochastic.io/exempt": "true", "devops.stochastic.io/exempt-reason": "legacy" } });
    const r = evaluatePod(pod, DEFAULT_CHECK_SET, { now: NOW });
    expect(r.findings.length).toBe(3);
    expect(r.findings.every((f) => f.exempt)).toBe(true);
    expect(r.tally).toMatchObject({ pods: 1, violations: 0, exempt: 3, latest_tag: 0 });
    expect(scoreTally(r.tally)).toBe(100);
  });

  test("exempt-checks exempts only the named checks (ids or camelCase keys)", () => {
    const pod = makePod({ ...bad, annotations: { "devops.stochastic.io/exempt-checks": "latest_tag, missingReadiness, bogus" } });
    const r = evaluatePod(pod, DEFAULT_CHECK_SET, { now: NOW });
    expect(r.findings.filter((f) => f.exempt).map((f) => f.check)).toEqual(["latest_tag", "missing_readiness"]);
    expect(r.tally).toMatchObject({ latest_tag: 0, missing_liveness: 1, missing_readiness: 0, violations: 1, exempt: 2 });
    expect(parseExemption(pod.metadata?.annotations)?.unknown).toEqual(["bogus"]);
  });

  test("exempt: false or no annotations exempts nothing", () => {
    expect(parseExemption({ "devops.stochastic.io/exempt": "false" })).toBeUndefined();
    expect(parseExemption(undefined)).toBeUndefined();
    expect(parseExemption({ other: "x" })).toBeUndefined();
  });

  test("--no-exemptions (exemptions: false) ignores the annotations", () => {
    const pod = makePod({ ...bad, annotations: { "devops.stochastic.io/exempt": "true" } });
    const r = evaluatePod(pod, DEFAULT_CHECK_SET, { now: NOW, exemptions: false });
    expect(r.tally).toMatchObject({ violations: 3, exempt: 0, latest_tag: 1 });
  });

  test("a workload's exemption covers its pods", () => {
    const deploy = { kind: "Deployment", metadata: { name: "web", namespace: "default", annotations: { "devops.stochastic.io/exempt-checks": "missing_liveness" } } };
    const r = evaluatePod(makePod(bad), DEFAULT_CHECK_SET, { now: NOW, workloadExemption: chainExemption([deploy]) });
    expect(r.tally).toMatchObject({ missing_liveness: 0, latest_tag: 1, exempt: 1 });
  });

  test("pod template annotations exempt a template unit", () => {
    const r = evaluatePodSpec(
      { containers: [{ name: "c", image: "x" }] },
      checkSetFromPolicy({ forbidLatestTag: true, requireResourceLimits: true }),
      { name: "web", namespace: "shop", annotations: { "devops.stochastic.io/exempt-checks": "missing_limits" } },
    );
    expect(r.tally).toMatchObject({ pods: 1, latest_tag: 1, missing_limits: 0, exempt: 1 });
  });
});

describe("owners", () => {
  const rs = {
    kind: "ReplicaSet",
    metadata: { name: "web-5d4f8b9c7f", namespace: "prod", ownerReferences: [{ kind: "Deployment", name: "web", controller: true }] },
  };
  const deploy = { kind: "Deployment", metadata: { name: "web", namespace: "prod", annotations: { "devops.stochastic.io/exempt": "true" } } };
  const pod = makePod({ namespace: "prod", ownerReferences: [{ kind: "ReplicaSet", name: "web-5d4f8b9c7f", controller: true }] });

  test("Pod → ReplicaSet → Deployment through the objects", () => {
    const r = resolveOwner(pod, indexOwners([rs, deploy]));
    expect(r.workload).toEqual({ kind: "Deployment", namespace: "prod", name: "web" });
    expect(r.chain.length).toBe(2);
    expect(formatWorkload(r.workload)).toBe("deployment/prod/web");
    expect(chainExemption(r.chain)?.all).toBe(true);
  });

  test("without the ReplicaSet the owner stays the ReplicaSet (no name guessing)", () => {
    expect(resolveOwner(pod, indexOwners([deploy])).workload).toEqual({ kind: "ReplicaSet", namespace: "prod", name: "web-5d4f8b9c7f" });
  });

  test("a standalone ReplicaSet api-v2 is not attributed to a Deployment api", () => {
    const standalone = { kind: "ReplicaSet", metadata: { name: "api-v2", namespace: "prod" } };
    const p = makePod({ namespace: "prod", ownerReferences: [{ kind: "ReplicaSet", name: "api-v2", controller: true }] });
    const other = { kind: "Deployment", metadata: { name: "api", namespace: "prod" } };
    expect(resolveOwner(p, indexOwners([standalone, other])).workload.name).toBe("api-v2");
  });

  test("Job → CronJob; a bare pod is its own unit; the controller reference wins", () => {
    const job = { kind: "Job", metadata: { name: "backup-289", namespace: "ops", ownerReferences: [{ kind: "CronJob", name: "backup", controller: true }] } };
    const jp = makePod({ namespace: "ops", ownerReferences: [{ kind: "Node", name: "n1" }, { kind: "Job", name: "backup-289", controller: true }] });
    expect(resolveOwner(jp, indexOwners([job])).workload).toEqual({ kind: "CronJob", namespace: "ops", name: "backup" });
    expect(resolveOwner(makePod({ name: "solo" }), indexOwners([])).workload).toEqual({ kind: "Pod", namespace: "default", name: "solo" });
  });

  test("an ownerReference cycle terminates", () => {
    const a = { kind: "ReplicaSet", metadata: { name: "a", namespace: "x", ownerReferences: [{ kind: "ReplicaSet", name: "b" }] } };
    const b = { kind: "ReplicaSet", metadata: { name: "b", namespace: "x", ownerReferences: [{ kind: "ReplicaSet", name: "a" }] } };
    const p = makePod({ namespace: "x", ownerReferences: [{ kind: "ReplicaSet", name: "a" }] });
    expect(() => resolveOwner(p, indexOwners([a, b]))).not.toThrow();
  });
});
