/**
 * The operator against a DevOpsPolicy CRD installed by an older release (its status schema lacks
 * a field written since, so the API server prunes it): one `crd_outdated` warning naming the field
 * and the fix, and no status write per evaluation (every one used to look like a change); once
 * the CRD is updated, the field is written again without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { upsertCrd, waitEstablished } from "../../lib/crd/install-crds.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { DEVOPS_POLICIES, NAMESPACES, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { createLogger } from "../../lib/log.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";
import { startTestOperator, type TestOperator } from "./test-operator.ts";

type Policy = KubeObject & { status?: DevOpsPolicyStatus };

let emu: Emulator;
let cluster: Cluster;
let running: TestOperator;
const lines: string[] = [];

/** Our CRDs, the DevOpsPolicy one without `status.enforcementMode`: what a release before it installed. */
function olderCrds() {
  const crds = structuredClone(renderCrds());
  for (const crd of crds) {
    const spec = crd.spec as { names: { kind: string }; versions: Array<{ schema?: { openAPIV3Schema?: { properties?: Record<string, { properties?: Record<string, unknown> }> } } }> };
    if (spec.names.kind === "DevOpsPolicy") delete spec.versions[0]?.schema?.openAPIV3Schema?.properties?.status?.properties?.enforcementMode;
  }
  return crds;
}

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, [], { installCrds: false });
  const { client } = cluster;
  for (const crd of olderCrds()) await upsertCrd(client, crd);
  await waitEstablished(client, olderCrds().map((c) => c.metadata.name), { timeoutMs: 10_000, clock: systemClock });
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  await client.create(PODS, testPod("bad", "prod", true));
  // requeue every 100 ms: many evaluations of an unchanged namespace
  running = startTestOperator(client, { logger: createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }), options: { requeueMs: 100, workers: 1 } });
});

afterAll(async () => {
  await running.stop();
  await emu.stop();
});

async function reconciles(): Promise<number> {
  const metric = await running.registry.getSingleMetric("devopspolicy_reconcile_total")?.get();
  return metric?.values[0]?.value ?? 0;
}

describe("an older DevOpsPolicy CRD (status.enforcementMode unknown to it)", () => {
  test("one warning names the pruned field and the fix; evaluations of an unchanged namespace write no status", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
    const first = await eventually(async () => {
      const p = await cluster.client.get<Policy>(DEVOPS_POLICIES, "team", { namespace: "prod" });
      return p.status?.healthScore !== undefined ? p : undefined;
    }, "status.healthScore");
    expect(first.status?.enforcementMode).toBeUndefined(); // pruned by the older schema
    // wait for the warning (it follows the write that was pruned), then for ten more evaluations
    await eventually(async () => (lines.some((l) => l.includes('"crd_outdated"')) ? true : undefined), "the crd_outdated warning");
    const settled = await cluster.client.get<Policy>(DEVOPS_POLICIES, "team", { namespace: "prod" });
    const from = await reconciles();
    await eventually(async () => ((await reconciles()) >= from + 10 ? true : undefined), "ten more reconciles");
    const after = await cluster.client.get<Policy>(DEVOPS_POLICIES, "team", { namespace: "prod" });
    expect(after.metadata?.resourceVersion).toBe(settled.metadata?.resourceVersion);
    const warnings = lines.filter((l) => l.includes('"crd_outdated"')).map((l) => JSON.parse(l) as Record<string, string>);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", fields: "status.enforcementMode", policy: "prod/team" });
    expect(warnings[0]?.hint).toContain("kube-devops crd install");
  }, 30_000);

  test("after crd install the next status write stores the field, without a restart", async () => {
    const current = renderCrds().find((c) => c.metadata.name.startsWith("devopspolicies."));
    if (current === undefined) throw new Error("no DevOpsPolicy CRD rendered");
    await upsertCrd(cluster.client, current);
    // a change in the namespace: the operator writes status (a heartbeat would do the same, later)
    await cluster.client.create(PODS, testPod("worse", "prod", true));
    const updated = await eventually(async () => {
      const p = await cluster.client.get<Policy>(DEVOPS_POLICIES, "team", { namespace: "prod" });
      return p.status?.enforcementMode !== undefined ? p : undefined;
    }, "status.enforcementMode stored");
    expect(updated.status?.enforcementMode).toBe("audit");
    // and, stored now, it is compared again: evaluations of the unchanged namespace write nothing
    const from = await reconciles();
    await eventually(async () => ((await reconciles()) >= from + 10 ? true : undefined), "ten more reconciles");
    const after = await cluster.client.get<Policy>(DEVOPS_POLICIES, "team", { namespace: "prod" });
    expect(after.metadata?.resourceVersion).toBe(updated.metadata?.resourceVersion);
  }, 30_000);
});
