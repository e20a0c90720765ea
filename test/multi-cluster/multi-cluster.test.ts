/**
 * multi-cluster against two API emulators as two clusters in one kubeconfig:
 * the aggregate is the pod-weighted mean of what `analyze` gives per cluster;
 * a stopped or slow cluster is named by its context and the exit code says so.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aggregateClusters } from "../../lib/multi-cluster/aggregate.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let east: Emulator;
let west: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-mc-"));
const kubeconfig = join(dir, "kubeconfig");

function pod(name: string, image: string, probes: boolean) {
  const probe = probes ? { livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } } : {};
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "shop" }, spec: { containers: [{ name: "c", image, ...probe }] }, status: { phase: "Running" } };
}

async function seed(emu: Emulator, pods: ReturnType<typeof pod>[]): Promise<void> {
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  for (const p of pods) await emu.store.create("pods", p as never, { namespace: "shop" });
}

const kd = (args: string[]) => runBinaryAsync([...args, "--kubeconfig", kubeconfig], { timeoutMs: 60_000 });

beforeAll(async () => {
  east = await startEmulator();
  west = await startEmulator();
  await seed(east, [pod("a", "web:1.0", true), pod("b", "web:latest", false), pod("c", "nginx", true)]);
  await seed(west, [pod("d", "api:2.1", false)]);
  writeFileSync(kubeconfig, renderKubeconfig([
    { name: "east", server: east.url, caPem: east.caPem, user: { token: east.adminToken } },
    { name: "west", server: west.url, caPem: west.caPem, user: { token: west.adminToken } },
  ]));
});

afterAll(async () => {
  await east.stop();
  await west.stop().catch(() => undefined);
});

describe("multi-cluster", () => {
  test("list-contexts --probe reports each server's version", async () => {
    const { code, stdout } = await kd(["multi-cluster", "list-contexts", "--probe"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\* east\s+reachable \(v\d+\.\d+/);
    expect(stdout).toMatch(/west\s+reachable/);
    expect(stdout).toContain("2 context(s) found.");
  });

  test("analyze aggregates exactly what analyze gives per cluster, pod-weighted", async () => {
    const per = [];
    for (const context of ["east", "west"]) {
      const one = await kd(["analyze", "--bundle", "baseline", "-o", "json", "--context", context]);
      expect(one.code).toBe(0);
      const doc = JSON.parse(one.stdout) as { summary: { score: number; total_pods: number; violations: number } };
      per.push(doc.summary);
    }
    const { code, stdout } = await kd(["multi-cluster", "analyze", "--bundle", "baseline", "-o", "json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { clusters: Array<{ context: string; server: string; score: number; pods: number }>; aggregate: { score: number; clusters: number } };
    expect(doc.clusters.map((c) => [c.context, c.pods])).toEqual([["east", 3], ["west", 1]]);
    expect(doc.aggregate).toEqual(aggregateClusters(doc.clusters));
    const expected = Math.floor((doc.clusters[0]!.score * 3 + doc.clusters[1]!.score * 1) / 4);
    expect(doc.aggregate.score).toBe(expected);
    expect(doc.clusters.map((c) => c.score)).toEqual(per.map((p) => p.score));
    expect(doc.clusters.map((c) => c.pods)).toEqual(per.map((p) => p.total_pods));
  });

  test("--per-cluster prints the reference's table and aggregate line", async () => {
    const { stdout } = await kd(["multi-cluster", "analyze", "--per-cluster"]);
    expect(stdout).toContain("Analyzing 2 cluster(s) with 'baseline' bundle...");
    expect(stdout).toMatch(/CLUSTER {24}SCORE  PODS  VIOLATIONS STATUS\n-{75}\neast/);
    expect(stdout).toMatch(/Aggregate: \w+ — score \d+\/100 across 2 cluster\(s\)/);
  });

  test("a slow cluster hits the per-cluster deadline and is named", async () => {
    west.faults.addLatency(5_000);
    const { code, stderr } = await kd(["multi-cluster", "analyze", "--timeout", "1s"]);
    west.faults.clear();
    expect(code).toBe(1);
    expect(stderr).toContain("context west");
    expect(stderr).toContain("timed out after 1s");
  });

  test("a stopped cluster fails naming its context; --allow-partial accepts the rest", async () => {
    await west.stop();
    const failed = await kd(["multi-cluster", "analyze", "--per-cluster"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("[ERROR] context west");
    expect(failed.stderr).toContain("1 of 2 cluster(s) failed: west");
    expect(failed.stdout).toMatch(/west\s+-\s+-\s+- ERROR/);
    const partial = await kd(["multi-cluster", "analyze", "--allow-partial"]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain("across 1 cluster(s)");
  });

  test("an unknown bundle gets the reference's message and exit 1", async () => {
    const { code, stderr } = await kd(["multi-cluster", "analyze", "--bundle", "strictest"]);
    expect(code).toBe(1);
    expect(stderr).toContain("Unknown bundle 'strictest'. Use 'policy bundle-list' to see available bundles.");
  });

  test("an unknown context is a usage error", async () => {
    const { code, stderr } = await kd(["multi-cluster", "analyze", "--contexts", "east,north"]);
    expect(code).toBe(2);
    expect(stderr).toContain("north");
  });
});
