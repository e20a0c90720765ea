/**
 * The PolicyAuditResult CRD deleted while the operator runs: status keeps following the pods,
 * one audit_crd_absent warning names the fix, and no reconcile loops on the 404 (it was taken
 * for "the policy is gone" and retried every 200 ms, silently); history resumes after crd install.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CUSTOM_RESOURCE_DEFINITIONS, DEVOPS_POLICIES, PODS, POLICY_AUDIT_RESULTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { createLogger } from "../../lib/log.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, installCrds, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;
const lines: string[] = [];
const named = (event: string) => lines.filter((l) => l.includes(`"msg":"${event}"`));

async function score(): Promise<number | undefined> {
  return (await cluster.client.get<KubeObject & { status?: DevOpsPolicyStatus }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status?.healthScore;
}

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"]);
  await cluster.client.create(PODS, testPod("good", "prod", false));
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
  running = startTestOperator(cluster.client, { logger: createLogger({ level: "debug", format: "json", write: (line) => lines.push(line) }) });
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

describe("the PolicyAuditResult CRD deleted while the operator runs", () => {
  test("status goes on, one warning with the fix, no retry loop, and history resumes after crd install", async () => {
    await eventually(async () => ((await score()) === 100 ? true : undefined), "the first status");
    await eventually(async () => ((await cluster.client.listAll(POLICY_AUDIT_RESULTS, { namespace: "prod" })).items.length === 1 ? true : undefined), "the first audit result");

    await cluster.client.delete(CUSTOM_RESOURCE_DEFINITIONS, "policyauditresults.devops.stochastic.io");
    await cluster.client.create(PODS, testPod("bad", "prod", true));
    expect(await eventually(async () => ((await score()) !== 100 ? await score() : undefined), "the status to follow the new pod")).toBeLessThan(100);
    const [warning] = await eventually(async () => (named("audit_crd_absent").length > 0 ? named("audit_crd_absent") : undefined), "the warning");
    expect(warning).toContain("kube-devops crd install");
    const before = lines.length;
    await Bun.sleep(600); // a 200 ms stale-retry loop would log three reconciles or more here
    expect(lines.slice(before).filter((l) => l.includes('"reconcile_stale"') || l.includes('"reconcile_error"'))).toEqual([]);
    expect(named("audit_crd_absent")).toHaveLength(1);

    await installCrds(cluster.client);
    await cluster.client.create(PODS, testPod("bad-2", "prod", true));
    await eventually(async () => (named("audit_crd_restored").length === 1 ? true : undefined), "the restored line");
    const results = await cluster.client.listAll(POLICY_AUDIT_RESULTS, { namespace: "prod" });
    expect(results.items.length).toBeGreaterThanOrEqual(1);
  });
});
