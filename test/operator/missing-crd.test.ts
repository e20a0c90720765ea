/**
 * The operator started before `crd install`: one warning that names the fix instead of a bare
 * policy_watch_error per retry, and policies are reconciled once the CRD is installed, without a
 * restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { createLogger } from "../../lib/log.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, installCrds, prepareCluster, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;
const lines: string[] = [];
/** The JSON log lines of one event. */
const named = (event: string) => lines.filter((l) => l.includes(`"${event}"`));

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"], { installCrds: false });
  // quick retries: many failed lists of the missing resource within the test
  running = startTestOperator(cluster.client, { logger: createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }), watchBackoff: { baseMs: 20, maxMs: 40, minMs: 10 } });
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

describe("reconcile before the DevOpsPolicy CRD is installed", () => {
  test("one policies_crd_absent warning with the fix, however many retries fail; policies are reconciled once the CRD exists", async () => {
    const [warning] = await eventually(async () => (named("policies_crd_absent").length > 0 ? named("policies_crd_absent") : undefined), "the warning");
    expect(warning).toContain("kube-devops crd install");
    await Bun.sleep(400); // ten or more further failed lists at 20-40 ms
    expect({ absent: named("policies_crd_absent").length, bare: named("policy_watch_error").length }).toEqual({ absent: 1, bare: 0 });

    await installCrds(cluster.client);
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
    const status = await eventually(async () => (await cluster.client.get<KubeObject & { status?: DevOpsPolicyStatus }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status?.healthScore, "the policy's status");
    expect(status).toBe(100);
  });
});
