/**
 * multi-cluster analyze counts each cluster once: the emulator's own kubeconfig has two
 * contexts on one server (`emulator` with a token, `emulator-cert` with a client certificate),
 * and a repeated `--contexts` name or an empty `--contexts` must not double or widen the fleet.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";
import YAML from "yaml";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const kubeconfig = join(mkdtempSync(join(tmpdir(), "kd-mc-same-")), "kubeconfig");
const kd = (args: string[]) => runBinaryAsync([...args, "--kubeconfig", kubeconfig], { timeoutMs: 60_000 });

interface Doc {
  clusters: Array<{ context: string; pods: number }>;
  skippedContexts?: Array<{ context: string; sameClusterAs: string; server: string }>;
  aggregate: { pods: number; violations: number };
}

beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  for (const name of ["a", "b"]) {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "shop" }, spec: { containers: [{ name: "c", image: "web:latest" }] }, status: { phase: "Running" } };
    await emu.store.create("pods", pod as never, { namespace: "shop" });
  }
  writeFileSync(kubeconfig, emu.kubeconfigYaml("admin"));
});

afterAll(async () => {
  await emu.stop();
});

describe("multi-cluster analyze: one cluster, counted once", () => {
  test("two contexts on the same server and CA (token and client certificate) are one cluster, with a warning naming both", async () => {
    const { code, stdout, stderr } = await kd(["multi-cluster", "analyze", "-o", "json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.clusters.map((c) => c.context)).toEqual(["emulator"]);
    expect(doc.aggregate.pods).toBe(2);
    expect(stderr).toContain("contexts emulator and emulator-cert point at the same cluster");
    // the report itself says which context was left out and why, for a reader without stderr
    expect(doc.skippedContexts).toEqual([{ context: "emulator-cert", sameClusterAs: "emulator", server: emu.url }]);
  });

  test("the same holds when both are named; the table says one cluster", async () => {
    const { code, stdout, stderr } = await kd(["multi-cluster", "analyze", "--contexts", "emulator-cert,emulator", "--per-cluster"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Analyzing 1 cluster(s)");
    expect(stdout).toContain("Aggregate: ");
    expect(stdout).toMatch(/emulator-cert\s+\d+\s+2\s/);
    expect(stderr).toContain("contexts emulator-cert and emulator point at the same cluster");
  });

  test("a context named twice is analyzed once, and stderr says so", async () => {
    const { code, stdout, stderr } = await kd(["multi-cluster", "analyze", "--contexts", "emulator,emulator", "-o", "json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.clusters).toHaveLength(1);
    expect(doc.aggregate.pods).toBe(2);
    expect(stderr).toContain("--contexts names emulator more than once");
    expect(doc.skippedContexts).toBeUndefined(); // a repeated name is not a second context
  });

  test("an empty --contexts is a usage error, not every context", async () => {
    for (const value of ["", ","]) {
      const { code, stdout, stderr } = await kd(["multi-cluster", "analyze", "--contexts", value]);
      expect(code).toBe(2);
      expect(stderr).toContain("Invalid --contexts");
      expect(stdout).toBe("");
    }
  });

  test("the global --context is refused, pointing at --contexts, instead of being ignored while every context is analyzed", async () => {
    const { code, stdout, stderr } = await runBinaryAsync(["--context", "emulator-cert", "multi-cluster", "analyze", "--kubeconfig", kubeconfig], { timeoutMs: 60_000 });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toContain("--context emulator-cert does not apply to multi-cluster analyze");
    expect(stderr).toContain("multi-cluster analyze --contexts emulator-cert");
  });
});

describe("multi-cluster analyze: one cluster through two endpoints", () => {
  // The same emulator as https://127.0.0.1:port and https://localhost:port: two server URLs (as a
  // load balancer and a node IP, or Rancher's proxy and its direct endpoint), one kube-system uid.
  const twoEndpoints = join(mkdtempSync(join(tmpdir(), "kd-mc-endpoints-")), "kubeconfig");
  const kdTwo = (args: string[]) => runBinaryAsync([...args, "--kubeconfig", twoEndpoints], { timeoutMs: 60_000 });

  beforeAll(() => {
    const doc = YAML.parse(emu.kubeconfigYaml("admin")) as { clusters: Array<{ name: string; cluster: { server: string } }>; contexts: Array<{ name: string; context: { cluster: string; user: string } }> };
    const first = doc.clusters[0]!;
    doc.clusters.push({ name: "by-hostname", cluster: { ...first.cluster, server: first.cluster.server.replace("127.0.0.1", "localhost") } });
    const context = doc.contexts.find((c) => c.name === "emulator")!;
    doc.contexts = [context, { name: "emulator-by-hostname", context: { ...context.context, cluster: "by-hostname" } }];
    writeFileSync(twoEndpoints, YAML.stringify(doc));
  });

  test("a second server URL of an analyzed cluster (same kube-system namespace uid) is counted once, named in the report and on stderr", async () => {
    const { code, stdout, stderr } = await kdTwo(["multi-cluster", "analyze", "-o", "json"]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.clusters.map((c) => c.context)).toEqual(["emulator"]);
    expect(doc.aggregate.pods).toBe(2);
    const uid = emu.store.get("namespaces", undefined, "kube-system").metadata?.uid;
    expect(uid).toBeString();
    expect(stderr).toContain(`contexts emulator and emulator-by-hostname reach the same cluster (namespace kube-system uid ${uid}, also through ${emu.url.replace("127.0.0.1", "localhost")})`);
    expect(doc.skippedContexts).toEqual([{ context: "emulator-by-hostname", sameClusterAs: "emulator", server: emu.url.replace("127.0.0.1", "localhost") }]);
  });

  test("--per-cluster lists the cluster once; the first context named is the one kept", async () => {
    const { code, stdout } = await kdTwo(["multi-cluster", "analyze", "--contexts", "emulator-by-hostname,emulator", "--per-cluster"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/emulator-by-hostname\s+\d+\s+2\s/);
    expect(stdout).not.toMatch(/^emulator\s+\d+/m);
  });
});
