/**
 * The compiled binary's `watch` against the emulator: two replicas elect one leader
 * (it exports the scores, the standby only its role and stays Ready), the exposition
 * passes `promtool check metrics`, a real Prometheus scrapes the series, SIGKILL of the
 * leader hands over, and SIGTERM exits 0 within the grace period, releasing the lease.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { LEASES, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { startReplica as startComponentReplica, type Replica } from "../reliability/replicas.ts";
import { ensureBinary, runBinaryAsync } from "../support/binary.ts";
import { eventually, prepareCluster, type Cluster } from "../operator/support.ts";
import { expectedScores, makePod, scrapedScores } from "./support.ts";

const WATCH = LEASE_COMPONENTS.find((c) => c.name === "watch")!;
let emu: Emulator;
let cluster: Cluster;
const replicas: Subprocess[] = [];

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["shop", "batch"], { installCrds: false });
  for (let i = 0; i < 30; i++) emu.store.load(makePod(i % 2 ? "shop" : "batch", `pod-${i}`, i));
});

afterAll(async () => {
  for (const r of replicas) r.kill("SIGKILL");
  await emu.stop();
});

/** Starts one `watch` replica (test/reliability/replicas.ts); killed after the file. */
async function startReplica(identity: string): Promise<Replica> {
  const replica = await startComponentReplica(WATCH.spec, cluster.kubeconfigPath, identity);
  replicas.push(replica.proc);
  return replica;
}

async function metricsOf(r: Replica): Promise<string> {
  return (await fetch(`${r.url}/metrics`)).text();
}

async function fresh() {
  const { items } = await cluster.client.listAll<KubeObject>(PODS);
  return expectedScores(items as PodLike[], Date.now());
}

async function holder(): Promise<string | undefined> {
  const lease = await cluster.client.get<KubeObject & { spec?: { holderIdentity?: string } }>(LEASES, "kube-devops-watch", { namespace: "default" }).catch(() => undefined);
  return lease?.spec?.holderIdentity || undefined;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = server.port!;
  await server.stop(true);
  return port;
}

describe("kube-devops watch (compiled)", () => {
  test("two replicas: one leader exports, the standby is Ready; promtool and Prometheus accept the exposition; failover; SIGTERM exits 0", async () => {
    const a = await startReplica("watch-a");
    const b = await startReplica("watch-b");
    const leaderId = await eventually(holder, "a leader");
    const [leader, standby] = leaderId === "watch-a" ? [a, b] : [b, a];

    const expected = await fresh();
    const scraped = await eventually(async () => {
      const s = scrapedScores(await metricsOf(leader));
      return s.present && s.pods === expected.pods ? s : undefined;
    }, "the leader's scores");
    expect(scraped).toEqual({ present: true, ...expected });
    // The same numbers as the `analyze` command against the same cluster (pod-weighted cluster score).
    const analyzed = await runBinaryAsync(["analyze", "-o", "json", "--kubeconfig", cluster.kubeconfigPath]);
    expect(analyzed.code).toBe(0);
    const report = JSON.parse(analyzed.stdout) as { summary: { score: number; total_pods: number }; namespaces: { namespace: string; score: number }[] };
    expect(scraped.cluster).toBe(report.summary.score);
    expect(scraped.namespaces).toEqual(Object.fromEntries(report.namespaces.map((n) => [n.namespace, n.score])));
    const leaderText = await metricsOf(leader);
    expect(leaderText).toContain('kube_devops_leader_status{component="watch"} 1');
    expect(leaderText).toContain('namespace_violations{namespace="shop",check="latest_tag",severity="high"}');
    expect((await fetch(`${leader.url}/readyz`)).status).toBe(200);

    const standbyText = await metricsOf(standby);
    expect(standbyText).toContain('kube_devops_leader_status{component="watch"} 0');
    expect(standbyText).not.toContain("cluster_health_score");
    // Ready once it has read the lease; right after start that first read can still be in flight.
    const ready = await eventually(async () => {
      const res = await fetch(`${standby.url}/readyz`);
      return res.status === 200 ? res : undefined;
    }, "the standby to be Ready");
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { reasons: string[] }).reasons.join()).toContain("standby");

    // promtool is a CI dependency (.ci/run installs the prometheus package): missing it is a failure.
    const promtool = Bun.which("promtool");
    expect(promtool).not.toBeNull();
    const check = Bun.spawnSync([promtool!, "check", "metrics"], { stdin: new TextEncoder().encode(leaderText), stdout: "pipe", stderr: "pipe" });
    // The only finding is the reference's own contract: a gauge named pods_tracked_total (§7.1); lint exit code 3, no parse error (1).
    const problems = `${check.stdout.toString()}${check.stderr.toString()}`.split("\n").filter(Boolean);
    expect(problems).toEqual(['pods_tracked_total non-counter metrics should not have "_total" suffix']);
    expect(check.exitCode).toBe(3);

    // A real Prometheus scrapes the leader once and sees the series through its HTTP API.
    const prometheus = Bun.which("prometheus");
    expect(prometheus).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), "kd-prom-"));
    const target = new URL(leader.url).host;
    writeFileSync(join(dir, "prometheus.yml"), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: watch\n    static_configs:\n      - targets: ["${target}"]\n`);
    const promPort = await freePort();
    const prom = Bun.spawn([prometheus!, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdout: "ignore", stderr: "ignore" });
    replicas.push(prom);
    try {
      const value = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=cluster_health_score`);
        const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
        return body.data?.result?.[0]?.value[1];
      }, "Prometheus to scrape cluster_health_score", 30_000);
      expect(Number(value)).toBe(expected.cluster);
    } finally {
      prom.kill("SIGTERM");
      await prom.exited;
    }

    // Failover: SIGKILL the leader (no release); the standby takes over once the lease expires.
    leader.proc.kill("SIGKILL");
    await eventually(async () => ((await holder()) === standby.identity ? true : undefined), "the standby to take the lease", 15_000);
    const taken = await eventually(async () => {
      const s = scrapedScores(await metricsOf(standby));
      return s.present ? s : undefined;
    }, "the new leader's scores", 15_000);
    expect(taken).toEqual({ present: true, ...(await fresh()) });
    expect(await metricsOf(standby)).toContain('kube_devops_leader_status{component="watch"} 1');

    // SIGTERM: graceful, exit 0, lease released.
    standby.proc.kill("SIGTERM");
    const code = await Promise.race([standby.proc.exited, Bun.sleep(25_000).then(() => "timeout" as const)]);
    expect(code).toBe(0);
    expect(await holder()).toBeUndefined();
    expect(standby.log().includes('"controller_stopped"')).toBe(true);
  }, 90_000);
});
