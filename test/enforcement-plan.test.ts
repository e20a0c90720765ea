/**
 * Enforcement planning (issue 8): from the workload's own template, by container
 * name, adding only what is missing, guarded by JSON Patch `test` operations.
 */
import { describe, expect, test } from "bun:test";
import { planWorkloadRemediation, type JsonPatchOp, type WorkloadObject } from "../lib/enforcement/plan-workload.ts";
import { selectProbePort } from "../lib/enforcement/plan-container.ts";
import { describeRemediation } from "../lib/enforcement/remediation-message.ts";
import type { DevOpsPolicySpec } from "../lib/policy/schema.ts";

const enforce: DevOpsPolicySpec = {
  enforcementMode: "enforce",
  requireLivenessProbe: true,
  requireReadinessProbe: true,
  defaultResources: {},
};
const options = { isProtectedNamespace: (ns: string) => ns.startsWith("kube-") || ns === "kube-devops" };

function deployment(containers: unknown[], extra: Partial<WorkloadObject> = {}): WorkloadObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "prod", ...(extra.metadata ?? {}) },
    spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: containers as never } } },
  };
}

/** A minimal RFC 6902 applier (add/test) to check what a patch does to the object. */
function applyPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    const tokens = op.path.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = tokens.pop() as string;
    let parent: Record<string, unknown> = out;
    for (const t of tokens) parent = parent[t] as Record<string, unknown>;
    if (op.op === "test") {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
    } else parent[last] = structuredClone(op.value);
  }
  return out as T;
}

describe("planWorkloadRemediation()", () => {
  test("adds exactly the missing probes and resources to a non-compliant Deployment", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "app", image: "web:1.2", ports: [{ containerPort: 8080 }] }]), enforce, options);
    expect(plan.outcome).toBe("planned");
    expect(plan.key).toBe("deployment/prod/web");
    const patched = applyPatch(deployment([{ name: "app", image: "web:1.2", ports: [{ containerPort: 8080 }] }]), plan.patch);
    const c = patched.spec?.template?.spec?.containers?.[0];
    expect(c?.readinessProbe).toMatchObject({ tcpSocket: { port: 8080 }, initialDelaySeconds: 5, periodSeconds: 10 });
    expect(c?.livenessProbe).toMatchObject({ tcpSocket: { port: 8080 }, failureThreshold: 6 });
    expect(c?.startupProbe).toEqual({ tcpSocket: { port: 8080 }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30, successThreshold: 1 });
    expect(c?.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m" } });
    expect(patched.spec?.template?.metadata?.annotations).toEqual({ "devops.stochastic.io/patched-by": "kube-devops-operator" });
    expect(patched.spec?.template?.metadata?.labels).toEqual({ app: "web" });
  });

  test("guards every patched container and the template metadata with test operations", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 80 }] }]), enforce, options);
    const tests = plan.patch.filter((op) => op.op === "test").map((op) => op.path);
    expect(tests).toEqual(["/spec/template/spec/containers/0", "/spec/template/metadata"]);
    // An edit between plan and apply makes the patch fail instead of being overwritten.
    const edited = deployment([{ name: "app", ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { path: "/ready", port: 80 } } }]);
    expect(() => applyPatch(edited, plan.patch)).toThrow("test failed");
  });

  test("matches containers by name: a sidecar first in the template shifts nothing", () => {
    const wl = deployment([
      { name: "istio-proxy", image: "proxyv2:1.20", ports: [{ containerPort: 15090 }], readinessProbe: { httpGet: { port: 15021 } }, livenessProbe: {}, resources: { requests: { cpu: "10m", memory: "40Mi" }, limits: { cpu: "2", memory: "1Gi" } } },
      { name: "app", image: "web:1", ports: [{ containerPort: 3000 }] },
    ]);
    const plan = planWorkloadRemediation(wl, enforce, options);
    expect(plan.containers.map((c) => c.container)).toEqual(["app"]);
    const patched = applyPatch(wl, plan.patch);
    expect(patched.spec?.template?.spec?.containers?.[0]).toEqual(wl.spec?.template?.spec?.containers?.[0] as never);
    expect(patched.spec?.template?.spec?.containers?.[1]?.readinessProbe).toMatchObject({ tcpSocket: { port: 3000 } });
  });

  test("never invents a probe port: no declared port and no policy port is reported, not patched", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "worker", image: "w:1", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }]), enforce, options);
    // nothing to patch, but not compliant either: the probes stay missing
    expect(plan.outcome).toBe("unresolved");
    expect(plan.patch).toEqual([]);
    expect(plan.unresolved).toEqual([
      { container: "worker", checks: ["missing_liveness"], reason: "needs a liveness probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)" },
      { container: "worker", checks: ["missing_readiness"], reason: "needs a readiness probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)" },
    ]);
  });

  test("uses the policy's tcpPort when the container declares it, or when it declares none", () => {
    expect(selectProbePort({ ports: [{ containerPort: 9090 }, { containerPort: 8080 }] }, 8080)).toBe(8080);
    expect(selectProbePort({ ports: [{ containerPort: 9090 }] }, 8080)).toBe(9090);
    expect(selectProbePort({}, 8080)).toBe(8080);
    expect(selectProbePort({ ports: [{ containerPort: 53, protocol: "UDP" }] }, undefined)).toBeUndefined();
  });

  test("keeps pre-existing partial probes and resources, adding only what is absent", () => {
    const wl = deployment([{ name: "app", ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: "/healthz", port: 8080 } }, resources: { requests: { cpu: "250m" }, limits: { memory: "512Mi" } } }]);
    const plan = planWorkloadRemediation(wl, enforce, options);
    const c = applyPatch(wl, plan.patch).spec?.template?.spec?.containers?.[0];
    expect(c?.readinessProbe).toEqual({ httpGet: { path: "/healthz", port: 8080 } });
    expect(c?.livenessProbe).toBeDefined();
    // memory request defaults to the existing limit (what Kubernetes would have done)
    expect(c?.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi", cpu: "500m" } });
  });

  test("an injected liveness probe comes with a startup probe, unless the container has its own (W-E3: no kill loop for slow starters)", () => {
    const probesOf = (container: Record<string, unknown>, spec: DevOpsPolicySpec) =>
      planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 8080 }], ...container }]), spec, options).patch.filter((op) => op.op === "add" && /Probe$/.test(op.path)).map((op) => op.path.split("/").pop());
    expect(probesOf({}, { enforcementMode: "enforce", requireLivenessProbe: true })).toEqual(["livenessProbe", "startupProbe"]);
    expect(probesOf({ startupProbe: { httpGet: { path: "/started", port: 8080 }, failureThreshold: 60 } }, { enforcementMode: "enforce", requireLivenessProbe: true })).toEqual(["livenessProbe"]);
    expect(probesOf({}, { enforcementMode: "enforce", requireReadinessProbe: true })).toEqual(["readinessProbe"]);
    // a container that already has liveness is left as it is, startup probe or not
    expect(probesOf({ livenessProbe: { tcpSocket: { port: 8080 } } }, { enforcementMode: "enforce", requireLivenessProbe: true })).toEqual([]);
    // no port: one unresolved line for liveness, none for the startup probe that would come with it
    const portless = planWorkloadRemediation(deployment([{ name: "app" }]), { enforcementMode: "enforce", requireLivenessProbe: true }, options);
    expect(portless.unresolved.map((u) => u.reason)).toEqual(["needs a liveness probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)"]);
  });

  test("adds a memory limit only when the policy names one (W-E3: a guessed limit OOM-kills)", () => {
    const app = () => deployment([{ name: "app", ports: [{ containerPort: 8080 }], livenessProbe: {}, readinessProbe: {} }]);
    const limitsOf = (spec: DevOpsPolicySpec) => applyPatch(app(), planWorkloadRemediation(app(), spec, options).patch).spec?.template?.spec?.containers?.[0]?.resources?.limits;
    expect(limitsOf(enforce)).toEqual({ cpu: "500m" });
    expect(limitsOf({ ...enforce, defaultResources: { memoryLimit: "1Gi" } })).toEqual({ cpu: "500m", memory: "1Gi" });
    // where the policy asks for limits, the plan says why none was added
    const wantsLimits = planWorkloadRemediation(app(), { ...enforce, requireResourceLimits: true }, options);
    expect(wantsLimits.unresolved).toEqual([{ container: "app", checks: ["missing_limits"], reason: "resources.limits.memory not added: the policy sets no defaultResources.memoryLimit, and a guessed memory limit can OOM-kill the container" }]);
    expect(planWorkloadRemediation(app(), enforce, options).unresolved).toEqual([]);
  });

  test("does not add a default limit below an existing request", () => {
    const wl = deployment([{ name: "db", ports: [{ containerPort: 5432 }], livenessProbe: {}, readinessProbe: {}, resources: { requests: { cpu: "2", memory: "4Gi" } } }]);
    // the policy does not ask for limits: leaving them off violates nothing, so nothing is unresolved
    expect(planWorkloadRemediation(wl, { ...enforce, defaultResources: { memoryLimit: "256Mi" } }, options).outcome).toBe("compliant");
    const plan = planWorkloadRemediation(wl, { ...enforce, requireResourceLimits: true, defaultResources: { memoryLimit: "256Mi" } }, options);
    expect(plan.outcome).toBe("unresolved");
    expect(plan.unresolved.map((u) => u.reason)).toEqual([
      "resources.limits.cpu not added: the default 500m is below the request 2",
      "resources.limits.memory not added: the default 256Mi is below the request 4Gi",
    ]);
  });

  test("a second pass over the patched workload plans nothing (idempotent)", () => {
    const wl = deployment([{ name: "app", ports: [{ containerPort: 8080 }] }, { name: "side", ports: [{ containerPort: 9000 }] }]);
    const first = planWorkloadRemediation(wl, enforce, options);
    const second = planWorkloadRemediation(applyPatch(wl, first.patch), enforce, options);
    expect(first.outcome).toBe("planned");
    expect(second.outcome).toBe("compliant");
    expect(second.patch).toEqual([]);
  });

  test("skips protected namespaces, opted-out workloads, audit mode and non-workload kinds", () => {
    const app = [{ name: "app", ports: [{ containerPort: 80 }] }];
    expect(planWorkloadRemediation(deployment(app, { metadata: { name: "x", namespace: "kube-system" } }), enforce, options).outcome).toBe("skipped");
    expect(planWorkloadRemediation(deployment(app, { metadata: { name: "x", namespace: "kube-devops" } }), enforce, options).outcome).toBe("skipped");
    const optedOut = planWorkloadRemediation(deployment(app, { metadata: { name: "x", namespace: "prod", annotations: { "devops.stochastic.io/enforce": "false" } } }), enforce, options);
    expect(optedOut.skipReason).toContain("opted out");
    expect(planWorkloadRemediation(deployment(app), { ...enforce, enforcementMode: "audit" }, options).skipReason).toBe("the policy is in audit mode");
    const rs = { ...deployment(app), kind: "ReplicaSet", metadata: { name: "api-v2", namespace: "prod" } };
    expect(planWorkloadRemediation(rs, enforce, options).skipReason).toBe("kind ReplicaSet is not enforced");
  });

  test("never patches :latest, restarts or pending, and does nothing without defaultResources", () => {
    const spec: DevOpsPolicySpec = { enforcementMode: "enforce", forbidLatestTag: true, maxRestartCount: 3, forbidPendingDuration: 60 };
    const plan = planWorkloadRemediation(deployment([{ name: "app", image: "web:latest" }]), spec, options);
    expect(plan.patch).toEqual([]);
    // restarts and pending are pod state, not template: only the image is left to report
    expect(plan.outcome).toBe("unresolved");
    expect(plan.unresolved).toEqual([{ container: "app", checks: ["latest_tag"], reason: "the image uses :latest; enforcement never changes an image (latest_tag)" }]);
    expect(planWorkloadRemediation(deployment([{ name: "app", image: "web:1.2" }]), spec, options).outcome).toBe("compliant");
    const requests = planWorkloadRemediation(deployment([{ name: "app", image: "web:1.2" }]), { enforcementMode: "enforce", requireResourceRequests: true }, options);
    expect(requests.patch).toEqual([]);
    expect(requests.unresolved.map((u) => u.reason)).toEqual(["the policy sets no defaultResources, so enforcement adds no resources (missing_requests)"]);
  });

  test("containers with duplicate or missing names are reported, never guessed", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 1 }] }, { name: "app" }, { image: "x" }]), enforce, options);
    expect(plan.containers.map((c) => c.container)).toEqual(["app"]);
    expect(plan.unresolved.filter((u) => u.reason.includes("no unique name"))).toEqual([
      { container: "app", checks: ["missing_liveness", "missing_readiness"], reason: "container has no unique name; not patched" },
      { container: "", checks: ["missing_liveness", "missing_readiness"], reason: "container has no unique name; not patched" },
    ]);
    // a duplicate that already complies is not reported: nothing is left to fix
    const fine = { name: "app", ports: [{ containerPort: 1 }], livenessProbe: {}, readinessProbe: {}, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } } };
    expect(planWorkloadRemediation(deployment([fine, fine]), enforce, options).unresolved).toEqual([]);
  });

  test("the diff names every change", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 8080 }] }]), enforce, options);
    expect(plan.diff[0]).toBe("container app:");
    expect(plan.diff.some((l) => l.includes("+ readinessProbe: tcpSocket :8080"))).toBe(true);
    expect(plan.diff.at(-1)).toBe('+ spec.template.metadata.annotations["devops.stochastic.io/patched-by"]: kube-devops-operator');
  });
});

describe("what enforcement leaves unresolved", () => {
  function daemonSet(initContainers: unknown[], containers: unknown[] = [{ name: "agent", image: "agent:1", ports: [{ containerPort: 8080 }] }]): WorkloadObject {
    return { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "logs", namespace: "prod" }, spec: { template: { spec: { containers: containers as never, initContainers: initContainers as never } } } };
  }

  test("a native sidecar is never patched, and its findings are reported with decision 0026 instead of passing silently", () => {
    const wl = daemonSet([{ name: "shipper", image: "fluent-bit:3", restartPolicy: "Always" }]);
    const plan = planWorkloadRemediation(wl, enforce, options);
    expect(plan.outcome).toBe("planned");
    expect(plan.containers.map((c) => c.container)).toEqual(["agent"]);
    expect(plan.patch.some((op) => op.path.includes("initContainers"))).toBe(false);
    expect(plan.unresolved).toEqual([{ container: "shipper", checks: ["missing_liveness", "missing_readiness"], reason: "native sidecar: not remediated, see decision 0026 (missing_liveness, missing_readiness)" }]);
    // once the main container is patched, the DaemonSet is unresolved, not compliant
    const again = planWorkloadRemediation(applyPatch(wl, plan.patch), enforce, options);
    expect(again.outcome).toBe("unresolved");
    expect(again.unresolved).toEqual(plan.unresolved);
    // a sidecar with its own probes leaves nothing
    const probed = daemonSet([{ name: "shipper", image: "fluent-bit:3", restartPolicy: "Always", livenessProbe: {}, readinessProbe: {} }]);
    expect(planWorkloadRemediation(probed, enforce, options).unresolved).toEqual([]);
  });

  test("init containers are judged as the engine judges them: resources and image, never probes", () => {
    const wl = daemonSet([{ name: "migrate", image: "migrate:latest" }]);
    expect(planWorkloadRemediation(wl, enforce, options).unresolved).toEqual([]); // probes are not asked of init containers
    const strict: DevOpsPolicySpec = { ...enforce, forbidLatestTag: true, requireResourceRequests: true };
    expect(planWorkloadRemediation(wl, strict, options).unresolved).toEqual([
      { container: "migrate", checks: ["latest_tag", "missing_requests"], reason: "init container: not remediated, see decision 0026 (latest_tag, missing_requests)" },
    ]);
  });

  test("exempt findings are not unresolved (template or workload annotation), unless exemptions are off", () => {
    const portless = (annotations?: Record<string, string>, own?: Record<string, string>): WorkloadObject => ({
      ...deployment([{ name: "w", image: "w:1" }], own ? { metadata: { name: "web", namespace: "prod", annotations: own } } : {}),
      spec: { template: { metadata: annotations ? { annotations } : {}, spec: { containers: [{ name: "w", image: "w:1" }] } } },
    });
    const spec: DevOpsPolicySpec = { enforcementMode: "enforce", requireReadinessProbe: true };
    expect(planWorkloadRemediation(portless(), spec, options).outcome).toBe("unresolved");
    const exempt = { "devops.stochastic.io/exempt-checks": "missing_readiness" };
    expect(planWorkloadRemediation(portless(exempt), spec, options).outcome).toBe("compliant");
    expect(planWorkloadRemediation(portless(undefined, exempt), spec, options).outcome).toBe("compliant");
    expect(planWorkloadRemediation(portless(exempt), spec, { ...options, exemptions: false }).outcome).toBe("unresolved");
  });
});

describe("describeRemediation()", () => {
  test("names the container of every added field: two containers with the same probe are not one field twice", () => {
    const plan = planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 8080 }] }, { name: "proxy", ports: [{ containerPort: 9090 }] }]), { enforcementMode: "enforce", requireReadinessProbe: true, defaultResources: { cpuRequest: "50m" } }, options);
    expect(describeRemediation(plan, "DevOpsPolicy prod/strict")).toBe(
      "DevOpsPolicy prod/strict: container app: readinessProbe tcpSocket :8080, resources.requests.cpu 50m, resources.limits.cpu 500m, resources.requests.memory 128Mi; " +
        "container proxy: readinessProbe tcpSocket :9090, resources.requests.cpu 50m, resources.limits.cpu 500m, resources.requests.memory 128Mi",
    );
  });

  test("ends with the containers left unresolved, and stays within an Event message by dropping whole containers", () => {
    const partly = planWorkloadRemediation(deployment([{ name: "app", ports: [{ containerPort: 8080 }] }, { name: "worker" }]), { enforcementMode: "enforce", requireReadinessProbe: true }, options);
    expect(describeRemediation(partly, "r")).toBe("r: container app: readinessProbe tcpSocket :8080; not remediated: container worker (missing_readiness)");
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `container-with-a-long-name-${i}`, ports: [{ containerPort: 8000 + i }] }));
    const message = describeRemediation(planWorkloadRemediation(deployment(many), enforce, options), "DevOpsPolicy prod/strict");
    expect(message.length).toBeLessThanOrEqual(1024);
    expect(message).toMatch(/; container container-with-a-long-name-\d+: [^;]+ … and \d+ more$/);
    expect(message).toContain("container container-with-a-long-name-0: readinessProbe tcpSocket :8000,");
  });
});
