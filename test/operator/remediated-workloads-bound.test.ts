/**
 * `status.remediatedWorkloads` is bounded (MAX_WORKLOAD_KEYS): once full, a workload patched now is
 * listed, and the oldest key makes room. The operator trial patched 100 Deployments `z-1..z-100`,
 * then `a-new`: remediationsApplied read 101 while the list, cut to the alphabetically last 100,
 * never showed the workload just patched; a second reader found the first fix dropping it again
 * one cycle later, for a key patched long before.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEPLOYMENTS, DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import { reconcilePolicy, type PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import { boundWorkloadKeys, MAX_WORKLOAD_KEYS } from "../../lib/operator/status.ts";
import { deployment } from "../enforcement/workloads.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { enforceDeps } from "./enforce-cycle.ts";
import { prepareCluster, testPolicy, type Cluster } from "./support.ts";

const NS = "full";
let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, [NS]);
});

afterAll(() => emu.stop());

test("a full list gains the workload patched now, at the cost of an older key", async () => {
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("p", NS, { enforcementMode: "enforce", requireReadinessProbe: true }));
  const earlier = Array.from({ length: MAX_WORKLOAD_KEYS }, (_, i) => `deployment/${NS}/z-${String(i).padStart(3, "0")}`);
  await cluster.client.patch(DEVOPS_POLICIES, "p", { type: "merge", patch: { status: { remediationsApplied: MAX_WORKLOAD_KEYS, remediatedWorkloads: earlier } } }, { namespace: NS, subresource: "status" });
  await cluster.client.create(DEPLOYMENTS, deployment("a-new", NS, [{ name: "app", image: "a:1.0", ports: [{ containerPort: 8080 }] }]), { namespace: NS });

  const policy = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: NS });
  await reconcilePolicy(`${NS}/p`, enforceDeps(cluster.client, () => policy));

  const status = (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: NS })).status;
  expect(status?.remediationsApplied).toBe(MAX_WORKLOAD_KEYS + 1);
  expect(status?.remediatedWorkloads).toHaveLength(MAX_WORKLOAD_KEYS);
  expect(status?.remediatedWorkloads?.at(-1)).toBe(`deployment/${NS}/a-new`);
  expect(status?.remediatedWorkloads).not.toContain(earlier[0]!); // the oldest made room
});

test("a workload patched last cycle stays listed when the next cycle patches another; the oldest go first", () => {
  const earlier = Array.from({ length: MAX_WORKLOAD_KEYS }, (_, i) => `deployment/${NS}/z-${String(i).padStart(3, "0")}`);
  const first = boundWorkloadKeys(earlier, [`deployment/${NS}/a-new`]);
  const second = boundWorkloadKeys(first, [`deployment/${NS}/b-new`]);
  expect(second.slice(-2)).toEqual([`deployment/${NS}/a-new`, `deployment/${NS}/b-new`]);
  expect(second).not.toContain(earlier[1]!);
  expect(second).toContain(earlier[2]!);
  // patched again: it moves to the end instead of appearing twice
  expect(boundWorkloadKeys(second, [earlier[50]!]).at(-1)).toBe(earlier[50]);
  expect(new Set(boundWorkloadKeys(second, [earlier[50]!])).size).toBe(MAX_WORKLOAD_KEYS);
});

test("the bound holds when one cycle patches more than it (--max-patches-per-cycle above 100)", () => {
  const many = Array.from({ length: MAX_WORKLOAD_KEYS + 20 }, (_, i) => `deployment/${NS}/w-${String(i).padStart(3, "0")}`);
  const listed = boundWorkloadKeys(["deployment/full/old"], many);
  expect(listed).toHaveLength(MAX_WORKLOAD_KEYS);
  expect(listed).toEqual(many.slice(-MAX_WORKLOAD_KEYS));
});
