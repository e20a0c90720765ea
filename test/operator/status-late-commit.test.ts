/**
 * A status write answered 504 that the API server commits only after the operator read the policy
 * again — kube-apiserver's 504 says it "may still be processing the request" — against the API
 * emulator over HTTPS. The guarded resend then meets our own late write as a 409: it must be
 * recognised as ours, not taken for another writer's total and counted on top (decision 0038).
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
import { reconcilePolicy, type PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import { deployment } from "../enforcement/workloads.ts";
import type { ResolvedRequest } from "../kube/hooks.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, testPolicy, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["late"]);
});

afterAll(() => emu.stop());

const POLICIES = "devopspolicies.devops.stochastic.io";
const TIMEOUT_504 = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Timeout", code: 504, message: "The server was unable to return a response in the time allotted, but may still be processing the request" };
const isStatusPatch = (req: ResolvedRequest) => req.method === "PATCH" && req.attrs.resource === "devopspolicies" && req.attrs.subresource === "status" && req.attrs.namespace === "late";

test("the record of a patch answered 504 and committed after the read-back is counted once: 7, not 8", async () => {
  const namespace = "late";
  await cluster.client.create(DEPLOYMENTS, deployment("a", namespace, [{ name: "app", image: "a:1.0", ports: [{ containerPort: 8080 }] }]), { namespace });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("p", namespace, { enforcementMode: "enforce", requireReadinessProbe: true }));
  await emu.store.patch(POLICIES, namespace, "p", "application/merge-patch+json", JSON.stringify({ status: { remediationsApplied: 6 } }), { subresource: "status" });
  const policy = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace });
  const logger = createLogger({ level: "silent" });
  const metrics = createOperatorMetrics(new Registry());
  let held: string | undefined;
  let statusPatches = 0;
  const prior = emu.hooks.handle;
  emu.hooks.handle = async (req: ResolvedRequest) => {
    if (isStatusPatch(req)) {
      statusPatches++;
      // the first write (the record of a's patch): 504, not yet committed
      if (statusPatches === 1) {
        held = req.body;
        return Response.json(TIMEOUT_504, { status: 504 });
      }
      // it commits now: after the operator read the policy back, before its resend arrives
      if (held !== undefined) {
        await emu.store.patch(POLICIES, namespace, "p", "application/merge-patch+json", held, { subresource: "status" });
        held = undefined;
      }
    }
    return prior?.(req);
  };
  try {
    await reconcilePolicy(`${namespace}/p`, {
      client: cluster.client,
      clock: systemClock,
      logger,
      metrics,
      options: { requeueMs: 30_000, auditIntervalMs: 3_600_000, auditRetention: 0, statusHeartbeatMs: 600_000 },
      policy: () => policy,
      podsIn: () => [],
      audit: new AuditState(),
      enforce: createEnforceStep({ client: cluster.client, logger, metrics, maxPatchesPerCycle: 10, isProtectedNamespace }),
    });
  } finally {
    emu.hooks.handle = prior;
  }
  const status = (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace })).status;
  expect(held).toBeUndefined(); // the late commit happened
  expect(status?.remediationsApplied).toBe(7);
  expect(status?.remediatedWorkloads).toEqual(["deployment/late/a"]);
  expect(status?.remediationsFailed ?? 0).toBe(0);
});
