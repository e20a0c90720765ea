/**
 * multi-cluster against two API emulators as two clusters in one kubeconfig:
 * the aggregate is the pod-weighted mean of what `analyze` gives per cluster;
 * findings per severity are the bundle's (or a policy file's), and `--fail-on` exits as `analyze`'s;
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

type Counts = Record<"critical" | "high" | "medium" | "low", number>;
const counts = (critical: number, high: number, medium: number, low: number): Counts => ({ critical, high, medium, low });

/** What `analyze --context <c> --bundle <b>` says per severity: its scored findings, counted. */
async function analyzeCounts(context: string, bundle: string): Promise<Counts> {
  const { code, stdout } = await kd(["analyze", "--bundle", bundle, "-o", "json", "--context", context]);
  expect(code).toBe(0);
  const doc = JSON.parse(stdout) as { workloads: Array<{ findings: Array<{ severity: keyof Counts; exempt: boolean }> }> };
  const result = counts(0, 0, 0, 0);
  for (const w of doc.workloads) for (const f of w.findings) if (!f.exempt) result[f.severity]++;
  return result;
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

  test("findings per severity are the bundle's (severityOverrides), per cluster and summed, as analyze gives them", async () => {
    // east: b (web:latest, no probes) and c (nginx, untagged); west: d without probes. Default severities:
    // latest_tag high, missing_liveness medium, missing_readiness low; restricted moves them to
    // critical/high/high, permissive to low/low/low; baseline keeps them but checks no liveness.
    const expected: Record<string, Counts[]> = {
      baseline: [counts(0, 2, 0, 1), counts(0, 0, 0, 1)],
      restricted: [counts(2, 2, 0, 0), counts(0, 2, 0, 0)],
      permissive: [counts(0, 0, 0, 4), counts(0, 0, 0, 2)],
    };
    for (const [bundle, [east, west]] of Object.entries(expected)) {
      const { code, stdout } = await kd(["multi-cluster", "analyze", "--bundle", bundle, "-o", "json"]);
      expect(code).toBe(0);
      const doc = JSON.parse(stdout) as { clusters: Array<{ bySeverity: Counts; violations: number }>; aggregate: { bySeverity: Counts } };
      expect(doc.clusters.map((c) => c.bySeverity)).toEqual([east!, west!]);
      expect(doc.clusters.map((c) => c.bySeverity)).toEqual([await analyzeCounts("east", bundle), await analyzeCounts("west", bundle)]);
      for (const c of doc.clusters) expect(Object.values(c.bySeverity).reduce((a, b) => a + b, 0)).toBe(c.violations);
      const sum = (k: keyof Counts) => east![k] + west![k];
      expect(doc.aggregate.bySeverity).toEqual(counts(sum("critical"), sum("high"), sum("medium"), sum("low")));
    }
  });

  test("--policy <file> checks every cluster with the file's DevOpsPolicy, alone or with a bundle (strictest wins), as analyze --policy does", async () => {
    const file = join(dir, "no-latest.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: no-latest\n  namespace: shop\nspec:\n  forbidLatestTag: true\n  severityOverrides:\n    latestTag: critical\n");
    const cases: Array<{ extra: string[]; expected: Counts[]; checks: string }> = [
      { extra: [], expected: [counts(2, 0, 0, 0), counts(0, 0, 0, 0)], checks: `policy ${file}:1` },
      { extra: ["--bundle", "baseline"], expected: [counts(2, 0, 0, 1), counts(0, 0, 0, 1)], checks: `bundle baseline + policy ${file}:1` },
    ];
    for (const { extra, expected, checks } of cases) {
      const { code, stdout } = await kd(["multi-cluster", "analyze", "--policy", file, ...extra, "-o", "json"]);
      expect(code).toBe(0);
      const doc = JSON.parse(stdout) as { bundle?: string; checks: string; clusters: Array<{ bySeverity: Counts }> };
      expect(doc.bundle).toBeUndefined();
      expect(doc.checks).toBe(checks);
      expect(doc.clusters.map((c) => c.bySeverity)).toEqual(expected);
      for (const [i, context] of ["east", "west"].entries()) {
        const one = await kd(["analyze", "--policy", file, ...extra, "-o", "json", "--context", context]);
        const findings = (JSON.parse(one.stdout) as { workloads: Array<{ findings: Array<{ severity: keyof Counts }> }> }).workloads.flatMap((w) => w.findings);
        expect(findings.length).toBe(Object.values(expected[i]!).reduce((a, b) => a + b, 0));
      }
    }
    const table = await kd(["multi-cluster", "analyze", "--policy", file]);
    expect(table.stdout).toContain(`Analyzing 2 cluster(s) with policy ${file}:1...`);
    const empty = join(dir, "empty.yaml");
    writeFileSync(empty, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
    const none = await kd(["multi-cluster", "analyze", "--policy", empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--policy ${empty}: the file holds no DevOpsPolicy`);
  });

  test("the table keeps the reference's lines and adds the severities beside them", async () => {
    const { code, stdout } = await kd(["multi-cluster", "analyze", "--bundle", "restricted", "--per-cluster"]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.slice(0, 4)).toEqual(["Analyzing 2 cluster(s) with 'restricted' bundle...", "", "CLUSTER                        SCORE  PODS  VIOLATIONS STATUS", "-".repeat(75)]);
    expect(lines[4]).toMatch(/^east {26} +\d+     3           4 \w+$/);
    expect(lines[5]).toMatch(/^west {26} +\d+     1           2 \w+$/);
    expect(lines.slice(6, 12)).toEqual([
      "",
      "CLUSTER                        CRITICAL   HIGH  MEDIUM    LOW",
      "-".repeat(75),
      "east                                  2      2       0      0",
      "west                                  0      2       0      0",
      "",
    ]);
    expect(lines.slice(12)).toEqual([
      "Findings by severity: critical 2, high 4, medium 0, low 0",
      expect.stringMatching(/^Aggregate: \w+ — score \d+\/100 across 2 cluster\(s\)$/) as unknown as string,
      "",
    ]);
  });

  test("--fail-on exits with analyze's gate code when a cluster has a finding at or above it, 0 otherwise", async () => {
    const single = await kd(["analyze", "--context", "east", "--bundle", "baseline", "--fail-on", "high"]);
    expect(single.code).toBe(3);
    const failing = await kd(["multi-cluster", "analyze", "--bundle", "baseline", "--fail-on", "high"]);
    expect(failing.code).toBe(single.code);
    expect(failing.stderr).toContain("2 violation(s) at or above severity high (--fail-on high) in east");
    expect(failing.stdout).toContain("Findings by severity: critical 0, high 2, medium 0, low 2");
    // The same clusters pass under permissive, whose overrides make every finding low.
    expect((await kd(["analyze", "--context", "east", "--bundle", "permissive", "--fail-on", "high"])).code).toBe(0);
    expect((await kd(["multi-cluster", "analyze", "--bundle", "permissive", "--fail-on", "high"])).code).toBe(0);
    // west alone: only a low finding under baseline; restricted raises its missing probes to high.
    expect((await kd(["multi-cluster", "analyze", "--contexts", "west", "--fail-on", "high"])).code).toBe(0);
    const west = await kd(["multi-cluster", "analyze", "--contexts", "west", "--bundle", "restricted", "--fail-on", "high", "-o", "json"]);
    expect(west.code).toBe(3);
    expect(west.stderr).toContain("in west");
    expect(JSON.parse(west.stdout).aggregate.bySeverity).toEqual(counts(0, 2, 0, 0));
    const bad = await kd(["multi-cluster", "analyze", "--fail-on", "severe"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --fail-on "severe": expected critical, high, medium or low');
  });

  test("--min-score exits 4 as analyze does when any analyzed cluster scores below it, naming it", async () => {
    const doc = JSON.parse((await kd(["multi-cluster", "analyze", "--bundle", "baseline", "-o", "json"])).stdout) as { clusters: { context: string; score: number }[] };
    const scores = Object.fromEntries(doc.clusters.map((c) => [c.context, c.score]));
    const lowest = Math.min(...Object.values(scores));
    const worst = doc.clusters.filter((c) => c.score === lowest).map((c) => `${c.context} (${c.score})`).join(", ");
    const failing = await kd(["multi-cluster", "analyze", "--bundle", "baseline", "--min-score", String(lowest + 1)]);
    expect({ code: failing.code, names: failing.stderr.includes(`score below --min-score ${lowest + 1} in ${worst}`) }).toEqual({ code: 4, names: true });
    expect((await kd(["multi-cluster", "analyze", "--bundle", "baseline", "--min-score", String(lowest)])).code).toBe(0);
    const bad = await kd(["multi-cluster", "analyze", "--min-score", "101"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --min-score "101": expected an integer 0-100');
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
    expect(failed.stderr).toContain("context west (");
    expect(failed.stderr).toContain("1 of 2 cluster(s) failed: west");
    expect(failed.stdout).toMatch(/west\s+-\s+-\s+- ERROR/);
    const partial = await kd(["multi-cluster", "analyze", "--allow-partial"]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain("across 1 cluster(s)");
  });

  test("with a cluster down, --fail-on still exits 1 naming it; --allow-partial judges the gate on the rest", async () => {
    await west.stop().catch(() => undefined);
    const down = await kd(["multi-cluster", "analyze", "--fail-on", "high"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("context west (");
    expect(down.stderr).toContain("1 of 2 cluster(s) failed: west");
    expect(down.stderr).toContain("judge --fail-on on the clusters that answered");
    const partial = await kd(["multi-cluster", "analyze", "--fail-on", "high", "--allow-partial", "--per-cluster"]);
    expect(partial.code).toBe(3);
    expect(partial.stderr).toContain("2 violation(s) at or above severity high (--fail-on high) in east");
    expect(partial.stdout).toMatch(/\nwest {26}( +-){4}\n/);
    expect(partial.stdout).toContain("Findings by severity: critical 0, high 2, medium 0, low 1\nAggregate:");
    expect((await kd(["multi-cluster", "analyze", "--fail-on", "critical", "--allow-partial"])).code).toBe(0);
    const none = await kd(["multi-cluster", "analyze", "--contexts", "west", "--fail-on", "low", "--allow-partial"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No clusters could be analyzed (west)");
  });

  test("an unknown bundle gets the reference's message and exit 2, a usage error like every unknown bundle name", async () => {
    const { code, stderr } = await kd(["multi-cluster", "analyze", "--bundle", "strictest"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown bundle 'strictest'. Use 'policy bundle-list' to see available bundles.");
  });

  test("an unknown context is a usage error", async () => {
    const { code, stderr } = await kd(["multi-cluster", "analyze", "--contexts", "east,north"]);
    expect(code).toBe(2);
    expect(stderr).toContain("north");
  });
});
