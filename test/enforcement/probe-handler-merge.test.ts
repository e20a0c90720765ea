/**
 * The trap after `enforce` injected a tcpSocket probe, with the real kubectl against the emulator
 * (which refuses a probe with two handlers, as kube-apiserver does): a team that later applies its
 * own httpGet probe gets both handlers merged into one probe, client-side apply and server-side
 * apply alike, and the change is refused. The remedies decision 0010 gives work: `tcpSocket: null`
 * beside the httpGet in the manifest (client-side apply), or one `kubectl patch --type json` that
 * replaces the whole probe, then the apply. Enforcement does not put the tcpSocket back after.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";

let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-probe-merge-"));
const kubeconfig = join(dir, "kubeconfig");
const NS = "team";
const REFUSED = (name: string) => `The Deployment "${name}" is invalid: spec.template.spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`;
const HTTP_GET = { httpGet: { path: "/ready", port: 8080 } };

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
});
afterAll(() => emu.stop());

async function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["/usr/bin/kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), "-n", NS, ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The team's manifest: one container on :8080, with `readinessProbe` when given. */
function manifest(name: string, readinessProbe?: unknown): string {
  const container = { name: "app", image: "web:1", ports: [{ containerPort: 8080 }], ...(readinessProbe === undefined ? {} : { readinessProbe }) };
  return JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container] } } } });
}

const probe = (name: string): Record<string, unknown> => (emu.store.get("deployments.apps", NS, name) as unknown as { spec: { template: { spec: { containers: Array<Record<string, any>> } } } }).spec.template.spec.containers[0]?.readinessProbe;
const handlers = (p: Record<string, unknown> | undefined): string[] => Object.keys(p ?? {}).filter((k) => ["exec", "httpGet", "tcpSocket", "grpc"].includes(k) && p?.[k] != null);

async function enforce(): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBinaryAsync(["enforce", "-n", NS, "--bundle", "baseline", "--kubeconfig", kubeconfig]);
}

test("client-side apply: the team's httpGet merged into the injected tcpSocket probe is refused; tcpSocket: null beside it works", async () => {
  expect((await kubectl(["apply", "-f", "-"], manifest("web"))).code).toBe(0);
  const enforced = await enforce();
  expect(enforced.stdout).toContain(`deployment/${NS}/web: applied`);
  // the hint says how to replace an injected probe later, once per run
  expect(enforced.stderr).toContain("the probes enforcement adds are tcpSocket probes: a manifest that later sets its own httpGet, exec or grpc probe should also set `tcpSocket: null` in it (client-side kubectl apply), or the probe be replaced first with one kubectl patch --type json (server-side apply");
  expect(handlers(probe("web"))).toEqual(["tcpSocket"]);

  const merged = await kubectl(["apply", "-f", "-"], manifest("web", HTTP_GET));
  expect(merged.code).toBe(1);
  expect(merged.stderr).toContain(REFUSED("web"));
  expect(handlers(probe("web"))).toEqual(["tcpSocket"]); // nothing half-applied

  const remedied = await kubectl(["apply", "-f", "-"], manifest("web", { ...HTTP_GET, tcpSocket: null }));
  expect(remedied.stderr).toBe("");
  expect(remedied.code).toBe(0);
  expect(handlers(probe("web"))).toEqual(["httpGet"]);
  expect(probe("web")).toMatchObject(HTTP_GET);
  // the team's probe is theirs: enforcement adds nothing back
  expect((await enforce()).stdout).toContain(`deployment/${NS}/web: compliant`);
  expect(handlers(probe("web"))).toEqual(["httpGet"]);
});

test("server-side apply: refused the same way; one JSON patch replacing the whole probe, then the apply, works", async () => {
  expect((await kubectl(["apply", "--server-side", "-f", "-"], manifest("api"))).code).toBe(0);
  await enforce();
  expect(handlers(probe("api"))).toEqual(["tcpSocket"]);

  const merged = await kubectl(["apply", "--server-side", "-f", "-"], manifest("api", HTTP_GET));
  expect(merged.code).toBe(1);
  expect(merged.stderr).toContain(REFUSED("api"));

  // one request, so there is no moment without a probe for enforcement to fill again
  const replace = [{ op: "replace", path: "/spec/template/spec/containers/0/readinessProbe", value: HTTP_GET }];
  const patched = await kubectl(["patch", "deployment", "api", "--type", "json", "-p", JSON.stringify(replace)]);
  expect(patched.code).toBe(0);
  const applied = await kubectl(["apply", "--server-side", "-f", "-"], manifest("api", HTTP_GET));
  expect(applied.stderr).toBe("");
  expect(applied.code).toBe(0);
  expect(probe("api")).toEqual(HTTP_GET);
  expect((await enforce()).stdout).toContain(`deployment/${NS}/api: compliant`);
});
