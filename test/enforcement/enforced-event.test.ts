/**
 * The `Enforced` Event on a policy against the API emulator: reconcile cycles that patch nothing
 * create none (the trial saw "Remediated 2 workload(s), 0 failed" on every requeue, from the running
 * total), and a cycle that patches creates exactly one, counting only that cycle's patches. A failed
 * patch is named with the API server's answer: the operator trial saw only "Remediated 0 workload(s),
 * 1 failed", which leaves a namespace owner (who cannot read the operator's log) nothing to act on.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEPLOYMENTS, DEVOPS_POLICIES, EVENTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { reconcilePolicy, type PolicyObject, type ReconcileDeps } from "../../lib/operator/reconcile-policy.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { enforceDeps } from "../operator/enforce-cycle.ts";
import { prepareCluster, testPolicy, type Cluster } from "../operator/support.ts";
import { deployment } from "./workloads.ts";

const NS = "shop";
let emu: Emulator;
let cluster: Cluster;
let deps: ReconcileDeps;
let latest: PolicyObject | undefined;

type EventLike = KubeObject & { reason?: string; message?: string; type?: string };

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, [NS]);
  deps = enforceDeps(cluster.client, () => latest);
  const app = (name: string) => deployment(name, NS, [{ name: "app", image: `${name}:1.0`, ports: [{ containerPort: 8080 }] }]);
  await cluster.client.create(DEPLOYMENTS, app("web"), { namespace: NS });
  await cluster.client.create(DEPLOYMENTS, app("cart"), { namespace: NS });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("strict", NS, { enforcementMode: "enforce", requireReadinessProbe: true }));
});

afterAll(() => emu.stop());

/** One reconcile cycle from the stored policy, as the operator's watch cache would hold it. */
async function cycle(): Promise<void> {
  latest = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "strict", { namespace: NS });
  await reconcilePolicy(`${NS}/strict`, deps);
}

async function enforcedEvents(): Promise<EventLike[]> {
  const { items } = await cluster.client.listAll<EventLike>(EVENTS, { namespace: NS });
  return items.filter((e) => e.reason === "Enforced");
}

async function remediationsApplied(): Promise<number | undefined> {
  return (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "strict", { namespace: NS })).status?.remediationsApplied;
}

test("idle cycles create no Enforced Event; a cycle that patches creates one with only its own count", async () => {
  await cycle();
  expect((await enforcedEvents()).map((e) => [e.type, e.message])).toEqual([["Normal", "Remediated 2 workload(s), 0 failed"]]);
  expect(await remediationsApplied()).toBe(2);

  for (let i = 0; i < 5; i++) await cycle();
  expect(await enforcedEvents()).toHaveLength(1);
  expect(await remediationsApplied()).toBe(2); // the running total stays in status

  const extra = deployment("search", NS, [{ name: "app", image: "search:1.0", ports: [{ containerPort: 9200 }] }]);
  await cluster.client.create(DEPLOYMENTS, extra, { namespace: NS });
  await cycle();
  await cycle();
  const messages = (await enforcedEvents()).map((e) => e.message).sort();
  expect(messages).toEqual(["Remediated 1 workload(s), 0 failed", "Remediated 2 workload(s), 0 failed"]);
  expect(await remediationsApplied()).toBe(3);
});

test("a failed patch is named in the Enforced Warning with the API server's answer", async () => {
  const denied = "deployments.apps \"locked\" is forbidden: User \"system:serviceaccount:kube-devops:kube-devops-reconcile\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\"";
  const locked = deployment("locked", NS, [{ name: "app", image: "locked:1.0", ports: [{ containerPort: 8080 }] }]);
  await cluster.client.create(DEPLOYMENTS, locked, { namespace: NS });
  emu.faults.failNext(Infinity, { verb: "patch", resource: "deployments", name: "locked", status: 403, message: denied });
  try {
    await cycle();
  } finally {
    emu.faults.clear();
  }
  const warnings = (await enforcedEvents()).filter((e) => e.type === "Warning");
  expect(warnings).toHaveLength(1);
  const message = warnings[0]?.message ?? "";
  expect(message.startsWith("Remediated 0 workload(s), 1 failed; failed: deployment/shop/locked: ")).toBe(true);
  expect(message).toContain(denied);
  expect((await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "strict", { namespace: NS })).status?.remediationsFailed).toBe(1);
});
