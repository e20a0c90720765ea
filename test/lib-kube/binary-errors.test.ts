/**
 * The compiled binary talking to the API emulator through lib/kube (via
 * `crd install`): client-certificate auth and an oidc auth-provider user (client-node's
 * full KubeConfig, loaded lazily from its own chunk of the binary) work, and every way connecting can
 * go wrong ends in exit 1 with the user-facing message (unknown CA, unknown
 * context, no kubeconfig, unreachable server, Unauthorized, Forbidden).
 * Spawned asynchronously: the emulator lives in this process.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { createTestPki } from "../support/certs.ts";
import { ensureBinary } from "../support/binary.ts";
import { renderKubeconfig, unexpiredIdToken } from "../support/kubeconfig.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

let emu: Emulator;
let binary: string;
const dir = mkdtempSync(join(tmpdir(), "kd-bin-errors-"));

beforeAll(async () => {
  binary = ensureBinary();
  emu = await startEmulator();
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const child = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dir, "home"), ...env } });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text(), new Response(child.stdout).text()]);
  return { code, stderr };
}

let n = 0;
const file = (yaml: string): string => {
  const path = join(dir, `kc-${n++}`);
  writeFileSync(path, yaml);
  return path;
};

test("a client-certificate context installs the CRDs through the compiled binary", async () => {
  const { code, stderr } = await run(["crd", "install", "--kubeconfig", emu.writeKubeconfig(join(dir, "admin")), "--context", "emulator-cert"]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(emu.store.list("customresourcedefinitions.apiextensions.k8s.io").length).toBeGreaterThanOrEqual(2);
});

test("an oidc auth-provider user works through the compiled binary (client-node loaded on demand)", async () => {
  const idToken = unexpiredIdToken("oidc-user");
  emu.security.authenticator.addToken(idToken, { username: "oidc-user", groups: ["system:masters"] });
  const kubeconfig = file(
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "oidc",
      clusters: [{ name: "oidc", cluster: { server: emu.url, "certificate-authority-data": Buffer.from(emu.caPem).toString("base64") } }],
      users: [{ name: "oidc", user: { "auth-provider": { name: "oidc", config: { "client-id": "kube", "idp-issuer-url": "https://issuer.invalid", "id-token": idToken } } } }],
      contexts: [{ name: "oidc", context: { cluster: "oidc", user: "oidc" } }],
    }),
  );
  const { code, stderr } = await run(["crd", "install", "--kubeconfig", kubeconfig]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
});

test("unknown CA", async () => {
  const other = await createTestPki();
  const { code, stderr } = await run(["crd", "install", "--kubeconfig", file(renderKubeconfig([{ name: "c", server: emu.url, caPem: other.ca.cert, user: { token: emu.adminToken } }]))]);
  expect(code).toBe(1);
  expect(stderr).toContain(`error: TLS failure talking to the API server at ${emu.url} (context "c"): the server certificate is signed by an unknown certificate authority`);
  expect(stderr).toContain("hint: Set certificate-authority(-data) for this cluster in the kubeconfig");
});

test("unknown context", async () => {
  const { code, stderr } = await run(["crd", "install", "--kubeconfig", emu.writeKubeconfig(join(dir, "ctx")), "--context", "nope"]);
  expect(code).toBe(1);
  expect(stderr).toContain('error: Unknown context "nope": the kubeconfig has emulator, emulator-cert');
});

test("no kubeconfig at all", async () => {
  const { code, stderr } = await run(["crd", "install"]);
  expect(code).toBe(1);
  expect(stderr).toContain("error: No kubeconfig found");
  expect(stderr).toContain("hint: Pass --kubeconfig <file> or set KUBECONFIG");
});

test("unreachable server", async () => {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const url = `https://127.0.0.1:${s.port}`;
  s.stop(true);
  const { code, stderr } = await run(["crd", "install", "--kubeconfig", file(renderKubeconfig([{ name: "gone", server: url, caPem: emu.caPem, user: { token: "x" } }]))]);
  expect(code).toBe(1);
  expect(stderr).toContain(`error: Cannot reach the API server at ${url} (context "gone"): connection refused`);
});

test("Unauthorized and Forbidden", async () => {
  const bad = await run(["crd", "install", "--kubeconfig", file(emu.kubeconfigYaml({ token: "wrong" }))]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain(`error: Unauthorized: the API server at ${emu.url} rejected the credentials of context "emulator"`);
  emu.hooks.authorize = (a) => ({ allowed: a.resource !== "customresourcedefinitions", reason: "no RBAC policy matched" });
  try {
    const denied = await run(["crd", "install", "--kubeconfig", emu.writeKubeconfig(join(dir, "denied"))]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/error: Forbidden: context "emulator" may not (get|create|update|patch) customresourcedefinitions\.apiextensions\.k8s\.io "/);
    expect(denied.stderr).toMatch(/hint: Grant RBAC "(get|create|update|patch)" on "customresourcedefinitions\.apiextensions\.k8s\.io"/);
  } finally {
    delete emu.hooks.authorize;
  }
});
