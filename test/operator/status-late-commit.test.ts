/**
 * A status write answered 504 that the API server commits only after the operator read the policy
 * again — kube-apiserver's 504 says it "may still be processing the request" — against the API
 * emulator over HTTPS. The guarded resend then meets our own late write as a 409: it must be
 * recognised as ours, not taken for another writer's total and counted on top (decision 0038).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import type { PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import type { ResolvedRequest } from "../kube/hooks.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { createEnforcedApps, runEnforceCycle } from "./enforce-cycle.ts";
import { prepareCluster, type Cluster } from "./support.ts";

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
  await createEnforcedApps(cluster.client, namespace, ["a"]);
  await emu.store.patch(POLICIES, namespace, "p", "application/merge-patch+json", JSON.stringify({ status: { remediationsApplied: 6 } }), { subresource: "status" });
  let held: string | undefined;
  let statusPatches = 0;
  await runEnforceCycle(emu, cluster.client, `${namespace}/p`, async (req) => {
    if (!isStatusPatch(req)) return undefined;
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
    return undefined;
  });
  const status = (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace })).status;
  // the record (504), its resend, the end-of-cycle write: without the injected 504 the total is 7 as well
  expect(statusPatches).toBe(3);
  expect(held).toBeUndefined(); // the late commit happened
  expect(status?.remediationsApplied).toBe(7);
  expect(status?.remediatedWorkloads).toEqual(["deployment/late/a"]);
  expect(status?.remediationsFailed ?? 0).toBe(0);
});
