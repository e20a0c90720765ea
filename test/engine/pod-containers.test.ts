/**
 * Every container of a pod is checked (docs/decisions/0026, reference W-A9): init
 * containers for image and resources, native sidecars like main containers,
 * ephemeral containers for the image; init container restarts count.
 */
import { describe, expect, test } from "bun:test";
import { checkSetFromPolicy } from "../../lib/checks/check-set.ts";
import { evaluatePod, evaluatePodSpec } from "../../lib/checks/evaluate.ts";
import { appliesTo, forEachContainer, type ContainerRole } from "../../lib/checks/pod-containers.ts";
import { CHECK_IDS } from "../../lib/checks/registry.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { trimPod } from "../../lib/operator/pod-index.ts";
import { NOW } from "./fixtures.ts";

const ALL = checkSetFromPolicy({
  forbidLatestTag: true,
  requireLivenessProbe: true,
  requireReadinessProbe: true,
  requireResourceRequests: true,
  requireResourceLimits: true,
  maxRestartCount: 3,
});

const GOOD = {
  image: "registry.example/app:1.2.3",
  livenessProbe: {},
  readinessProbe: {},
  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
};
/** Violates every container check: untagged image, no probes, no resources. */
const BARE = { image: "busybox" };

function podWith(spec: Record<string, unknown>, status: Record<string, unknown> = { phase: "Running" }): PodLike {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "prod" }, spec, status } as PodLike;
}

const messages = (pod: PodLike) => evaluatePod(pod, ALL, { now: NOW }).findings.map((f) => f.message);

describe("which checks apply to which container", () => {
  test("a plain init container: image and resources, never probes (the API forbids them)", () => {
    const pod = podWith({ containers: [{ name: "app", ...GOOD }], initContainers: [{ name: "setup", ...BARE }] });
    expect(messages(pod)).toEqual([
      "init container 'setup' uses :latest tag",
      "init container 'setup' missing resource requests (cpu, memory)",
      "init container 'setup' missing resource limits (cpu, memory)",
    ]);
  });

  test("a native sidecar (restartPolicy: Always) is checked like a main container", () => {
    const pod = podWith({ containers: [{ name: "app", ...GOOD }], initContainers: [{ name: "proxy", restartPolicy: "Always", ...BARE }] });
    expect(messages(pod)).toEqual([
      "sidecar container 'proxy' uses :latest tag",
      "sidecar container 'proxy' missing liveness probe",
      "sidecar container 'proxy' missing readiness probe",
      "sidecar container 'proxy' missing resource requests (cpu, memory)",
      "sidecar container 'proxy' missing resource limits (cpu, memory)",
    ]);
  });

  test("an ephemeral (debug) container: the image only (the API forbids probes and resources)", () => {
    const pod = podWith({ containers: [{ name: "app", ...GOOD }], ephemeralContainers: [{ name: "debugger", ...BARE }] });
    expect(messages(pod)).toEqual(["ephemeral container 'debugger' uses :latest tag"]);
  });

  test("main containers keep the reference's wording, and come first", () => {
    const pod = podWith({ initContainers: [{ name: "setup", ...GOOD, image: "busybox:latest" }], containers: [{ name: "app", ...GOOD, image: "nginx" }] });
    expect(messages(pod)).toEqual(["container 'app' uses :latest tag", "init container 'setup' uses :latest tag"]);
  });

  test("the role table", () => {
    const table = (finishes: boolean) =>
      Object.fromEntries((["container", "sidecar", "init", "ephemeral"] as ContainerRole[]).map((role) => [role, CHECK_IDS.filter((id) => id !== "high_restarts" && id !== "pending" && appliesTo(id, role, finishes))]));
    expect(table(false)).toEqual({
      container: ["latest_tag", "missing_liveness", "missing_readiness", "missing_requests", "missing_limits"],
      sidecar: ["latest_tag", "missing_liveness", "missing_readiness", "missing_requests", "missing_limits"],
      init: ["latest_tag", "missing_requests", "missing_limits"],
      ephemeral: ["latest_tag"],
    });
    expect(table(true)).toEqual({
      container: ["latest_tag", "missing_requests", "missing_limits"],
      sidecar: ["latest_tag", "missing_requests", "missing_limits"],
      init: ["latest_tag", "missing_requests", "missing_limits"],
      ephemeral: ["latest_tag"],
    });
  });

  test("odd entries are skipped, odd lists ignored", () => {
    const seen: string[] = [];
    forEachContainer({ containers: [null, 3, { name: "a" }], initContainers: "x", ephemeralContainers: [[], { name: "e" }] }, (c, role) => seen.push(`${role}:${String(c.name)}`));
    expect(seen).toEqual(["container:a", "ephemeral:e"]);
    forEachContainer(null, () => seen.push("never"));
    expect(seen).toHaveLength(2);
  });

  test("pod templates (workloads) get the same treatment", () => {
    const { findings, tally } = evaluatePodSpec({ containers: [{ name: "app", ...GOOD }], initContainers: [{ name: "migrate", ...GOOD, image: "migrate" }] }, ALL, { name: "web", namespace: "prod" });
    expect(findings.map((f) => [f.check, f.container])).toEqual([["latest_tag", "migrate"]]);
    expect(tally.latest_tag).toBe(1);
  });
});

describe("pods that run to completion (restartPolicy Never or OnFailure)", () => {
  test("are not asked for probes in any container; image and resources still count", () => {
    for (const restartPolicy of ["Never", "OnFailure"]) {
      const pod = podWith({ restartPolicy, containers: [{ name: "job", ...BARE }], initContainers: [{ name: "proxy", restartPolicy: "Always", ...GOOD }] });
      expect(messages(pod)).toEqual(["container 'job' uses :latest tag", "container 'job' missing resource requests (cpu, memory)", "container 'job' missing resource limits (cpu, memory)"]);
    }
  });

  test("a Job's and a CronJob's template the same way; Always (or unset) still wants probes", () => {
    const template = (restartPolicy?: string) => evaluatePodSpec({ ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: "app", ...GOOD, livenessProbe: undefined }] }, ALL, { name: "t", namespace: "prod" }).findings.map((f) => f.check);
    expect(template("Never")).toEqual([]);
    expect(template("Always")).toEqual(["missing_liveness"]);
    expect(template()).toEqual(["missing_liveness"]);
  });
});

describe("restarts", () => {
  test("a restarting sidecar is named as one", () => {
    const pod = podWith(
      { containers: [{ name: "app", ...GOOD }], initContainers: [{ name: "proxy", restartPolicy: "Always", ...GOOD }] },
      { phase: "Running", initContainerStatuses: [{ name: "proxy", restartCount: 9 }], containerStatuses: [{ name: "app", restartCount: 0 }] },
    );
    expect(evaluatePod(pod, { ...ALL, pod: [] }, { now: NOW }).findings.map((f) => f.message)).toEqual(["sidecar container 'proxy' has 9 restarts (threshold: 3)"]);
  });

  test("a crash-looping init container counts, named as an init container", () => {
    const pod = podWith(
      { containers: [{ name: "app", ...GOOD }], initContainers: [{ name: "setup", ...GOOD }] },
      { phase: "Pending", initContainerStatuses: [{ name: "setup", restartCount: 12 }], containerStatuses: [{ name: "app", restartCount: 0 }] },
    );
    const { findings, tally } = evaluatePod(pod, { ...ALL, pod: [] }, { now: NOW });
    expect(findings.map((f) => f.message)).toEqual(["init container 'setup' has 12 restarts (threshold: 3)"]);
    expect(tally.high_restarts).toBe(5);
  });
});

describe("the operator's trimmed pods keep what the checks read", () => {
  test("evaluating a trimmed pod gives the findings of the full pod", () => {
    const pod = podWith(
      {
        restartPolicy: "Always",
        containers: [{ name: "app", ...GOOD, env: [{ name: "A", value: "b" }] }],
        initContainers: [{ name: "setup", ...BARE, command: ["sh"] }, { name: "proxy", restartPolicy: "Always", ...GOOD, image: "envoy" }],
        ephemeralContainers: [{ name: "debugger", ...BARE, stdin: true }],
      },
      { phase: "Running", containerStatuses: [{ name: "app", restartCount: 1 }], initContainerStatuses: [{ name: "proxy", restartCount: 7, ready: true }] },
    );
    const full = evaluatePod(pod, ALL, { now: NOW });
    expect(full.findings.length).toBe(6);
    expect(evaluatePod(trimPod(pod), ALL, { now: NOW })).toEqual(full);
  });

  test("a trimmed pod keeps its restartPolicy (a Job's pod is not asked for probes)", () => {
    const job = podWith({ restartPolicy: "Never", containers: [{ name: "job", image: "batch:1" }] });
    expect(evaluatePod(job, ALL, { now: NOW }).findings.map((f) => f.check)).toEqual(["missing_requests", "missing_limits"]);
    expect(evaluatePod(trimPod(job), ALL, { now: NOW })).toEqual(evaluatePod(job, ALL, { now: NOW }));
  });

  test("a trimmed pod keeps why its node failed it (status.reason)", () => {
    const evicted = podWith({ containers: [{ name: "app", ...BARE }] }, { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." });
    expect(evaluatePod(trimPod(evicted), ALL, { now: NOW }).skipped).toBe("evicted");
  });
});
