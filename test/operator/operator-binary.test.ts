/**
 * The compiled binary against the emulator: `crd install` creates, then updates
 * in place; `kubectl get devopspolicies` shows the printer columns; two
 * `reconcile` replicas elect one leader, and SIGKILL of it hands over.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { CUSTOM_RESOURCE_DEFINITIONS, LEASES, PODS, DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { startReplica as startComponentReplica, type Replica } from "../reliability/replicas.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { ensureBinary, runBinaryAsync } from "../support/binary.ts";
import { eventually, installCrds, prepareCluster, testPod, testPolicy, type Cluster } from "./support.ts";

const RECONCILE = LEASE_COMPONENTS.find((c) => c.name === "reconcile")!;
let emu: Emulator;
let cluster: Cluster;
const replicas: Subprocess[] = [];

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"], { installCrds: false });
});

afterAll(async () => {
  for (const r of replicas) r.kill("SIGKILL");
  await emu.stop();
});

describe("crd install", () => {
  test("creates both CRDs and waits until Established", async () => {
    const { code, stdout, stderr } = await runBinaryAsync(["crd", "install", "--kubeconfig", cluster.kubeconfigPath]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe(
      "CRD 'devopspolicies.devops.stochastic.io' installed successfully\n" +
        "CRD 'policyauditresults.devops.stochastic.io' installed successfully\n" +
        "CRDs established: devopspolicies.devops.stochastic.io, policyauditresults.devops.stochastic.io\n",
    );
  });

  test("updates an outdated CRD in place and leaves an up-to-date one alone", async () => {
    const name = "devopspolicies.devops.stochastic.io";
    await cluster.client.patch(CUSTOM_RESOURCE_DEFINITIONS, name, { type: "json", ops: [{ op: "remove", path: "/spec/versions/0/additionalPrinterColumns" }] });
    const { code, stdout } = await runBinaryAsync(["crd", "install", "--kubeconfig", cluster.kubeconfigPath]);
    expect(code).toBe(0);
    expect(stdout).toContain(`CRD '${name}' updated\n`);
    expect(stdout).toContain("CRD 'policyauditresults.devops.stochastic.io' unchanged (already up to date)\n");
    const crd = await cluster.client.get<KubeObject & { spec: { versions: { additionalPrinterColumns?: unknown[] }[] } }>(CUSTOM_RESOURCE_DEFINITIONS, name);
    expect(crd.spec.versions[0]?.additionalPrinterColumns?.length).toBeGreaterThan(0);
  });

  test("an unreachable cluster is a clear error, exit 1", async () => {
    const { code, stderr } = await runBinaryAsync(["crd", "install", "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect(code).toBe(1);
    expect(stderr).toContain("error:");
  });
});

/** Starts one `reconcile` replica (test/reliability/replicas.ts); killed after the file. */
async function startReplica(identity: string): Promise<Replica> {
  const replica = await startComponentReplica(RECONCILE.spec, cluster.kubeconfigPath, identity);
  replicas.push(replica.proc);
  return replica;
}

/**
 * `kubectl get devopspolicies -n prod`; without kubectl on the machine, the same
 * server-side Table kubectl asks for, rendered the way kubectl prints it.
 */
async function printedPolicies(): Promise<string> {
  if (Bun.which("kubectl") && !process.env.NO_KUBECTL) {
    const kubectl = Bun.spawn(["kubectl", "--kubeconfig", cluster.kubeconfigPath, "get", "devopspolicies", "-n", "prod"], { stdout: "pipe", stderr: "pipe" });
    return new Response(kubectl.stdout).text();
  }
  const res = await fetch(`${emu.url}/apis/devops.stochastic.io/v1/namespaces/prod/devopspolicies`, {
    headers: { authorization: `Bearer ${emu.adminToken}`, accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    tls: { ca: emu.caPem },
  } as RequestInit);
  const table = (await res.json()) as { columnDefinitions: { name: string; priority?: number }[]; rows: { cells: unknown[] }[] };
  const shown = table.columnDefinitions.map((c, i) => [c, i] as const).filter(([c]) => !c.priority);
  const lines = [shown.map(([c]) => c.name.toUpperCase()), ...table.rows.map((r) => shown.map(([, i]) => (r.cells[i] === undefined || r.cells[i] === null ? "" : String(r.cells[i]))))];
  return lines.map((cells) => `${cells.join("   ")}\n`).join("");
}

describe("two reconcile replicas", () => {
  test("one leads and reconciles, the other is a ready standby; SIGKILL of the leader hands over", async () => {
    await installCrds(cluster.client); // idempotent: this test also runs alone (-t)
    await cluster.client.create(PODS, testPod("web", "prod", false));
    const a = await startReplica("replica-a");
    const b = await startReplica("replica-b");
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
    await eventually(async () => ((await cluster.client.get<KubeObject & { status?: { healthScore?: number } }>(DEVOPS_POLICIES, "team", { namespace: "prod" })).status?.healthScore === 100 ? true : undefined), "first status");

    const lease = await cluster.client.get<KubeObject & { spec: { holderIdentity: string } }>(LEASES, "kube-devops-reconcile", { namespace: "default" });
    const [leader, standby] = lease.spec.holderIdentity === "replica-a" ? [a, b] : [b, a];
    const leaderMetrics = await (await fetch(`${leader.url}/metrics`)).text();
    const standbyMetrics = await (await fetch(`${standby.url}/metrics`)).text();
    expect(leaderMetrics).toContain('kube_devops_leader_status{component="reconcile"} 1');
    expect(leaderMetrics).toContain('devopspolicy_health_score{namespace="prod",policy="team"} 100');
    expect(standbyMetrics).toContain('kube_devops_leader_status{component="reconcile"} 0');
    expect(standbyMetrics).not.toContain("devopspolicy_health_score{");
    // Ready once it has read the lease; right after start that first read can still be in flight.
    expect(await eventually(async () => ((await fetch(`${standby.url}/readyz`)).status === 200 ? 200 : undefined), "the standby to be Ready")).toBe(200);

    expect(await printedPolicies()).toMatch(/^NAME\s+MODE\s+SCORE\s+CLASS\s+VIOLATIONS\s+READY\s+REASON\s+AGE\nteam\s+audit\s+100\s+Healthy\s+0\s+True\s+Evaluated\s+\S+\n$/);

    leader.proc.kill("SIGKILL");
    await cluster.client.create(PODS, testPod("bad", "prod", true));
    const after = await eventually(async () => {
      const p = await cluster.client.get<KubeObject & { status?: { healthScore?: number } }>(DEVOPS_POLICIES, "team", { namespace: "prod" });
      return p.status?.healthScore === 98 ? p : undefined;
    }, "the standby to take over and re-evaluate", 20_000);
    expect(after.status?.healthScore).toBe(98);
    const newLease = await cluster.client.get<KubeObject & { spec: { holderIdentity: string } }>(LEASES, "kube-devops-reconcile", { namespace: "default" });
    expect(newLease.spec.holderIdentity).toBe(leader === a ? "replica-b" : "replica-a");
    expect(await (await fetch(`${standby.url}/metrics`)).text()).toContain('kube_devops_leader_status{component="reconcile"} 1');
  }, 60_000);
});
