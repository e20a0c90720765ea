/**
 * The operator's pod watch failing for longer than its staleness (RBAC on pods revoked while
 * status writes still work): the policy's Ready condition turns False (PodsUnavailable, with the
 * API server's answer) instead of re-stamping the last numbers as a fresh evaluation; it turns
 * True again, with live numbers, once the watch recovers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEVOPS_POLICIES, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;

async function status(): Promise<DevOpsPolicyStatus | undefined> {
  return (await cluster.client.get<KubeObject & { status?: DevOpsPolicyStatus }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status;
}
const ready = (s: DevOpsPolicyStatus | undefined) => s?.conditions?.find((c) => c.type === "Ready");

beforeAll(async () => {
  // no bookmark during the test (a server with its watch cache off): a quiet healthy watch is fresh
  // while open with no failure, so nothing hangs on a 100 ms timer beating the 500 ms staleness on a
  // loaded machine; the 403s below are failures, and the new pod's event is the progress after them
  emu = await startEmulator({ bookmarkIntervalMs: 600_000 });
  cluster = await prepareCluster(emu, ["prod"]);
  await cluster.client.create(PODS, testPod("good", "prod", false));
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
  running = startTestOperator(cluster.client, { options: { requeueMs: 200, podStalenessMs: 500, statusHeartbeatMs: 1_000 }, watchBackoff: { baseMs: 50, maxMs: 100, minMs: 20 } });
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

describe("reconcile while its pod watch keeps failing", () => {
  test("Ready False (PodsUnavailable) naming the failure, lastEvaluated not refreshed; True again with live numbers after", async () => {
    const before = await eventually(async () => ((await status())?.healthScore === 100 ? await status() : undefined), "the first status");
    emu.faults.failNext(1_000_000, { resource: "pods", status: 403 });
    emu.faults.dropWatches();
    const during = await eventually(async () => (ready(await status())?.status === "False" ? await status() : undefined), "Ready False");
    expect(ready(during)).toMatchObject({ reason: "PodsUnavailable" });
    expect(ready(during)?.message).toContain("forbidden");
    expect(running.operator.readiness().ready).toBe(false);
    await Bun.sleep(1_500); // past the heartbeat: nothing may claim a fresh evaluation
    expect((await status())?.lastEvaluated).toBe(before?.lastEvaluated);

    await emu.store.create("pods", testPod("bad", "prod", true), { namespace: "prod" });
    emu.faults.clear();
    const after = await eventually(async () => (ready(await status())?.status === "True" ? await status() : undefined), "Ready True again", 15_000);
    expect(after?.healthScore).toBeLessThan(100);
    expect(after?.lastEvaluated).not.toBe(before?.lastEvaluated);
  }, 30_000);
});
