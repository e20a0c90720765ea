/**
 * A server that accepts TCP and never answers (no TLS handshake, no HTTP): the connect +
 * handshake deadline reports it by name, each retry after a timeout is a stderr line, and
 * `--request-timeout` bounds every call. A slow but answering server (the emulator's latency
 * fault) still gets the response timeout, not the handshake one. Bounds are generous; the
 * assertions are on behaviour (error text, retry events), never on elapsed time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKubeClient } from "../../lib/kube/client.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { describeTimeoutRetry } from "../../lib/kube/request-defaults.ts";
import type { RetryEvent } from "../../lib/kube/request-executor.ts";
import { PODS } from "../../lib/kube/resources.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "kd-hung-"));
const kubeconfig = join(dir, "kubeconfig");
let hung: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  hung = createServer((socket) => void sockets.push(socket)); // accepts, never reads or writes
  await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  const { port } = hung.address() as { port: number };
  writeFileSync(kubeconfig, renderKubeconfig([{ name: "hung", server: `https://127.0.0.1:${port}`, insecure: true, user: { token: "t" } }]));
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  hung.close();
});

describe("a server that never answers", () => {
  test("fails on the handshake deadline with a message that says so, retried (retries reported) up to the policy", async () => {
    const events: RetryEvent[] = [];
    const kc = loadKubeConfig({ kubeconfig, env: {} });
    const client = createKubeClient(kc, { rateLimit: false, handshakeTimeoutMs: 300, retry: { maxAttempts: 2, baseMs: 1, maxMs: 1 }, onRetry: (e) => events.push(e) });
    const err = (await client.listPage(PODS, { limit: 1 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("no TLS handshake within 0.3s");
    expect(err.message).toContain('context "hung"');
    expect(events).toHaveLength(1);
    const line = describeTimeoutRetry(events[0] as RetryEvent);
    expect(line).toContain("list pods: Cannot reach the API server");
    expect(line).toContain("retrying in");
  });

  test("the binary logs each retry on stderr and --request-timeout bounds the handshake too", async () => {
    const { code, stderr } = await runBinaryAsync(["analyze", "--kubeconfig", kubeconfig, "--request-timeout", "1s"], { timeoutMs: 90_000 });
    expect(code).toBe(1);
    expect(stderr).toContain("no TLS handshake within 1s");
    expect(stderr.match(/retrying in \d+\.\ds \(attempt \d\)/g)?.length).toBe(4);
  }, 100_000);

  test("crd install --timeout is a deadline for the whole install, not only for Established", async () => {
    const { code, stderr } = await runBinaryAsync(["crd", "install", "--kubeconfig", kubeconfig, "--timeout", "3s"], { timeoutMs: 90_000 });
    expect(code).toBe(1);
    expect(stderr).toContain("Timed out after 3s (--timeout) creating or updating the CRDs at https://127.0.0.1:");
  }, 100_000);

  test("--request-timeout must be a duration", async () => {
    const { code, stderr } = await runBinaryAsync(["analyze", "--kubeconfig", kubeconfig, "--request-timeout", "soon"]);
    expect(code).toBe(2);
    expect(stderr).toContain('Invalid --request-timeout "soon"');
  });
});

describe("a server that answers slowly", () => {
  test("crd install --timeout cuts a slow create short, naming the phase", async () => {
    const emu = await startEmulator();
    try {
      emu.faults.addLatency(60_000);
      const { code, stderr } = await runBinaryAsync(["crd", "install", "--kubeconfig", emu.writeKubeconfig(join(dir, "slow")), "--timeout", "2s"], { timeoutMs: 90_000 });
      expect(code).toBe(1);
      expect(stderr).toContain("Timed out after 2s (--timeout) creating or updating the CRDs");
    } finally {
      emu.faults.clear();
      await emu.stop();
    }
  }, 100_000);

  test("gets the response timeout, not the handshake one", async () => {
    const emu = await startEmulator();
    try {
      emu.faults.addLatency(5_000);
      const kc = loadKubeConfig({ kubeconfig: emu.writeKubeconfig(join(dir, "emu")), env: {} });
      const client = createKubeClient(kc, { rateLimit: false, timeoutMs: 500, handshakeTimeoutMs: 10_000, retry: { maxAttempts: 1 } });
      const err = (await client.listPage(PODS, { limit: 1 }).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain("timed out");
      expect(err.message).not.toContain("handshake");
    } finally {
      emu.faults.clear();
      await emu.stop();
    }
  });
});
