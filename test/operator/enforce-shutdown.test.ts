/**
 * SIGTERM while `reconcile` (the compiled binary) is patching workloads in enforce mode:
 * it starts no further patch, writes nothing more, releases the lease and exits 0; each
 * workload is either fully remediated or untouched, the policy's status counts exactly the
 * workloads it patched (each recorded before it was sent, decision 0038), and the next leader
 * finishes the job and the count.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEPLOYMENTS, DEVOPS_POLICIES, LEASES } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { startReplica, type Replica } from "../reliability/replicas.ts";
import { eventually, prepareCluster, testPolicy, type Cluster } from "./support.ts";

const WORKLOADS = 12;
const RECONCILE = LEASE_COMPONENTS.find((c) => c.name === "reconcile")!;
let emu: Emulator;
let cluster: Cluster;
const replicas: Replica[] = [];

type Deployment = KubeObject & { spec: { template: { spec: { containers: { resources?: { requests?: object; limits?: object } }[] } } } };

function deployment(name: string) {
  const labels = { app: name };
  const containers = ["a", "b"].map((c) => ({ name: c, image: `registry.example/${c}:1.0` }));
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "prod" }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } } };
}

/** "full" when every container got requests and limits, "none" when none did, else "partial". */
async function remediation(name: string): Promise<"full" | "none" | "partial"> {
  const d = await cluster.client.get<Deployment>(DEPLOYMENTS, name, { namespace: "prod" });
  const marks = d.spec.template.spec.containers.flatMap((c) => [Boolean(c.resources?.requests), Boolean(c.resources?.limits)]);
  return marks.every(Boolean) ? "full" : marks.some(Boolean) ? "partial" : "none";
}

async function remediations(): Promise<string[]> {
  return Promise.all(Array.from({ length: WORKLOADS }, (_, i) => remediation(`web-${i}`)));
}

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"]);
  for (let i = 0; i < WORKLOADS; i++) await cluster.client.create(DEPLOYMENTS, deployment(`web-${i}`));
  const resources = { cpuRequest: "10m", memoryRequest: "16Mi", cpuLimit: "100m", memoryLimit: "64Mi" };
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { enforcementMode: "enforce", requireResourceRequests: true, requireResourceLimits: true, defaultResources: resources }));
});

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await emu.stop();
});

describe("reconcile: SIGTERM in the middle of an enforcement cycle", () => {
  test("no patch starts after the signal, nothing is half-applied, the lease is released, and the next leader completes the cycle", async () => {
    // A slow API server: every workload patch takes 400 ms, so the cycle of 12 would run ~5 s on.
    emu.faults.addLatency(400, { verb: "patch", resource: "deployments" });
    const flags = [...RECONCILE.spec.command, "--max-patches-per-cycle", String(WORKLOADS)];
    const first = await startReplica({ ...RECONCILE.spec, command: flags }, cluster.kubeconfigPath, "replica-a");
    replicas.push(first);
    await eventually(async () => ((await remediations()).includes("full") ? true : undefined), "the first workload patch", 20_000);
    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);

    const after = await remediations();
    expect(after).not.toContain("partial");
    // The cycle stopped: without the signal reaching enforcement all 12 would have been patched.
    expect(after.filter((r) => r === "full").length).toBeLessThan(WORKLOADS);
    expect(first.log()).toContain('"reconcile_interrupted"');
    const policy = await cluster.client.get<KubeObject & { status?: { remediationsApplied?: number; remediatedWorkloads?: string[] } }>(DEVOPS_POLICIES, "team", { namespace: "prod" });
    const patched = after.flatMap((r, i) => (r === "full" ? [`deployment/prod/web-${i}`] : [])).sort();
    expect(policy.status?.remediationsApplied).toBe(patched.length);
    expect(policy.status?.remediatedWorkloads).toEqual(patched);
    const lease = await cluster.client.get<KubeObject & { spec: { holderIdentity?: string } }>(LEASES, "kube-devops-reconcile", { namespace: "default" });
    expect(lease.spec.holderIdentity ?? "").toBe("");

    emu.faults.clear();
    const next = await startReplica({ ...RECONCILE.spec, command: flags }, cluster.kubeconfigPath, "replica-b");
    replicas.push(next);
    expect(await eventually(async () => {
      const all = await remediations();
      return all.every((r) => r === "full") ? all : undefined;
    }, "the next leader to remediate the rest", 20_000)).toHaveLength(WORKLOADS);
    const total = async () => (await cluster.client.get<KubeObject & { status?: { remediationsApplied?: number } }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status?.remediationsApplied;
    expect(await eventually(async () => ((await total()) === WORKLOADS ? WORKLOADS : undefined), "the total of both leaders' patches", 10_000)).toBe(WORKLOADS);
    next.proc.kill("SIGTERM");
    expect(await next.proc.exited).toBe(0);
  }, 60_000);
});
