/**
 * The operator across restarts and broken watches (W-R1): a new process
 * repopulates every gauge on its first pass and does not record a duplicate
 * audit result; cut watch streams and compacted history do not stop it
 * following pod changes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEVOPS_POLICIES, PODS, POLICY_AUDIT_RESULTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu);
});

afterAll(() => emu.stop());

function startOperator(): TestOperator {
  return startTestOperator(cluster.client, { options: { podDebounceMs: 20, auditRetention: 10 }, watchBackoff: { baseMs: 20, maxMs: 200, minMs: 10 } });
}

const score = async () => (await cluster.client.get<KubeObject & { status?: DevOpsPolicyStatus }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status?.healthScore;
const auditCount = async () => (await cluster.client.listAll(POLICY_AUDIT_RESULTS, { namespace: "prod" })).items.length;

test("a restarted operator repopulates its gauges at once and records no duplicate audit result", async () => {
  await cluster.client.create(PODS, testPod("bad", "prod", true));
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
  const first = startOperator();
  await eventually(async () => ((await score()) === 95 && (await auditCount()) === 1 ? true : undefined), "first status and audit result");
  await first.stop();
  expect(await first.registry.metrics()).not.toContain('policy="team"');

  const second = startOperator();
  await eventually(async () => ((await second.registry.metrics()).includes('devopspolicy_health_score{namespace="prod",policy="team"} 95') ? true : undefined), "gauges after restart");
  expect(await second.registry.metrics()).toMatch(/devopspolicy_reconcile_total [1-9]/);
  expect(await auditCount()).toBe(1);
  expect(await second.registry.metrics()).toContain("devopspolicy_audit_results_total 0");
  await second.stop();
});

test("cut watches and compacted history: pod changes are still followed", async () => {
  const op = startOperator();
  await eventually(async () => ((await op.registry.metrics()).includes('policy="team"} 95') ? true : undefined), "synced");
  emu.faults.compact();
  emu.faults.dropWatches({ abrupt: true });
  await cluster.client.delete(PODS, "bad", { namespace: "prod", gracePeriodSeconds: 0 });
  await eventually(async () => ((await score()) === 100 ? true : undefined), "score 100 after the relist");
  await op.stop();
});
