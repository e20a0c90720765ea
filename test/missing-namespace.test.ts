/**
 * A mistyped `-n` on the compiled binary against the API emulator: the server lists nothing for a
 * namespace that does not exist, so without asking, `enforce -n nope` "succeeded" doing nothing.
 * `enforce` (a write) refuses it, exit 2 as `analyze` does; `list pods` (a read) lists nothing,
 * warns on stderr and exits 0, as `kubectl get pods -n nope` does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "./kube/emulator.ts";
import { runBinaryAsync } from "./support/binary.ts";
import { deployment } from "./enforcement/workloads.ts";

let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-missing-ns-"));
const kubeconfig = join(dir, "kubeconfig");
const kd = (...args: string[]) => runBinaryAsync([...args, "--kubeconfig", kubeconfig]);

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const name of ["shop", "quiet"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await emu.store.create("deployments.apps", deployment("web", "shop", [{ name: "app", image: "web:1", ports: [{ containerPort: 8080 }] }]) as never, { namespace: "shop" });
});
afterAll(() => emu.stop());

describe("enforce -n <missing>", () => {
  test("is a usage error naming the namespace, with --bundle and with --policy, dry run or not", async () => {
    for (const args of [["--bundle", "restricted"], ["--policy", "devops-policy"], ["--bundle", "baseline", "--dry-run=client"]]) {
      const r = await kd("enforce", "-n", "nope", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`-n nope: namespace "nope" not found, nothing to enforce`);
      expect(r.stdout).not.toContain("Summary");
    }
  });

  test("an existing namespace without workloads still runs: nothing to patch is not a mistake there", async () => {
    const r = await kd("enforce", "-n", "quiet", "--bundle", "restricted");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Summary: 0 applied, 0 failed, 0 planned");
  });

  test("when the identity may not get namespaces it runs and, finding nothing, warns that the namespace may not exist", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: !(a.resource === "namespaces" && a.verb === "get"), reason: "denied by test" });
    try {
      const missing = await kd("enforce", "-n", "nope", "--bundle", "restricted");
      expect(missing.code).toBe(0);
      expect(missing.stderr).toContain(`no workloads in namespace "nope", which may not exist (cannot get it:`);
      const found = await kd("enforce", "-n", "shop", "--bundle", "baseline", "--dry-run=client");
      expect(found.stdout).toContain("deployment/shop/web: planned");
      expect(found.stderr).not.toContain("may not exist");
    } finally {
      emu.hooks.authorize = saved;
    }
  });
});

describe("list pods -n <missing>", () => {
  test("lists nothing, says on stderr that the namespace does not exist, exits 0 (as kubectl)", async () => {
    const table = await kd("list", "pods", "-n", "nope");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("Total: 0 pods");
    expect(table.stderr).toContain(`No resources found in nope namespace: namespace "nope" not found`);
    const json = await kd("list", "pods", "-n", "nope", "-o", "json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).items).toEqual([]); // stdout stays data
    expect(json.stderr).toContain(`namespace "nope" not found`);
  });

  test("an existing namespace without pods gets no such warning", async () => {
    const r = await kd("list", "pods", "-n", "quiet");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Total: 0 pods");
    expect(r.stderr).not.toContain("not found");
  });
});
