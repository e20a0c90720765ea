/**
 * `status.remediationsApplied` reset by a human or another tool while an enforcement cycle runs,
 * against the API emulator over HTTPS. The rule (decision 0038): the value another writer stored
 * is the new base; the cycle adds on top of it only the patches it records after that write, and
 * never adds again or takes back one recorded before it — so the total is never below 0 and no
 * patch is counted twice.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import type { PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { createEnforcedApps, runEnforceCycle } from "./enforce-cycle.ts";
import { prepareCluster, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["one", "two", "after", "list"]);
});

afterAll(() => emu.stop());

const POLICIES = "devopspolicies.devops.stochastic.io";
const forbidden = () => Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403, message: "denied by a test" }, { status: 403 });

/** Sets `status` fields as `kubectl patch --subresource status` would, outside the operator. */
async function reset(namespace: string, status: Record<string, unknown>): Promise<void> {
  await emu.store.patch(POLICIES, namespace, "p", "application/merge-patch+json", JSON.stringify({ status }), { subresource: "status" });
}

/**
 * Policy `p` in `namespace` (status: 6 applied, one workload listed) over Deployments `names`; one
 * enforce cycle with `onPatch` called on each workload patch request first.
 */
async function cycle(namespace: string, names: string[], onPatch: (name: string) => Promise<Response | undefined>): Promise<PolicyObject["status"]> {
  await createEnforcedApps(cluster.client, namespace, names);
  await reset(namespace, { remediationsApplied: 6, remediatedWorkloads: [`deployment/${namespace}/old`] });
  const { result } = await runEnforceCycle(emu, cluster.client, `${namespace}/p`, async (req) =>
    req.method === "PATCH" && req.attrs.resource === "deployments" && req.attrs.namespace === namespace ? onPatch(req.attrs.name ?? "") : undefined,
  );
  expect(result).toEqual({ requeueAfterMs: 30_000 });
  return (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace })).status;
}

test("reset to 0 after a patch was recorded, and that patch fails: 0, not -1", async () => {
  // Recorded as the 7th, reset to 0, then the patch fails: taking its record back from the reset total would write -1.
  const status = await cycle("one", ["a"], async () => {
    await reset("one", { remediationsApplied: 0 });
    return forbidden();
  });
  expect(status?.remediationsApplied).toBe(0);
  expect(status?.remediationsFailed).toBe(1);
});

test("reset to 0 after the first patch was recorded (it fails); the second patch, recorded after the reset, is counted: 1", async () => {
  const status = await cycle("two", ["a", "b"], async (name) => {
    if (name !== "a") return undefined;
    await reset("two", { remediationsApplied: 0, remediatedWorkloads: null });
    return forbidden();
  });
  expect(status?.remediationsApplied).toBe(1);
  expect(status?.remediatedWorkloads).toEqual(["deployment/two/b"]);
  expect(status?.remediationsFailed).toBe(1);
});

test("reset to 0 while the last patch is on the wire (both recorded before the reset): the reset stands, 0 — neither is added on top of it", async () => {
  const status = await cycle("after", ["a", "b"], async (name) => {
    if (name === "b") await reset("after", { remediationsApplied: 0 });
    return undefined;
  });
  // b was recorded before the reset too (each patch is recorded before it is sent): the reset is the base for later records.
  expect(status?.remediationsApplied).toBe(0);
  expect(status?.remediationsFailed).toBe(0);
});

test("the list reset with the count: the cycle's final write does not bring back what the cycle started with", async () => {
  const status = await cycle("list", ["a", "b"], async (name) => {
    if (name === "a") await reset("list", { remediationsApplied: 0, remediatedWorkloads: null });
    return undefined;
  });
  // a's record was stored before the reset (not counted on top of it), b's after (counted).
  expect(status?.remediationsApplied).toBe(1);
  expect(status?.remediatedWorkloads).toEqual(["deployment/list/b"]);
});
