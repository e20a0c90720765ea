/**
 * Releasing the reference's finalizer never clobbers: reconciling from a stale copy of a
 * policy (another controller inserted its finalizer before ours meanwhile) fails the JSON
 * Patch `test` on the server, leaves every finalizer intact, and is reported as stale — not
 * as an error — so the next reconcile works from the fresh object. Ours is never added.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { systemClock } from "../../lib/kube/clock.ts";
import { DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import { createLogger } from "../../lib/log.ts";
import { AuditState } from "../../lib/operator/audit-writer.ts";
import { FINALIZER } from "../../lib/operator/finalizer.ts";
import { createOperatorMetrics } from "../../lib/operator/metrics.ts";
import { reconcilePolicy, StaleObjectError, type PolicyObject, type ReconcileDeps } from "../../lib/operator/reconcile-policy.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu);
});

afterAll(() => emu.stop());

function deps(policy: () => PolicyObject | undefined): ReconcileDeps {
  return {
    client: cluster.client,
    clock: systemClock,
    logger: createLogger({ level: "silent" }),
    metrics: createOperatorMetrics(new Registry()),
    options: { requeueMs: 30_000, auditIntervalMs: 3_600_000, auditRetention: 0, statusHeartbeatMs: 600_000 },
    policy,
    podsIn: () => [],
    audit: new AuditState(),
  };
}

test("a policy without our finalizer never gets it: deleting it does not wait for the operator", async () => {
  const created = await cluster.client.create<PolicyObject>(DEVOPS_POLICIES, testPolicy("n", "prod", {}));
  expect(await reconcilePolicy("prod/n", deps(() => created))).toEqual({ requeueAfterMs: 30_000 });
  const reconciled = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "n", { namespace: "prod" });
  expect(reconciled.status?.healthScore).toBe(100);
  expect(reconciled.metadata?.finalizers).toBeUndefined();
  await cluster.client.delete(DEVOPS_POLICIES, "n", { namespace: "prod" });
  expect(await cluster.client.get(DEVOPS_POLICIES, "n", { namespace: "prod" }).catch((err: unknown) => err)).toBeInstanceOf(Error); // gone at once
});

test("a stale copy cannot clobber another controller's finalizer when ours is released; the fresh copy releases it", async () => {
  const stale = await cluster.client.create<PolicyObject>(DEVOPS_POLICIES, testPolicy("p", "prod", {}, ["a.example.com/first", FINALIZER]));
  await cluster.client.patch(DEVOPS_POLICIES, "p", { type: "json", ops: [{ op: "add", path: "/metadata/finalizers/0", value: "b.example.com/second" }] }, { namespace: "prod" });

  const error = await reconcilePolicy("prod/p", deps(() => stale)).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(StaleObjectError);
  const afterStale = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: "prod" });
  expect(afterStale.metadata?.finalizers).toEqual(["b.example.com/second", "a.example.com/first", FINALIZER]);

  const result = await reconcilePolicy("prod/p", deps(() => afterStale));
  expect(result).toEqual({ requeueAfterMs: 30_000 });
  const fresh = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: "prod" });
  expect(fresh.metadata?.finalizers).toEqual(["b.example.com/second", "a.example.com/first"]);
  expect(fresh.status?.healthScore).toBe(100);
});

test("removal takes out only our item, even when others were added after ours", async () => {
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("q", "prod", {}, [FINALIZER]));
  await cluster.client.patch(DEVOPS_POLICIES, "q", { type: "json", ops: [{ op: "add", path: "/metadata/finalizers/-", value: "c.example.com/later" }] }, { namespace: "prod" });
  await cluster.client.delete(DEVOPS_POLICIES, "q", { namespace: "prod" });
  const deleting = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "q", { namespace: "prod" });
  expect(deleting.metadata?.deletionTimestamp).toBeDefined();
  expect(await reconcilePolicy("prod/q", deps(() => deleting))).toEqual({ done: true });
  const after = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "q", { namespace: "prod" });
  expect(after.metadata?.finalizers).toEqual(["c.example.com/later"]);
});
