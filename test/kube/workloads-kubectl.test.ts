/**
 * The simulated controllers seen through the real kubectl: a Deployment applied with kubectl
 * gets a ReplicaSet and Running pods, `rollout status` completes, a template change rolls a
 * new ReplicaSet, and deleting the Deployment garbage-collects both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "./emulator.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  emu = await startEmulator({ controllers: true });
  dir = mkdtempSync(join(tmpdir(), "emu-workloads-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  emu.store.load({ apiVersion: "v1", kind: "Node", metadata: { name: "worker-1" }, status: { addresses: [{ type: "InternalIP", address: "192.168.1.10" }] } });
});
afterAll(() => emu.stop());

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${code}): ${stderr}`);
  return stdout;
}

const deployment = (image: string): string =>
  JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image }] } } },
  });

const columns = (out: string): string[][] => out.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));

test("a Deployment applied with kubectl rolls out, rolls again on a template change, and is garbage-collected", async () => {
  await kubectl(["apply", "--validate=false", "-f", "-"], deployment("nginx:1.27"));
  await emu.settle();
  expect(await kubectl(["rollout", "status", "deployment/web", "--timeout=30s"])).toContain('deployment "web" successfully rolled out');

  const rs1 = columns(await kubectl(["get", "rs", "-l", "app=web"]));
  expect(rs1.length).toBe(1);
  const [rsName, desired, current, ready] = rs1[0]!;
  expect(rsName).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  expect([desired, current, ready]).toEqual(["2", "2", "2"]);
  const pods = columns(await kubectl(["get", "pods", "-l", "app=web", "-o", "wide"]));
  expect(pods.map((p) => [p[0]?.startsWith(`${rsName}-`), p[1], p[2], p[3], p[6]])).toEqual([
    [true, "1/1", "Running", "0", "worker-1"],
    [true, "1/1", "Running", "0", "worker-1"],
  ]);

  await kubectl(["apply", "--validate=false", "-f", "-"], deployment("nginx:1.28"));
  await emu.settle();
  expect(await kubectl(["rollout", "status", "deployment/web", "--timeout=30s"])).toContain("successfully rolled out");
  const rs2 = columns(await kubectl(["get", "rs", "-l", "app=web", "--sort-by=.metadata.annotations.deployment\\.kubernetes\\.io/revision"]));
  expect(rs2.map((r) => [r[0] === rsName, r[1], r[2]])).toEqual([
    [true, "0", "0"],
    [false, "2", "2"],
  ]);
  expect((await kubectl(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}"])).split(" ")).toEqual(["nginx:1.28", "nginx:1.28"]);
  expect(await kubectl(["get", "deployment", "web", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"])).toBe("2");

  await kubectl(["delete", "deployment", "web"]);
  await emu.settle();
  expect(await kubectl(["get", "rs,pods", "-l", "app=web", "-o", "name"])).toBe("");
});
