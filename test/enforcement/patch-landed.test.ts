/** patchLanded: whether a workload holds what an enforcement patch adds, judged after a 5xx or a lost answer. */
import { describe, expect, test } from "bun:test";
import { patchLanded } from "../../lib/enforcement/patch-landed.ts";
import { planWorkloadRemediation, type WorkloadObject } from "../../lib/enforcement/plan-workload.ts";
import { deployment } from "./workloads.ts";

const spec = { enforcementMode: "enforce" as const, requireReadinessProbe: true, requireResourceRequests: true, defaultResources: { memoryLimit: "256Mi" } };
const options = { isProtectedNamespace: () => false };
const before: WorkloadObject = { ...deployment("web", "shop", [{ name: "app", image: "web:1", ports: [{ containerPort: 8080 }], resources: { limits: { cpu: "0.5" } } }]), kind: "Deployment" } as WorkloadObject;
const plan = planWorkloadRemediation(before, spec, options);

/** `before` with `plan`'s additions, as the API server would store them. */
function stored(edit: (container: Record<string, any>) => void = () => {}) {
  const copy = structuredClone(before) as any;
  const container = copy.spec.template.spec.containers[0];
  for (const op of plan.patch) {
    if (op.op !== "add") continue;
    if (op.path.endsWith("/readinessProbe")) container.readinessProbe = structuredClone(op.value);
    if (op.path.endsWith("/resources")) container.resources = structuredClone(op.value);
  }
  copy.spec.template.metadata.annotations = { "devops.stochastic.io/patched-by": "kube-devops-operator" };
  edit(container);
  return copy;
}

describe("patchLanded", () => {
  test("the plan adds a probe, resources and the annotation (the premise of the cases below)", () => {
    expect(plan.outcome).toBe("planned");
    expect(plan.patch.filter((op) => op.op === "add").map((op) => op.path)).toEqual(["/spec/template/spec/containers/0/readinessProbe", "/spec/template/spec/containers/0/resources", "/spec/template/metadata/annotations"]);
  });

  test("not landed: the workload as it was", () => {
    expect(patchLanded(before, plan.patch)).toBe(false);
  });

  test("landed: every addition stored", () => {
    expect(patchLanded(stored(), plan.patch)).toBe(true);
  });

  test("landed: fields the server defaulted beside ours, and quantities stored canonical", () => {
    const canonical = stored((c) => {
      c.readinessProbe.tcpSocket.host = "";
      c.resources.limits.cpu = "500m";
    });
    expect(patchLanded(canonical, plan.patch)).toBe(true);
  });

  test("not landed: another value where ours would be (someone else's edit)", () => {
    expect(patchLanded(stored((c) => (c.readinessProbe.tcpSocket.port = 9090)), plan.patch)).toBe(false);
    expect(patchLanded(stored((c) => (c.resources.limits.cpu = "1")), plan.patch)).toBe(false);
  });

  test("a patch that adds nothing is never taken as landed", () => {
    expect(patchLanded(stored(), plan.patch.filter((op) => op.op === "test"))).toBe(false);
  });

  test("not landed: containers reordered meanwhile, and the one now at the patched index already held the same values", () => {
    const probeSpec = { enforcementMode: "enforce" as const, requireReadinessProbe: true };
    const two = (containers: object[]) => ({ ...deployment("web", "shop", containers as never), kind: "Deployment" }) as WorkloadObject;
    const app = { name: "app", image: "web:1", ports: [{ containerPort: 8080 }] };
    const probe = planWorkloadRemediation(two([app]), probeSpec, options).patch.find((op) => op.op === "add" && op.path.endsWith("/readinessProbe"))?.value;
    // proxy was patched in an earlier cycle: only app is planned now
    const proxy = { name: "proxy", image: "p:1", ports: [{ containerPort: 8080 }], readinessProbe: probe };
    const planned = planWorkloadRemediation(two([app, proxy]), probeSpec, options);
    expect(planned.patch.filter((op) => op.op === "add").map((op) => op.path)).toEqual(["/spec/template/spec/containers/0/readinessProbe", "/spec/template/metadata/annotations"]);
    // the patch never landed; someone put proxy first, and proxy holds the very probe app was to get
    const reordered = two([proxy, app]) as any;
    reordered.spec.template.metadata.annotations = { "devops.stochastic.io/patched-by": "kube-devops-operator" };
    expect(patchLanded(reordered, planned.patch)).toBe(false);
  });
});
