/**
 * The compiled `watch` and `reconcile` with `--metrics-auth` against the API emulator (decision
 * 0029): with `kubernetes` the listener is HTTPS (a certificate made in memory, or the given
 * files), `/metrics` answers the generated metrics reader's token and nobody else (no token 401,
 * another ServiceAccount 403), the probes stay open, and plain HTTP is refused; the binary's
 * default stays the reference's open plain-HTTP endpoint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveDeployOptions } from "../../gen/options.ts";
import { METRICS_READER, renderMetricsReader } from "../../gen/rbac.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, startReplica, type Replica } from "../reliability/replicas.ts";
import { ensureBinary, runBinary } from "../support/binary.ts";

const NAMESPACE = "kube-devops";
const OTHER = "someone-else";
let emu: Emulator;
let dir: string;
let kubeconfig: string;
const started: Subprocess[] = [];

const spec = (name: "watch" | "reconcile") => LEASE_COMPONENTS.find((c) => c.name === name)!.spec;
/** The generated ServiceMonitor's scrape: the self-signed certificate is not verified (insecureSkipVerify). */
const insecure = { rejectUnauthorized: false };
const get = (url: string, token?: string, tls: Record<string, unknown> = insecure) => fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, tls } as RequestInit);

async function start(name: "watch" | "reconcile", flags: string[]): Promise<Replica> {
  const s = spec(name);
  const replica = await startReplica({ ...s, command: [...s.command, ...flags] }, kubeconfig, `${name}-0`, LEASE_FLAGS);
  started.push(replica.proc);
  return replica;
}

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-metrics-listener-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  for (const o of renderMetricsReader(resolveDeployOptions("1.0.0", { namespace: NAMESPACE })) as (KubeObject & { apiVersion: string; kind: string })[]) {
    const plural = `${o.kind.toLowerCase()}s`;
    await emu.store.create(o.apiVersion.includes("/") ? `${plural}.${o.apiVersion.split("/")[0]}` : plural, o as never, { namespace: o.metadata?.namespace });
  }
  await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: OTHER, namespace: NAMESPACE } } as never, { namespace: NAMESPACE });
}, 30_000);

afterAll(async () => {
  for (const p of started) p.kill("SIGKILL");
  await emu?.stop();
});

describe.each(["watch", "reconcile"] as const)("%s --metrics-auth kubernetes (binary, emulator)", (name) => {
  test("HTTPS: no token 401, another ServiceAccount 403, the metrics reader 200; /healthz and /readyz open; plain HTTP refused", async () => {
    const replica = await start(name, ["--metrics-auth", "kubernetes"]);
    expect(replica.url).toStartWith("https://");
    expect(replica.log()).toContain('"tls":"self-signed"');
    const metrics = `${replica.url}/metrics`;
    const refused = await get(metrics);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect((await get(metrics, "forged")).status).toBe(401);
    const other = await get(metrics, emu.serviceAccountToken(NAMESPACE, OTHER));
    expect(other.status).toBe(403);
    expect(await other.text()).toContain(`system:serviceaccount:${NAMESPACE}:${OTHER}`);
    const allowed = await get(metrics, emu.serviceAccountToken(NAMESPACE, METRICS_READER));
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toMatch(new RegExp(`^kube_devops_build_info\\{component="${name}"`, "m"));
    expect((await get(`${replica.url}/healthz`)).status).toBe(200);
    expect([200, 503]).toContain((await get(`${replica.url}/readyz`)).status); // open: readiness, not a 401
    // the certificate is not one anybody trusts: only a scraper that skips verification gets through
    await expect(get(metrics, undefined, {})).rejects.toThrow();
    // no token ever over plain HTTP: the port speaks TLS only
    await expect(fetch(`${replica.url.replace("https:", "http:")}/metrics`, { headers: { Authorization: "Bearer x" }, signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  }, 30_000);
});

describe("watch and reconcile --metrics-auth (binary)", () => {
  test("--metrics-tls-cert/--metrics-tls-key: serves the given certificate, verifiable with its CA", async () => {
    const certs = await generateWebhookCertificates({ serviceName: "kube-devops-watch", namespace: NAMESPACE, ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
    writeFileSync(join(dir, "tls.crt"), certs.server.cert);
    writeFileSync(join(dir, "tls.key"), certs.server.key);
    const replica = await start("watch", ["--metrics-auth", "kubernetes", "--metrics-tls-cert", join(dir, "tls.crt"), "--metrics-tls-key", join(dir, "tls.key")]);
    expect(replica.log()).toContain('"tls":"files"');
    const res = await get(`${replica.url}/metrics`, emu.serviceAccountToken(NAMESPACE, METRICS_READER), { ca: certs.ca.cert });
    expect(res.status).toBe(200);
  }, 30_000);

  test("the default stays the reference's: plain HTTP, /metrics open to anyone", async () => {
    const replica = await start("reconcile", []);
    expect(replica.url).toStartWith("http://");
    expect(replica.log()).toContain('"metrics_auth":"none"');
    const res = await fetch(`${replica.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('kube_devops_build_info{component="reconcile"');
  }, 30_000);

  test("bad flag combinations are usage errors before any cluster access", () => {
    const cases = [
      { args: ["watch", "--metrics-auth", "basic"], says: "--metrics-auth" },
      { args: ["reconcile", "--metrics-auth", "kubernetes", "--metrics-tls-cert", "a.crt"], says: "go together" },
      { args: ["watch", "--metrics-tls-cert", "a.crt", "--metrics-tls-key", "a.key"], says: "need --metrics-auth kubernetes" },
    ];
    for (const c of cases) {
      const { code, stderr } = runBinary([...c.args, "--kubeconfig", join(dir, "missing-kubeconfig")]);
      expect({ args: c.args, code, says: stderr.includes(c.says) }).toEqual({ args: c.args, code: 2, says: true });
    }
  });

  test("unreadable --metrics-tls-cert: a STARTUP error naming the flags, not a process serving nothing", () => {
    const { code, stderr } = runBinary(["watch", "--metrics-auth", "kubernetes", "--metrics-tls-cert", join(dir, "nope.crt"), "--metrics-tls-key", join(dir, "nope.key"), "--metrics-addr", "127.0.0.1:0", "--kubeconfig", kubeconfig, ...LEASE_FLAGS]);
    expect(code).toBe(1);
    expect(stderr).toContain("--metrics-tls-cert");
  });
});
