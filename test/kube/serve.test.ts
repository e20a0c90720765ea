/**
 * Seeds and the emulator process (test/kube/serve.ts): multi-document YAML, JSON and Lists,
 * status kept, the exact ready line, kubectl against it, clean exit on SIGTERM; and a
 * 100k-pod List that loads and lists in pages of 500.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "./emulator.ts";
import { readSeeds } from "./seed.ts";
import { call } from "./test-client.ts";

const dir = mkdtempSync(join(tmpdir(), "emu-seed-"));
// serve.ts runs until signalled: a failing assertion must not leave it running after the suite
const spawned: { kill(signal?: number | NodeJS.Signals): void }[] = [];
afterAll(() => {
  for (const p of spawned) p.kill("SIGKILL");
});

describe("seeds", () => {
  test("multi-document YAML, JSON and Lists, namespaces and CRDs ordered first", () => {
    mkdirSync(join(dir, "seeds"));
    writeFileSync(join(dir, "seeds", "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
    writeFileSync(join(dir, "seeds", "b.json"), JSON.stringify({ apiVersion: "v1", kind: "PodList", items: [{ metadata: { name: "p", namespace: "team" }, spec: { containers: [{ name: "c", image: "x" }] }, status: { phase: "Running" } }] }));
    const objs = readSeeds([join(dir, "seeds")]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["Namespace/team", "ConfigMap/a", "Pod/p"]);
    expect(objs[2]?.apiVersion).toBe("v1");
  });

  test("a broken YAML seed names the file and line", () => {
    writeFileSync(join(dir, "bad.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n");
    expect(() => readSeeds([join(dir, "bad.yaml")])).toThrow(/bad\.yaml:\d+: invalid YAML/);
  });

  test("serve.ts prints the ready line, serves seeded objects with their status, exits 0 on SIGTERM", async () => {
    const kc = join(dir, "kubeconfig");
    const proc = Bun.spawn(["bun", join(import.meta.dir, "serve.ts"), "--port", "0", "--kubeconfig-out", kc, "--seed", join(dir, "seeds")], { stdout: "pipe", stderr: "pipe" });
    spawned.push(proc);
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toMatch(/^ready https:\/\/127\.0\.0\.1:\d+\n$/);
    const k = Bun.spawn(["kubectl", "--kubeconfig", kc, "--cache-dir", join(dir, "cache"), "get", "pods", "-n", "team", "-o", "jsonpath={.items[0].status.phase}"], { stdout: "pipe", stderr: "pipe" });
    expect(await new Response(k.stdout).text()).toBe("Running");
    expect(await k.exited).toBe(0);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("serve.ts --controllers runs the simulated workload controllers", async () => {
    const seedFile = join(dir, "deploy.yaml");
    writeFileSync(seedFile, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx:1}]}\n");
    const kc = join(dir, "kubeconfig-ctl");
    const proc = Bun.spawn(["bun", join(import.meta.dir, "serve.ts"), "--kubeconfig-out", kc, "--seed", seedFile, "--controllers"], { stdout: "pipe", stderr: "pipe" });
    spawned.push(proc);
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toStartWith("ready https://127.0.0.1:");
    let pods = "";
    for (let i = 0; i < 50 && pods.split("\n").filter(Boolean).length < 2; i++) {
      const k = Bun.spawn(["kubectl", "--kubeconfig", kc, "--cache-dir", join(dir, "cache-ctl"), "get", "pods", "-l", "app=web", "-o", "name"], { stdout: "pipe", stderr: "pipe" });
      pods = await new Response(k.stdout).text();
      await k.exited;
      if (pods.split("\n").filter(Boolean).length < 2) await Bun.sleep(100);
    }
    expect(pods.split("\n").filter(Boolean)).toHaveLength(2);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("serve.ts rejects unknown arguments with exit code 2", async () => {
    const proc = Bun.spawn(["bun", join(import.meta.dir, "serve.ts"), "--bogus"], { stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain('unknown argument "--bogus"');
  });
});

describe("scale", () => {
  test("100k pods load from a List seed and list in pages of 500", async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({ metadata: { name: `pod-${i}`, namespace: `ns-${i % 20}`, labels: { app: `a${i % 7}` } }, spec: { nodeName: `node-${i % 30}`, containers: [{ name: "c", image: "nginx:1.25" }] }, status: { phase: i % 10 === 0 ? "Pending" : "Running" } }));
    const file = join(dir, "100k.json");
    writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "PodList", items }));
    const emu = await startEmulator({ seed: readSeeds([file]) });
    try {
      let cont = "";
      let count = 0;
      let pages = 0;
      const names = new Set<string>();
      do {
        const r = (await call(emu, `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`)).body;
        expect(r.items.length).toBeLessThanOrEqual(500);
        for (const p of r.items) names.add(`${p.metadata.namespace}/${p.metadata.name}`);
        count += r.items.length;
        cont = r.metadata.continue ?? "";
        pages++;
      } while (cont);
      expect(pages).toBe(200);
      expect(count).toBe(100_000);
      expect(names.size).toBe(100_000);
      const pending = (await call(emu, "/api/v1/namespaces/ns-0/pods?fieldSelector=status.phase%3DPending&limit=500")).body;
      expect(pending.items.every((p: any) => p.status.phase === "Pending")).toBe(true);
      expect(pending.items.length).toBe(500);
    } finally {
      await emu.stop();
    }
  }, 120_000);
});
