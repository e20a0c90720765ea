/**
 * The transport in a compiled executable (`bun build --compile`): a private
 * CA, a client certificate and an exec-plugin token must all reach the wire,
 * and a TLS failure must still be described. Until a registered command uses
 * the API (engine's `check`/`analyze`), a small probe program stands in.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestPki, type TestPki } from "../support/certs.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "kd-compiled-"));
const probe = join(dir, "probe");
let pki: TestPki;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const build = Bun.spawnSync(["bun", "build", "--compile", "--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv", join(import.meta.dir, "fixtures", "compiled-probe.ts"), "--outfile", probe], { stderr: "pipe", stdout: "pipe" });
  if (build.exitCode !== 0) throw new Error(`compile failed: ${build.stderr.toString()}`);
  pki = await createTestPki();
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
    fetch(req) {
      if (req.headers.get("authorization") !== "Bearer exec-token") return Response.json({ kind: "Status", code: 401, reason: "Unauthorized" }, { status: 401 });
      const url = new URL(req.url);
      if (url.pathname === "/version") return Response.json({ gitVersion: "v1.32.0" });
      return Response.json({ kind: "PodList", metadata: { resourceVersion: "1" }, items: [{ metadata: { name: "a" } }] });
    },
  });
}, 120_000);

afterAll(() => server?.stop(true));

// Async spawn: the server lives in this process, so a blocking spawn would deadlock.
async function run(kubeconfig: string): Promise<{ code: number; out: Record<string, unknown> }> {
  const path = join(dir, `config-${Math.random()}`);
  writeFileSync(path, kubeconfig);
  const child = Bun.spawn([probe, path], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  const [code, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  return { code, out: JSON.parse(stdout.trim() || "{}") };
}

test("compiled: private CA + client certificate + exec plugin token", async () => {
  const client = await pki.issue({ cn: "compiled" });
  const plugin = join(dir, "plugin");
  writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'\n`);
  chmodSync(plugin, 0o755);
  const result = await run(
    renderKubeconfig([{ name: "c", server: `https://127.0.0.1:${server.port}`, caPem: pki.ca.cert, user: { certPem: client.cert, keyPem: client.key, exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } } }]),
  );
  expect(result).toEqual({ code: 0, out: { version: "v1.32.0", pods: 1 } });
});

test("compiled: an unknown CA is reported as a TLS error", async () => {
  const other = await createTestPki();
  const client = await pki.issue({ cn: "compiled" });
  const result = await run(renderKubeconfig([{ name: "c", server: `https://127.0.0.1:${server.port}`, caPem: other.ca.cert, user: { certPem: client.cert, keyPem: client.key } }]));
  expect(result.code).toBe(1);
  expect(result.out.code).toBe("TLS");
  expect(String(result.out.message)).toContain("unknown certificate authority");
});
