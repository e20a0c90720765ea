/**
 * The operator's status writes against the API emulator over HTTPS: optimistic concurrency (a write
 * computed from a stale copy is refused with 409 and redone on the fresh object, so another
 * writer's condition or a newer running total is never overwritten (decision 0038).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createEnforceStep } from "../../lib/enforcement/operator-step.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { DEPLOYMENTS, DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import { createLogger } from "../../lib/log.ts";
import { isProtectedNamespace } from "../../lib/namespaces.ts";
import { AuditState } from "../../lib/operator/audit-writer.ts";
import { createOperatorMetrics } from "../../lib/operator/metrics.ts";
import { reconcilePolicy, type PolicyObject, type ReconcileDeps } from "../../lib/operator/reconcile-policy.ts";
import { deployment } from "../enforcement/workloads.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod", "shop"]);
});

afterAll(() => emu.stop());

function deps(policy: () => PolicyObject | undefined, extra: Partial<ReconcileDeps> = {}): ReconcileDeps {
  const logger = createLogger({ level: "silent" });
  const metrics = createOperatorMetrics(new Registry());
  return {
    client: cluster.client,
    clock: systemClock,
    logger,
    metrics,
    options: { requeueMs: 30_000, auditIntervalMs: 3_600_000, auditRetention: 0, statusHeartbeatMs: 600_000 },
    policy,
    podsIn: () => [],
    audit: new AuditState(),
    enforce: createEnforceStep({ client: cluster.client, logger, metrics, maxPatchesPerCycle: 10, isProtectedNamespace }),
    ...extra,
  };
}

const read = (namespace: string, name: string) => cluster.client.get<PolicyObject>(DEVOPS_POLICIES, name, { namespace });
const app = (name: string, namespace: string) => deployment(name, namespace, [{ name: "app", image: `${name}:1.0`, ports: [{ containerPort: 8080 }] }]);

test("a condition another writer added after our read is kept, beside ours", async () => {
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("a", "prod", {}));
  const stale = await read("prod", "a");
  // Another controller (or `kubectl patch --subresource status`) adds its own condition meanwhile.
  const foreign = { type: "example.com/Approved", status: "True" as const, reason: "Reviewed", message: "approved by the platform team", lastTransitionTime: "2026-11-26T10:00:00Z" };
  await cluster.client.patch(DEVOPS_POLICIES, "a", { type: "merge", patch: { status: { conditions: [foreign] } } }, { namespace: "prod", subresource: "status" });

  expect(await reconcilePolicy("prod/a", deps(() => stale))).toEqual({ requeueAfterMs: 30_000 });
  const after = await read("prod", "a");
  expect(after.status?.conditions?.map((c) => c.type)).toEqual(["Ready", "SpecValid", "example.com/Approved"]);
  expect(after.status?.conditions?.find((c) => c.type === "example.com/Approved")).toEqual(foreign);
  expect(after.status?.healthScore).toBe(100);

  // And it stays through later evaluations from a fresh copy (our condition types only are set).
  await reconcilePolicy("prod/a", deps(() => after));
  expect((await read("prod", "a")).status?.conditions?.find((c) => c.type === "example.com/Approved")).toEqual(foreign);
});

test("a stale copy never overwrites a fresher running total: this cycle's patches are counted on top of it", async () => {
  await cluster.client.create(DEPLOYMENTS, app("web", "shop"), { namespace: "shop" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("b", "shop", { enforcementMode: "enforce", requireReadinessProbe: true }));
  const stale = await read("shop", "b");
  // A newer leader recorded remediations after our read (a hand-over): its total must survive ours.
  await cluster.client.patch(DEVOPS_POLICIES, "b", { type: "merge", patch: { status: { remediationsApplied: 5, remediatedWorkloads: ["deployment/shop/old"] } } }, { namespace: "shop", subresource: "status" });

  await reconcilePolicy("shop/b", deps(() => stale));
  const after = await read("shop", "b");
  expect(after.status?.remediationsApplied).toBe(6);
  expect(after.status?.remediatedWorkloads).toEqual(["deployment/shop/old", "deployment/shop/web"]);
  expect(after.status?.healthScore).toBe(100);
});
