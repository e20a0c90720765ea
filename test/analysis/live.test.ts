/**
 * Live `analyze`, `list pods` and `check` on the compiled binary against the
 * API emulator over HTTPS, seeded with examples/cluster-snapshot.yaml plus
 * 1,200 pods (three pages). The same state gives the same numbers live and
 * offline (from a real `kubectl get -o yaml` dump of the emulator).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDevOpsPolicyCrd } from "../../gen/crd.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import type { KubeObject } from "../kube/types.ts";
import { ensureBinary, ROOT } from "../support/binary.ts";

setDefaultTimeout(60_000);

let emu: Emulator;
let dir: string;
let kubeconfig: string;
const NOW = "2026-11-25T12:00:00Z";

function bulkPod(i: number): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `bulk-${String(i).padStart(4, "0")}`, namespace: "bulk", labels: { tier: i % 2 ? "odd" : "even" } },
    spec: { containers: [{ name: "c", image: i % 100 === 0 ? "busybox" : "busybox:1.36", livenessProbe: { exec: { command: ["true"] } }, readinessProbe: { exec: { command: ["true"] } } }] },
    status: { phase: "Running", containerStatuses: [{ name: "c", restartCount: i % 250 === 0 ? 7 : 0 }] },
  } as KubeObject;
}

beforeAll(async () => {
  const snapshot = Bun.YAML.parse(readFileSync(join(ROOT, "examples/cluster-snapshot.yaml"), "utf8")) as { items: KubeObject[] };
  emu = await startEmulator({ seed: [...snapshot.items, ...Array.from({ length: 1200 }, (_, i) => bulkPod(i))] });
  await emu.settle();
  dir = mkdtempSync(join(tmpdir(), "kd-live-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  ensureBinary();
});
afterAll(() => emu.stop());

/** The emulator shares this process: run children asynchronously, never spawnSync. */
async function run(cmd: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
const kd = (...args: string[]) => run([ensureBinary(), "--kubeconfig", kubeconfig, ...args]);
const kubectl = (...args: string[]) => run(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args]);

async function json(args: string[]) {
  const r = await kd(...args);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("analyze live", () => {
  test("scores every pod across pages and attributes pods to workloads through the API", async () => {
    const live = await json(["analyze", "-o", "json", "--now", NOW]);
    expect(live.summary.total_pods).toBe(19 + 1200);
    expect(live.summary).toMatchObject({ latest_tag: 4 + 12, high_restarts: 10 + 5 * 5, pending: 2, exempt: 1 });
    const keys = live.workloads.map((w: { kind: string; namespace: string; name: string }) => `${w.kind}/${w.namespace}/${w.name}`);
    expect(keys).toContain("Deployment/shop/cart");
    expect(keys).toContain("CronJob/batch/nightly-backup");
    expect(keys).toContain("StatefulSet/data/postgres");
    expect(live.skipped).toMatchObject({ succeeded: 1, systemNamespace: 3 });
  });

  test("the same state gives the same numbers offline, from kubectl's pods dump and from a full dump", async () => {
    for (const bundle of [[], ["--bundle", "restricted"]]) {
      const live = await json(["analyze", "-o", "json", "--now", NOW, ...bundle]);
      // A pods-only dump cannot show the Deployment-level exemption (metabase): compare without exemptions.
      const liveAll = await json(["analyze", "-o", "json", "--now", NOW, "--no-exemptions", ...bundle]);
      const podsDump = await kubectl("get", "pods", "-A", "-o", "yaml");
      expect(podsDump.code).toBe(0);
      writeFileSync(join(dir, "pods.yaml"), podsDump.stdout);
      const fromPods = await json(["analyze", "-f", join(dir, "pods.yaml"), "-o", "json", "--now", NOW, "--no-exemptions", ...bundle]);
      expect(fromPods.summary).toEqual(liveAll.summary);
      expect(fromPods.namespaces).toEqual(liveAll.namespaces);
      const allDump = await kubectl("get", "pods,replicasets,deployments,statefulsets,jobs,cronjobs", "-A", "-o", "json");
      writeFileSync(join(dir, "all.json"), allDump.stdout);
      const fromAll = await json(["analyze", "-f", join(dir, "all.json"), "-o", "json", "--now", NOW, ...bundle]);
      expect(fromAll.summary).toEqual(live.summary);
      const strip = (ws: { kind: string; namespace: string; name: string; violations: number; gain: number }[]) => ws.map((w) => [w.kind, w.namespace, w.name, w.violations, w.gain]);
      expect(strip(fromAll.workloads)).toEqual(strip(live.workloads));
    }
  });

  test("-n, -l and --exclude-namespaces narrow the scan; --fail-on gates live too", async () => {
    expect((await json(["analyze", "-o", "json", "-n", "shop"])).summary.total_pods).toBe(8);
    expect((await json(["analyze", "-o", "json", "-n", "bulk", "-l", "tier=odd"])).summary.total_pods).toBe(600);
    expect((await json(["analyze", "-o", "json", "--exclude-namespaces", "bulk,dev"])).summary.total_pods).toBe(17);
    const gate = await kd("analyze", "-n", "shop", "--fail-on", "critical");
    expect(gate.code).toBe(3);
    expect(gate.stdout.startsWith("===== DevOps Governance Summary =====")).toBe(true);
  });

  test("--policy <ns/name> reads the DevOpsPolicy from the cluster; a missing one is a clean error", async () => {
    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", renderDevOpsPolicyCrd() as never);
    await emu.settle();
    const policy = { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "limits", namespace: "shop" }, spec: { requireResourceLimits: true, severityOverrides: { missingLimits: "critical" } } };
    let created = false;
    for (let i = 0; i < 50 && !created; i++) {
      try {
        await emu.store.create("devopspolicies.devops.stochastic.io", policy as never, { namespace: "shop" });
        created = true;
      } catch {
        await Bun.sleep(50); // the CRD becomes Established asynchronously
      }
    }
    expect(created).toBe(true);
    const r = await json(["analyze", "-n", "shop", "--policy", "shop/limits", "-o", "json"]);
    expect(r.source).toBe("policy shop/limits");
    expect(r.checks).toEqual(["missing_limits"]);
    // cart's redis sidecar and recommendations have no limits; cart's own container lacks a cpu limit
    expect(r.summary.missing_limits).toBeGreaterThan(0);
    expect((await kd("analyze", "-n", "shop", "--policy", "limits", "--fail-on", "critical")).code).toBe(3);
    const missing = await kd("analyze", "--policy", "shop/nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*nope/);
    const missingFile = await kd("analyze", "--policy", "nonexistent.yaml");
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toContain("error: --policy nonexistent.yaml: no such file, and no DevOpsPolicy by that name");
  });

  test("owners the identity may not list are left unresolved with a warning, not a failure", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: !(a.resource === "replicasets" && a.verb === "list"), reason: "test" });
    try {
      const r = await kd("analyze", "-n", "shop", "-o", "json");
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("cannot list replicasets");
      const keys = JSON.parse(r.stdout).workloads.map((w: { kind: string }) => w.kind);
      expect(keys).toContain("ReplicaSet");
    } finally {
      emu.hooks.authorize = saved;
    }
  });

  test("an unreachable cluster is a clean error (exit 1)", async () => {
    const bad = join(dir, "bad-kubeconfig");
    writeFileSync(bad, readFileSync(kubeconfig, "utf8").replace(emu.url, "https://127.0.0.1:1"));
    const r = await run([ensureBinary(), "--kubeconfig", bad, "analyze", "-n", "shop"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stdout).toBe("");
  });
});

describe("list pods", () => {
  test("the reference's table: widths 20/60/12/15, a 107-dash rule, sorted, Total", async () => {
    const r = await kd("list", "pods", "-n", "dev");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`${"NAMESPACE".padEnd(20)} ${"NAME".padEnd(60)} ${"STATUS".padEnd(12)} ${"NODE".padEnd(15)}`);
    expect(lines[1]).toBe("-".repeat(107));
    expect(lines[2]).toBe(`${"dev".padEnd(20)} ${"debug-shell".padEnd(60)} ${"Running".padEnd(12)} ${"worker-b".padEnd(15)}`);
    expect(lines[3]).toBe(`${"dev".padEnd(20)} ${"load-test".padEnd(60)} ${"Pending".padEnd(12)} ${"Not Scheduled".padEnd(15)}`);
    expect(r.stdout.endsWith("\nTotal: 2 pods\n")).toBe(true);
  });

  test("all namespaces by default; -o wide adds readiness, restarts and owner; -o yaml round-trips into analyze", async () => {
    const all = await kd("list", "pods");
    expect(all.stdout).toContain(`Total: ${23 + 1200} pods`);
    const wide = await kd("list", "pods", "-n", "shop", "-o", "wide");
    expect(wide.stdout).toMatch(/checkout-\S+\s+Running\s+\S+\s+0\/1\s+14\s+\S+\s+\S+\s+ReplicaSet\/checkout-/);
    const yaml = await kd("list", "pods", "-A", "-o", "yaml");
    const offline = await run([ensureBinary(), "analyze", "-f", "-", "-o", "json", "--now", NOW, "--no-exemptions"], yaml.stdout);
    const live = await json(["analyze", "-o", "json", "--now", NOW, "--no-exemptions"]);
    expect(JSON.parse(offline.stdout).summary).toEqual(live.summary);
  });

  test("another resource is refused", async () => {
    const r = await kd("list", "deployments");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unsupported resource 'deployments'. Supported: pods");
  });
});

describe("check", () => {
  test("reachable with every permission: version, the permission table, exit 0", async () => {
    const r = await kd("check", "--preflight", "--verbose");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Running cluster connectivity checks...\n\n  Kubeconfig .................. OK\n  Cluster connection .......... OK (v1.32)\n");
    expect(r.stdout).toMatch(/ {2}List nodes permission \.{7} OK \(\d+ nodes\)/);
    expect(r.stdout).toMatch(/reconcile\s+patch\s+deployments\.apps\s+\*\s+OK/);
    expect(r.stdout).toContain("All checks completed.");
  });

  test("a missing permission fails: one line per component, one hint; --verbose reproduces each", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = () => ({ allowed: true });
    // SelfSubjectAccessReview answers come from the authorizer: deny two grants.
    emu.hooks.authorize = (a) => ({ allowed: !(a.resource === "leases" || (a.resource === "deployments" && a.verb === "patch")), reason: "denied by test" });
    try {
      const r = await kd("check", "--component", "reconcile", "--preflight");
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("  Permissions reconcile ....... DENIED (4 of 25: patch deployments.apps; get,update leases.coordination.k8s.io/kube-devops-reconcile; create leases.coordination.k8s.io)\n");
      expect(r.stdout.match(/hint:/g)).toHaveLength(1);
      expect(r.stdout).not.toContain("kubectl auth can-i");
      expect(r.stderr).toContain("permissions denied");
      const verbose = await kd("check", "--component", "reconcile", "--preflight", "--verbose");
      expect(verbose.stdout).toMatch(/reconcile\s+patch\s+deployments\.apps\s+\*\s+DENIED/);
      expect(verbose.stdout).toContain("DENIED reconcile: kubectl auth can-i patch deployments.apps --all-namespaces — needed by");
      expect(verbose.stdout).toContain("DENIED reconcile: kubectl auth can-i get leases.coordination.k8s.io/kube-devops-reconcile -n kube-devops — needed by");
    } finally {
      emu.hooks.authorize = saved;
    }
  });

  test("a component's own identity, without the CLI's list of pods and nodes, passes --component webhook", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: !(a.verb === "list" && a.resource === "nodes") && !(a.verb === "list" && a.resource === "pods" && a.namespace === ""), reason: "denied by test" });
    try {
      const webhook = await kd("check", "--component", "webhook", "--preflight");
      expect(webhook.stdout).toMatch(/List nodes permission \.+ FAIL \(.*; only the CLI needs it\)/);
      expect(webhook.code).toBe(0);
      const cli = await kd("check", "--component", "cli");
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain("cannot list nodes");
    } finally {
      emu.hooks.authorize = saved;
    }
  });

  test("--cert-mode cert-manager: a webhook without Secret or caBundle access passes", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: !(a.resource === "secrets" || a.resource === "validatingwebhookconfigurations"), reason: "denied by test" });
    try {
      const selfManaged = await kd("check", "--component", "webhook", "--preflight", "--verbose");
      expect(selfManaged.code).toBe(1);
      expect(selfManaged.stdout).toMatch(/webhook\s+create\s+secrets\s+kube-devops\s+DENIED/);
      const certManager = await kd("check", "--component", "webhook", "--cert-mode", "cert-manager", "--preflight", "--verbose");
      expect(certManager.code).toBe(0);
      expect(certManager.stdout).not.toContain("secrets");
      expect((await kd("check", "--cert-mode", "manual")).code).toBe(2);
    } finally {
      emu.hooks.authorize = saved;
    }
  });

  test("an unreachable cluster: FAIL, the reference's hint, exit 1", async () => {
    const bad = join(dir, "bad-kubeconfig2");
    writeFileSync(bad, readFileSync(kubeconfig, "utf8").replace(emu.url, "https://127.0.0.1:1"));
    const r = await run([ensureBinary(), "--kubeconfig", bad, "check"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  Cluster connection .......... FAIL\n\n  Error: ");
    expect(r.stdout).toContain("  Hint:  Is the cluster running? Check with: kubectl cluster-info");
  });
});
