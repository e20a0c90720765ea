/**
 * Against the emulator over HTTPS (decision 0034): a DevOpsPolicy in kube-system is reported
 * inert (Ready False InertNamespace, one Warning Event, no score, and kubectl get shows it), and a
 * stored spec with a field the schema refuses is evaluated without that field, which SpecValid
 * names; enforcement holds while the refused field is one its patches are built from.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOYMENTS, DEVOPS_POLICIES, EVENTS, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { reconcilePolicy, type PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { deployment } from "../enforcement/workloads.ts";
import { enforceDeps } from "./enforce-cycle.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

type EventLike = KubeObject & { reason?: string; type?: string; message?: string; count?: number; involvedObject?: { name?: string } };

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod", "shop"]);
  await cluster.client.create(PODS, testPod("coredns", "kube-system", true));
  await cluster.client.create(PODS, testPod("bad", "prod", true));
  // a short requeue, so the test sees several reconciles of each policy
  running = startTestOperator(cluster.client, { options: { requeueMs: 100 } });
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

const getPolicy = (name: string, ns: string) => cluster.client.get<PolicyObject>(DEVOPS_POLICIES, name, { namespace: ns });

async function reconciles(): Promise<number> {
  const match = /^devopspolicy_reconcile_total (\d+)/m.exec(await running.registry.metrics());
  return Number(match?.[1] ?? 0);
}

describe("a DevOpsPolicy in kube-system", () => {
  test("Ready False InertNamespace naming the namespace, no score; one Warning Event however often it reconciles", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("platform", "kube-system", { forbidLatestTag: true, enforcementMode: "enforce" }));
    const policy = await eventually(async () => {
      const p = await getPolicy("platform", "kube-system");
      return p.status?.conditions ? p : undefined;
    }, "a status with conditions");
    const ready = policy.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "InertNamespace", observedGeneration: 1 });
    expect(ready?.message).toStartWith("Not evaluated: kube-system is a system namespace");
    expect(policy.status?.message).toBe(ready?.message);
    expect(policy.status).not.toHaveProperty("healthScore");
    expect(policy.status).not.toHaveProperty("healthy");
    expect(policy.status).not.toHaveProperty("classification");
    expect(policy.status).not.toHaveProperty("violations");
    expect(policy.status?.enforcementMode).toBe("enforce");

    const seen = await reconciles();
    await eventually(async () => ((await reconciles()) >= seen + 4 ? true : undefined), "four more reconciles");
    const { items } = await cluster.client.listAll<EventLike>(EVENTS, { namespace: "kube-system" });
    const inert = items.filter((e) => e.involvedObject?.name === "platform");
    expect(inert.map((e) => [e.type, e.reason, e.count])).toEqual([["Warning", "InertNamespace", 1]]);
    expect(inert[0]?.message).toContain("kube-system is a system namespace");

    const metrics = await running.registry.metrics();
    expect(metrics).not.toContain('policy="platform"');
  });

  test("kubectl get devopspolicy shows Ready False and the reason, with the score empty", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
    await eventually(async () => ((await getPolicy("team", "prod")).status?.healthScore !== undefined ? true : undefined), "prod scored");
    const proc = Bun.spawn(["kubectl", "--kubeconfig", cluster.kubeconfigPath, "--cache-dir", mkdtempSync(join(tmpdir(), "kd-inert-")), "get", "devopspolicies", "-A"], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const rows = stdout.trim().split("\n").map((line) => line.trim().split(/\s+/));
    expect(rows[0]).toEqual(["NAMESPACE", "NAME", "MODE", "SCORE", "CLASS", "VIOLATIONS", "READY", "REASON", "AGE"]);
    const platform = rows.find((r) => r[1] === "platform");
    const team = rows.find((r) => r[1] === "team");
    // kubectl prints empty cells as nothing: the row is shorter, not a fake 100
    expect(platform?.slice(0, 5)).toEqual(["kube-system", "platform", "enforce", "False", "InertNamespace"]);
    expect(team?.slice(0, 8)).toEqual(["prod", "team", "audit", "95", "Healthy", "1", "True", "Evaluated"]);
  });
});

async function webContainer(): Promise<Record<string, unknown> | undefined> {
  const web = await cluster.client.get<KubeObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }>(DEPLOYMENTS, "web", { namespace: "shop" });
  return web.spec.template.spec.containers[0];
}

describe("a stored spec with a field the schema refuses", () => {
  test("evaluated without it (Ready True), SpecValid False names the field, one FieldsIgnored Warning", async () => {
    // The CEL twin of request <= limit needs a real API server; the emulator stores the object.
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("oversized", "prod", { forbidLatestTag: true, defaultResources: { cpuRequest: "2", cpuLimit: "1" } }));
    const policy = await eventually(async () => {
      const p = await getPolicy("oversized", "prod");
      return p.status?.healthScore !== undefined ? p : undefined;
    }, "oversized scored");
    expect(policy.status).toMatchObject({ healthScore: 95, violations: 1 });
    const [ready, specValid] = policy.status?.conditions ?? [];
    expect(ready).toMatchObject({ type: "Ready", status: "True", reason: "Evaluated" });
    expect(specValid).toMatchObject({ type: "SpecValid", status: "False", reason: "FieldsIgnored", observedGeneration: 1 });
    expect(specValid?.message).toContain("spec.defaultResources.cpuRequest: cpuRequest 2 must not exceed cpuLimit 1");
    const event = await eventually(async () => {
      const { items } = await cluster.client.listAll<EventLike>(EVENTS, { namespace: "prod" });
      return items.find((e) => e.reason === "FieldsIgnored" && e.involvedObject?.name === "oversized");
    }, "a FieldsIgnored Event");
    expect(event.type).toBe("Warning");
    expect(event.message).toContain("spec.defaultResources.cpuRequest");
  });

  test("in enforce mode, a refused defaultResources holds enforcement: nothing is patched, and SpecValid says so", async () => {
    // this test drives reconcilePolicy itself, with the enforce step the running operator lacks
    await running.stop();
    await cluster.client.create(DEPLOYMENTS, deployment("web", "shop", [{ name: "app", image: "web:1.0", ports: [{ containerPort: 8080 }] }]), { namespace: "shop" });
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("enforcer", "shop", { enforcementMode: "enforce", requireReadinessProbe: true, defaultResources: { cpuRequest: "2", cpuLimit: "1" } }));
    const deps = enforceDeps(cluster.client, () => latest);
    let latest = await getPolicy("enforcer", "shop");
    await reconcilePolicy("shop/enforcer", deps);
    expect(await webContainer()).not.toHaveProperty("readinessProbe");
    const held = await getPolicy("enforcer", "shop");
    expect(held.status?.remediationsApplied).toBe(0);
    expect(held.status?.conditions?.find((c) => c.type === "SpecValid")?.message).toContain("enforcement patches nothing until these fields are fixed");

    // fixed: the next cycle patches
    await cluster.client.patch(DEVOPS_POLICIES, "enforcer", { type: "merge", patch: { spec: { defaultResources: { cpuRequest: "500m" } } } }, { namespace: "shop" });
    latest = await getPolicy("enforcer", "shop");
    await reconcilePolicy("shop/enforcer", deps);
    const fixed = await getPolicy("enforcer", "shop");
    expect(fixed.status?.remediationsApplied).toBe(1);
    expect(await webContainer()).toHaveProperty("readinessProbe");
    expect(fixed.status?.conditions?.find((c) => c.type === "SpecValid")).toMatchObject({ status: "True", reason: "Valid" });
  });
});
