/**
 * A patch that the running pods will not pick up by themselves — a StatefulSet or DaemonSet with
 * `updateStrategy.type: OnDelete`, a paused Deployment — is reported as applied to the template
 * only, by `enforce` (compiled binary, emulator with its workload controllers), in the workload's
 * `Remediated` Event and in the operator's `Enforced` Event. The pods are checked too: the claim
 * is true (they keep the old spec while a plain Deployment's pods are replaced).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVOPS_POLICIES, EVENTS, STATEFULSETS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { describeRemediation } from "../../lib/enforcement/remediation-message.ts";
import { planWorkloadRemediation } from "../../lib/enforcement/plan-workload.ts";
import { reconcilePolicy, type PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import { enforcedEvent } from "../../lib/operator/status.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { enforceDeps } from "../operator/enforce-cycle.ts";
import { prepareCluster, testPolicy } from "../operator/support.ts";
import { runBinaryAsync } from "../support/binary.ts";
import { deployment } from "./workloads.ts";

type Obj = Record<string, any>;
let emu: Emulator;
const kubeconfig = join(mkdtempSync(join(tmpdir(), "kd-hold-")), "kubeconfig");
const HELD = "applied to the template; running pods keep the old spec until deleted (updateStrategy OnDelete)";

const container = (name: string, port: number) => ({ name, image: `${name}:1`, ports: [{ containerPort: port }] });
function podSet(kind: "StatefulSet" | "DaemonSet", name: string, ns: string, port: number): Obj {
  const spec: Obj = { selector: { matchLabels: { app: name } }, updateStrategy: { type: "OnDelete" }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(name, port)] } } };
  if (kind === "StatefulSet") Object.assign(spec, { replicas: 1, serviceName: name });
  return { apiVersion: "apps/v1", kind, metadata: { name, namespace: ns }, spec };
}
const pods = (ns: string, app: string): Obj[] => (emu.store.list("pods", { namespace: ns }) as unknown as Obj[]).filter((p) => p.metadata.labels?.app === app);
const events = (ns: string, reason: string): string[] => (emu.store.list("events", { namespace: ns }) as unknown as Obj[]).filter((e) => e.reason === reason).map((e) => e.message as string);

beforeAll(async () => {
  emu = await startEmulator({ controllers: true });
  emu.writeKubeconfig(kubeconfig);
  emu.store.load({ apiVersion: "v1", kind: "Node", metadata: { name: "worker-1" }, status: { addresses: [{ type: "InternalIP", address: "192.168.1.10" }] } });
});
afterAll(() => emu.stop());

describe("kube-devops enforce", () => {
  test("says that an OnDelete StatefulSet or DaemonSet and a paused Deployment were patched in the template only, and it is so", async () => {
    const ns = "held";
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await emu.store.create("statefulsets.apps", podSet("StatefulSet", "db", ns, 5432) as never, { namespace: ns });
    await emu.store.create("daemonsets.apps", podSet("DaemonSet", "agent", ns, 9100) as never, { namespace: ns });
    const paused = deployment("batch", ns, [container("batch", 8081)]);
    await emu.store.create("deployments.apps", { ...paused, spec: { ...paused.spec, paused: true } } as never, { namespace: ns });
    await emu.store.create("deployments.apps", deployment("web", ns, [container("web", 8080)]) as never, { namespace: ns });
    await emu.settle();
    const before = { db: pods(ns, "db")[0]?.metadata.uid, agent: pods(ns, "agent")[0]?.metadata.uid, web: pods(ns, "web")[0]?.metadata.uid };
    expect(Object.values(before).every((uid) => typeof uid === "string")).toBe(true);

    const planned = await runBinaryAsync(["enforce", "-n", ns, "--bundle", "baseline", "--dry-run=client", "--kubeconfig", kubeconfig]);
    expect(planned.stdout).toContain(`statefulset/${ns}/db: planned; running pods would keep the old spec until deleted (updateStrategy OnDelete)\n`);

    const { code, stdout } = await runBinaryAsync(["enforce", "-n", ns, "--bundle", "baseline", "--kubeconfig", kubeconfig]);
    expect(code).toBe(0);
    expect(stdout).toContain(`statefulset/${ns}/db: ${HELD}\n`);
    expect(stdout).toContain(`daemonset/${ns}/agent: ${HELD}\n`);
    expect(stdout).toContain(`deployment/${ns}/batch: applied to the template; running pods keep the old spec until the rollout is resumed (spec.paused)\n`);
    expect(stdout).toContain(`deployment/${ns}/web: applied\n`);
    expect(stdout).toContain("Summary: 4 applied (3 to the template only: running pods keep the old spec), 0 failed,");
    expect(events(ns, "Remediated")).toContain(`kube-devops enforce (bundle baseline): container db: readinessProbe tcpSocket :5432; ${HELD}`);

    await emu.settle();
    // what the output says is what happened: the held pods are the same pods, without the probe
    for (const app of ["db", "agent"] as const) {
      const [pod] = pods(ns, app);
      expect(pod?.metadata.uid).toBe(before[app]);
      expect(pod?.spec.containers[0].readinessProbe).toBeUndefined();
    }
    const web = pods(ns, "web");
    expect(web.map((p) => p.metadata.uid)).not.toContain(before.web);
    expect(web[0]?.spec.containers[0].readinessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
  });
});

describe("the operator", () => {
  test("its Enforced Event says how many patches are in the template only, and why", async () => {
    const ns = "held-op";
    const cluster = await prepareCluster(emu, [ns]);
    await cluster.client.create(STATEFULSETS, podSet("StatefulSet", "db", ns, 5432) as never, { namespace: ns });
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("p", ns, { enforcementMode: "enforce", requireReadinessProbe: true }));
    let latest: PolicyObject | undefined;
    const deps = enforceDeps(cluster.client, () => latest);
    latest = await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: ns });
    await reconcilePolicy(`${ns}/p`, deps);
    const { items } = await cluster.client.listAll<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace: ns });
    expect(items.filter((e) => e.reason === "Enforced").map((e) => e.message)).toEqual([
      "Remediated 1 workload(s), 0 failed; 1 of them applied to the template only: running pods keep the old spec until deleted (updateStrategy OnDelete)",
    ]);
    // the running total in status counts it: it was applied, to the template
    expect((await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace: ns })).status?.remediationsApplied).toBe(1);
  });

  test("an Enforced Event without held patches reads as before", () => {
    expect(enforcedEvent({ applied: 2, failed: 0, totalApplied: 2, workloads: [] })?.message).toBe("Remediated 2 workload(s), 0 failed");
  });
});

test("the Remediated Event keeps the note when the added fields must be cut to fit", () => {
  const sts = podSet("StatefulSet", "db", "ns", 1);
  sts.spec.template.spec.containers = Array.from({ length: 40 }, (_, i) => container(`c${i}`, 8000 + i));
  const wide = planWorkloadRemediation(sts as never, { enforcementMode: "enforce", requireReadinessProbe: true }, { isProtectedNamespace: () => false });
  const message = describeRemediation(wide, "DevOpsPolicy ns/p", 400);
  expect(message.length).toBeLessThanOrEqual(400);
  expect(message).toContain(" more; ");
  expect(message.endsWith(`; ${HELD}`)).toBe(true);
});
