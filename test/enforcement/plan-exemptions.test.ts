/**
 * Enforcement honours exemption annotations (decision 0010, amended 2026-11-26): the planner adds
 * nothing for a check the workload is exempt from — template and workload annotations merged, as
 * scoring merges them — and everything again when exemptions are switched off.
 */
import { describe, expect, test } from "bun:test";
import { planWorkloadRemediation, type JsonPatchOp, type WorkloadObject } from "../../lib/enforcement/plan-workload.ts";
import { describeRemediation } from "../../lib/enforcement/remediation-message.ts";
import type { DevOpsPolicySpec } from "../../lib/policy/schema.ts";

const EXEMPT = "devops.stochastic.io/exempt";
const EXEMPT_CHECKS = "devops.stochastic.io/exempt-checks";
const strict: DevOpsPolicySpec = {
  enforcementMode: "enforce",
  requireLivenessProbe: true,
  requireReadinessProbe: true,
  requireResourceRequests: true,
  requireResourceLimits: true,
  defaultResources: { memoryLimit: "256Mi" },
};
const options = { isProtectedNamespace: (ns: string) => ns.startsWith("kube-") };

/** Deployment `worker` with one container; `template` and `own` are the two places an exemption can sit. */
function worker(container: Record<string, unknown>, template?: Record<string, string>, own?: Record<string, string>): WorkloadObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "worker", namespace: "prod", ...(own ? { annotations: own } : {}) },
    spec: { template: { metadata: { labels: { app: "worker" }, ...(template ? { annotations: template } : {}) }, spec: { containers: [{ name: "w", image: "w:1", ports: [{ containerPort: 8080 }], ...container }] } } },
  };
}

/** The container fields the patch adds (`readinessProbe`, `resources`, …). */
function addedFields(patch: JsonPatchOp[]): string[] {
  return patch.filter((op) => op.op === "add" && op.path.includes("/containers/")).map((op) => op.path.split("/").pop() as string);
}

function addedResources(patch: JsonPatchOp[]): unknown {
  return patch.find((op) => op.op === "add" && op.path.endsWith("/resources"))?.value;
}

describe("the planner honours exemptions", () => {
  test('exempt: "true" (on the template or the workload) plans nothing: the workload is compliant, not unresolved', () => {
    for (const wl of [worker({}, { [EXEMPT]: "true" }), worker({}, undefined, { [EXEMPT]: "true" })]) {
      const plan = planWorkloadRemediation(wl, strict, options);
      expect(plan.outcome).toBe("compliant");
      expect(plan.patch).toEqual([]);
      expect(plan.diff).toEqual([]);
      expect(plan.unresolved).toEqual([]);
    }
  });

  test("exempt-checks: missing_liveness adds no liveness probe (nor its startup probe), but readiness and resources still", () => {
    const plan = planWorkloadRemediation(worker({}, { [EXEMPT_CHECKS]: "missing_liveness" }), strict, options);
    expect(plan.outcome).toBe("planned");
    expect(addedFields(plan.patch)).toEqual(["readinessProbe", "resources"]);
    expect(addedResources(plan.patch)).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(plan.diff.join("\n")).not.toMatch(/liveness|startup/i);
    // the Remediated Event says only what was added
    expect(describeRemediation(plan, "r")).toBe(
      "r: container w: readinessProbe tcpSocket :8080, resources.requests.cpu 100m, resources.limits.cpu 500m, resources.requests.memory 128Mi, resources.limits.memory 256Mi",
    );
    expect(plan.unresolved).toEqual([]);
  });

  test("exempt-checks: missing_readiness adds liveness and startup probes only, the camelCase alias too", () => {
    for (const list of ["missing_readiness", "missingReadiness"]) {
      const plan = planWorkloadRemediation(worker({}, { [EXEMPT_CHECKS]: list }), { ...strict, defaultResources: undefined, requireResourceRequests: false, requireResourceLimits: false }, options);
      expect(addedFields(plan.patch)).toEqual(["livenessProbe", "startupProbe"]);
    }
  });

  test("exempt-checks: missing_limits adds the requests, no limit", () => {
    const plan = planWorkloadRemediation(worker({}, { [EXEMPT_CHECKS]: "missing_limits" }), strict, options);
    expect(addedResources(plan.patch)).toEqual({ requests: { cpu: "100m", memory: "128Mi" } });
    expect(plan.diff.join("\n")).not.toContain("limits");
    expect(plan.unresolved).toEqual([]);
  });

  test("exempt-checks: missing_requests adds no request, and no limit where Kubernetes would turn it into one", () => {
    const bare = planWorkloadRemediation(worker({}, { [EXEMPT_CHECKS]: "missing_requests" }), strict, options);
    expect(addedFields(bare.patch)).toEqual(["readinessProbe", "livenessProbe", "startupProbe"]);
    expect(bare.unresolved).toEqual([
      { container: "w", checks: ["missing_limits"], reason: "resources.limits.cpu not added: the workload is exempt from missing_requests and has no cpu request, which Kubernetes would set to the limit" },
      { container: "w", checks: ["missing_limits"], reason: "resources.limits.memory not added: the workload is exempt from missing_requests and has no memory request, which Kubernetes would set to the limit" },
    ]);
    // with its own requests the limits are added as usual
    const requested = planWorkloadRemediation(worker({ resources: { requests: { cpu: "50m", memory: "64Mi" } } }, { [EXEMPT_CHECKS]: "missing_requests" }), strict, options);
    expect(addedResources(requested.patch)).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
  });

  test("template and workload exemptions are merged, as scoring merges them", () => {
    const plan = planWorkloadRemediation(worker({}, { [EXEMPT_CHECKS]: "missing_liveness" }, { [EXEMPT_CHECKS]: "missing_readiness,missing_requests,missing_limits" }), strict, options);
    expect(plan.outcome).toBe("compliant");
    expect(plan.patch).toEqual([]);
  });

  test("a second pass over a partly exempt workload plans nothing", () => {
    const wl = worker({ readinessProbe: { tcpSocket: { port: 8080 } }, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }, { [EXEMPT_CHECKS]: "missing_liveness" });
    const plan = planWorkloadRemediation(wl, strict, options);
    expect(plan.outcome).toBe("compliant");
    expect(plan.patch).toEqual([]);
  });

  test("with exemptions off everything is planned as without the annotations", () => {
    const plain = planWorkloadRemediation(worker({}), strict, options);
    for (const wl of [worker({}, { [EXEMPT]: "true" }), worker({}, { [EXEMPT_CHECKS]: "missing_liveness,missing_requests" }, { [EXEMPT]: "true" })]) {
      const plan = planWorkloadRemediation(wl, strict, { ...options, exemptions: false });
      expect(plan.outcome).toBe("planned");
      expect(plan.diff).toEqual(plain.diff);
      expect(addedFields(plan.patch)).toEqual(["readinessProbe", "livenessProbe", "startupProbe", "resources"]);
    }
  });
});
