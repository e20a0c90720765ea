/**
 * multi-cluster commands read every context of the kubeconfig themselves: a kubeconfig without
 * `current-context`, or whose current context is broken, must not stop them — `list-contexts
 * --probe` is where a user goes to find the broken one (`kubectl config get-contexts` lists them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-mc-current-"));
const noCurrent = join(dir, "no-current");
const brokenCurrent = join(dir, "broken-current");
const kd = (kubeconfig: string, args: string[]) => runBinaryAsync([...args, "--kubeconfig", kubeconfig], { timeoutMs: 60_000 });

beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "a", namespace: "shop" }, spec: { containers: [{ name: "c", image: "web:1" }] }, status: { phase: "Running" } };
  await emu.store.create("pods", pod as never, { namespace: "shop" });
  const config = parse(emu.kubeconfigYaml("admin")) as Record<string, unknown> & { contexts: Array<{ name: string; context: Record<string, string> }> };
  const { "current-context": _current, ...rest } = config;
  writeFileSync(noCurrent, stringify(rest));
  // a context whose cluster was deleted from the kubeconfig, left current (kubectl config delete-cluster does that)
  const broken = { ...config, "current-context": "gone", contexts: [...config.contexts, { name: "gone", context: { cluster: "deleted", user: config.contexts[0]?.context.user ?? "" } }] };
  writeFileSync(brokenCurrent, stringify(broken));
});

afterAll(async () => {
  await emu.stop();
});

describe("multi-cluster without a usable current context", () => {
  test("list-contexts lists and probes every context when the kubeconfig names no current one", async () => {
    const { code, stdout } = await kd(noCurrent, ["multi-cluster", "list-contexts", "--probe"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nemulator +reachable \(/);
  });

  test("a broken current context is one unreachable row, not a stopped command; the exit code says a context is unreachable", async () => {
    const { code, stdout, stderr } = await kd(brokenCurrent, ["multi-cluster", "list-contexts", "--probe"]);
    expect(stdout).toMatch(/\nemulator +reachable \(/);
    expect(stdout).toContain('* gone');
    expect(stdout).toContain('unreachable: Context "gone" names no cluster that the kubeconfig defines');
    // the whole table first, then exit 1 naming it, as multi-cluster analyze does for a failed cluster
    expect(code).toBe(1);
    expect(stderr).toMatch(/1 of \d+ context\(s\) unreachable: gone\n/);
    // without --probe nothing is contacted, so nothing fails
    expect((await kd(brokenCurrent, ["multi-cluster", "list-contexts"])).code).toBe(0);
  });

  test("analyze scores the contexts asked for, and names the broken current one as a failed cluster", async () => {
    const named = await kd(brokenCurrent, ["multi-cluster", "analyze", "--contexts", "emulator", "-o", "json"]);
    expect(named.code).toBe(0);
    expect((JSON.parse(named.stdout) as { aggregate: { pods: number } }).aggregate.pods).toBe(1);
    const all = await kd(noCurrent, ["multi-cluster", "analyze", "-o", "json"]);
    expect(all.code).toBe(0);
    const every = await kd(brokenCurrent, ["multi-cluster", "analyze"]);
    expect(every.code).toBe(1);
    expect(every.stderr).toContain("1 of 2 cluster(s) failed: gone");
  });
});
