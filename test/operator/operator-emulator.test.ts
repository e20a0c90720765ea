/**
 * The operator against the emulator over HTTPS: status appears, follows pod and
 * spec changes, finalizers are list items, audit history is owned and bounded,
 * and deletion releases the finalizer, removes metric series and audit results.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEVOPS_POLICIES, EVENTS, PODS, POLICY_AUDIT_RESULTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { FINALIZER } from "../../lib/operator/finalizer.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

type Policy = KubeObject & { status?: DevOpsPolicyStatus };

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod", "dev"]);
  const { client } = cluster;
  await client.create(PODS, testPod("good", "prod", false));
  await client.create(PODS, testPod("bad", "prod", true));
  running = startTestOperator(client);
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

const getPolicy = (name: string, ns = "prod") => cluster.client.get<Policy>(DEVOPS_POLICIES, name, { namespace: ns });

describe("reconcile against the emulator", () => {
  test("a new policy gets status with the right score and a Ready condition; others' finalizers kept, ours never added", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true }, ["example.com/keep"]));
    const policy = await eventually(async () => {
      const p = await getPolicy("team");
      return p.status?.healthScore !== undefined ? p : undefined;
    }, "status.healthScore");
    // 2 pods, bad: latest 5 + liveness 3 + readiness 2 = 10 → 10/2 = 5 → 95
    expect(policy.status).toMatchObject({ healthScore: 95, violations: 3, classification: "Healthy", healthy: true, observedGeneration: 1, message: "3 violations across 2 pods — Healthy (95)" });
    expect(policy.status?.conditions?.[0]).toMatchObject({ type: "Ready", status: "True", reason: "Evaluated" });
    expect(policy.metadata?.finalizers).toEqual(["example.com/keep"]);
    expect(running.operator.readiness().ready).toBe(true);
  });

  test("a pod change moves the status without touching the policy", async () => {
    const before = await getPolicy("team");
    await cluster.client.delete(PODS, "bad", { namespace: "prod", gracePeriodSeconds: 0 });
    const after = await eventually(async () => {
      const p = await getPolicy("team");
      return p.status?.healthScore === 100 ? p : undefined;
    }, "score 100 after the bad pod is gone");
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.status?.violations).toBe(0);
  });

  test("a spec change is followed by observedGeneration", async () => {
    await cluster.client.create(PODS, testPod("bad2", "prod", true));
    const current = await eventually(async () => {
      const p = await getPolicy("team");
      return p.status?.healthScore === 95 ? p : undefined;
    }, "the new bad pod counted");
    await cluster.client.patch(DEVOPS_POLICIES, "team", { type: "merge", patch: { spec: { requireLivenessProbe: false, requireReadinessProbe: false } } }, { namespace: "prod" });
    const after = await eventually(async () => {
      const p = await getPolicy("team");
      return p.status?.observedGeneration === (current.metadata?.generation ?? 0) + 1 && p.status?.violations === 1 ? p : undefined;
    }, "observedGeneration + 1");
    expect(after.status?.healthScore).toBe(98); // latest only: 5 / 2 pods = 2 → 98
  });

  test("audit results: owned by the policy, labelled, bounded by retention", async () => {
    const results = await eventually(async () => {
      const { items } = await cluster.client.listAll<KubeObject & { spec: { policyName: string } }>(POLICY_AUDIT_RESULTS, { namespace: "prod", labelSelector: "devops.stochastic.io/policy=team" });
      // Four distinct results were recorded (95, 100, 95 with bad2, 98); retention keeps 3.
      const recorded = (await running.registry.metrics()).includes("devopspolicy_audit_results_total 4");
      return recorded && items.length === 3 ? items : undefined;
    }, "four audit results recorded, three kept");
    const policy = await getPolicy("team");
    expect(results.length).toBe(3);
    for (const r of results) {
      expect(r.spec.policyName).toBe("team");
      expect(r.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "DevOpsPolicy", name: "team", uid: policy.metadata?.uid });
    }
    expect(new Set(results.map((r) => r.metadata?.name)).size).toBe(3);
    expect(results.map((r) => (r.spec as { healthScore?: number }).healthScore).sort()).toEqual([100, 95, 98].sort());
  });

  test("metrics carry the policy's series", async () => {
    const text = await running.registry.metrics();
    expect(text).toContain('devopspolicy_health_score{namespace="prod",policy="team"} 98');
    expect(text).toContain('devopspolicy_violations_by_severity{severity="high",namespace="prod",policy="team"} 1');
    expect(text).toMatch(/devopspolicy_reconcile_total \d+/);
  });

  test("delete: series removed while another controller's finalizer holds it, audit results collected", async () => {
    await cluster.client.delete(DEVOPS_POLICIES, "team", { namespace: "prod" });
    await eventually(async () => ((await running.registry.metrics()).includes('policy="team"') ? undefined : true), "the policy's series removed");
    expect((await getPolicy("team")).metadata?.finalizers).toEqual(["example.com/keep"]);
    await cluster.client.patch(DEVOPS_POLICIES, "team", { type: "json", ops: [{ op: "remove", path: "/metadata/finalizers/0" }] }, { namespace: "prod" });
    await eventually(async () => {
      const { items } = await cluster.client.listAll(POLICY_AUDIT_RESULTS, { namespace: "prod" });
      return items.length === 0 ? true : undefined;
    }, "audit results garbage-collected");
  });

  test("the reference's finalizer on an existing policy is released, so deleting it never waits for the operator", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("legacy", "prod", { forbidLatestTag: true }, [FINALIZER]));
    await eventually(async () => (((await getPolicy("legacy")).metadata?.finalizers ?? []).length === 0 ? true : undefined), "the legacy finalizer released");
    await cluster.client.delete(DEVOPS_POLICIES, "legacy", { namespace: "prod" });
    expect(await getPolicy("legacy").catch((err: unknown) => err)).toBeInstanceOf(Error);
  });

  test("a class change emits a Warning Event on the policy", async () => {
    await cluster.client.create(PODS, testPod("fine", "dev", false));
    const spec = { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, maxRestartCount: 3, forbidPendingDuration: 0 };
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("strict", "dev", spec));
    await eventually(async () => ((await getPolicy("strict", "dev")).status?.classification === "Healthy" ? true : undefined), "Healthy first");
    const broken = { ...testPod("broken", "dev", true), status: { phase: "Pending", containerStatuses: [{ name: "app", restartCount: 5 }] } };
    await cluster.client.create(PODS, broken);
    await cluster.client.patch(PODS, "broken", { type: "merge", patch: { status: broken.status } }, { namespace: "dev", subresource: "status" });
    await cluster.client.delete(PODS, "fine", { namespace: "dev", gracePeriodSeconds: 0 });
    // 5 + 3 + 2 + 6·5 + 4 = 44 → 56
    await eventually(async () => ((await getPolicy("strict", "dev")).status?.healthScore === 56 ? true : undefined), "score 56");
    const event = await eventually(async () => {
      const { items } = await cluster.client.listAll<KubeObject & { reason?: string; type?: string; message?: string; involvedObject?: { name?: string; kind?: string } }>(EVENTS, { namespace: "dev" });
      return items.find((e) => e.reason === "ClassChanged" && e.involvedObject?.name === "strict");
    }, "a ClassChanged Event");
    expect(event).toMatchObject({ type: "Warning", involvedObject: { kind: "DevOpsPolicy", name: "strict" } });
    expect(event.message).toBe("Class changed from Healthy to Degraded: 5 violations across 1 pods — Degraded (56)");
  });
  // A spec field the schema refuses (past the API server): test/operator/policy-conditions.test.ts.
});
