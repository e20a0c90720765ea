/**
 * `kube-devops webhook serve` as shipped (the compiled binary) against the API
 * emulator: readiness waits for the policy cache, verdicts follow policy changes
 * through the watch (no API call per request), broken certificate files keep the old
 * certificate and count a reload error, and SIGTERM shuts down cleanly.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDevOpsPolicyCrd } from "../../gen/crd.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary } from "../support/binary.ts";
import { goodContainer, pod, request, review } from "./fixtures.ts";

let emu: Emulator;
let dir: string;
let ca: string;
let proc: ReturnType<typeof Bun.spawn>;
let url = "";
let certPath = "";
const stderr: string[] = [];

function policy(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name, namespace: "prod" }, spec };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; webhook stderr:\n${stderr.join("")}`);
    await Bun.sleep(50);
  }
}

async function validate(image: string): Promise<{ allowed: boolean; status?: { message: string }; warnings?: string[] }> {
  const body = JSON.stringify(review(request(pod([goodContainer("app", { image })]))));
  const res = await fetch(`${url}/validate`, { method: "POST", body, headers: { "Content-Type": "application/json" }, tls: { ca } });
  return ((await res.json()) as { response: { allowed: boolean; status?: { message: string }; warnings?: string[] } }).response;
}

beforeAll(async () => {
  emu = await startEmulator({ bookmarkIntervalMs: 1_000 }); // a bookmark a second (real servers: a minute)
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  dir = mkdtempSync(join(tmpdir(), "kd-serve-"));
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  ca = certs.ca.cert;
  const paths = writeCertificateSet(dir, certs);
  certPath = paths.tlsCert;
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", paths.tlsCert, "--tls-key", paths.tlsKey, "--kubeconfig", kubeconfig, "--log-format", "json", "--cert-check-interval", "60"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr.push(new TextDecoder().decode(chunk));
  })();
  url = await until("the listening log line", async () => /"url":"(https:[^"]+)"/.exec(stderr.join(""))?.[1]);
});

afterAll(async () => {
  proc?.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve (binary) against the emulator", () => {
  test("/readyz waits for the first policy list, then verdicts follow policy changes through the watch", async () => {
    // no CRD yet: the list fails, so the webhook must not claim readiness
    const notReady = await fetch(`${url}/readyz`, { tls: { ca } });
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(await notReady.json())).toContain("first list");
    // the fix is named once, however often the list is retried
    await until("the missing-CRD warning", async () => (stderr.join("").includes("run kube-devops crd install") ? true : undefined));
    expect(stderr.join("").split("\n").filter((l) => l.includes("DevOpsPolicy CRD is not installed"))).toHaveLength(1);
    expect(stderr.join("")).not.toContain("policy watch failed");
    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", renderDevOpsPolicyCrd() as never);
    await until("ready", async () => ((await fetch(`${url}/readyz`, { tls: { ca } })).status === 200 ? true : undefined));
    expect((await validate("nginx:latest")).allowed).toBe(true); // no policy yet

    await emu.store.create("devopspolicies.devops.stochastic.io", policy("no-latest", { forbidLatestTag: true, requireReadinessProbe: true, enforcementMode: "enforce" }) as never, { namespace: "prod" });
    const denied = await until("the policy to reach the cache", async () => {
      const r = await validate("nginx:latest");
      return r.allowed ? undefined : r;
    });
    expect(denied.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");

    const current = await emu.store.get("devopspolicies.devops.stochastic.io", "prod", "no-latest");
    await emu.store.update("devopspolicies.devops.stochastic.io", { ...current, spec: { forbidLatestTag: true, enforcementMode: "audit" } } as never, { namespace: "prod" });
    const warned = await until("the audit mode to reach the cache", async () => {
      const r = await validate("nginx:latest");
      return r.allowed ? r : undefined;
    });
    expect(warned.warnings).toEqual(["DevOpsPolicy no-latest: container 'app' uses :latest tag (severity high)"]);

    // /metrics needs a token the API server vouches for (--metrics-auth kubernetes, the default):
    // the admin token, whose system:masters group may get every non-resource URL
    const metrics = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${emu.adminToken}` }, tls: { ca } })).text();
    expect(metrics).toContain('webhook_denials_total{namespace="prod",violation="latest_tag"}');
    expect(metrics).toMatch(/webhook_certificate_expiration_timestamp_seconds\{certificate="serving"\} \d{10}/);
    // the CA beside tls.crt (ca.crt) that verifies it
    expect(metrics).toContain(`webhook_certificate_expiration_timestamp_seconds{certificate="ca"} ${Math.floor(new X509Certificate(ca).validToDate.getTime() / 1000)}`);
  });

  test("a policy in a namespace admission always admits is named once in a warning, not silently inert", async () => {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "payments-system" } });
    const gate = { ...policy("gate", { forbidLatestTag: true, enforcementMode: "enforce" }), metadata: { name: "gate", namespace: "payments-system" } };
    await emu.store.create("devopspolicies.devops.stochastic.io", gate as never, { namespace: "payments-system" });
    const inert = () => stderr.join("").split("\n").filter((l) => l.includes("DevOpsPolicy has no effect at admission"));
    const [line] = await until("the warning", async () => (inert().length > 0 ? inert() : undefined));
    expect(JSON.parse(line as string)).toMatchObject({ policy: "payments-system/gate", reason: expect.stringContaining("system namespaces") });
    // a change to it does not repeat the warning
    const current = await emu.store.get("devopspolicies.devops.stochastic.io", "payments-system", "gate");
    await emu.store.update("devopspolicies.devops.stochastic.io", { ...current, spec: { forbidLatestTag: true, enforcementMode: "audit" } } as never, { namespace: "payments-system" });
    await emu.store.create("devopspolicies.devops.stochastic.io", { ...policy("marker", { forbidLatestTag: true }), metadata: { name: "marker", namespace: "prod" } } as never, { namespace: "prod" });
    // one watch delivers in order: once the marker shows in a verdict, the update before it was seen
    await until("the later events to reach the cache", async () => ((await validate("nginx:latest")).warnings?.some((w) => w.startsWith("DevOpsPolicy marker:")) ? true : undefined));
    await emu.store.delete("devopspolicies.devops.stochastic.io", "prod", "marker");
    expect(inert()).toHaveLength(1);
  });

  test("a policy's finding series exist at 0 before its namespace's first request; none for a namespace admission always admits", async () => {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "staging" } });
    await emu.store.create("devopspolicies.devops.stochastic.io", { ...policy("gate", { forbidLatestTag: true, enforcementMode: "enforce" }), metadata: { name: "gate", namespace: "staging" } } as never, { namespace: "staging" });
    const scrape = async () => (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${emu.adminToken}` }, tls: { ca } })).text();
    const text = await until("the staging series", async () => {
      const t = await scrape();
      return t.includes('namespace="staging"') ? t : undefined;
    });
    expect(text).toContain('webhook_denials_total{namespace="staging",violation="latest_tag"} 0');
    expect(text).toContain('webhook_warnings_total{namespace="staging",violation="latest_tag"} 0');
    expect(text).not.toContain('namespace="payments-system"'); // its policy is inert (previous test)
  });

  test("a broken policy watch keeps the replica ready with the last known policies; webhook_policy_cache_age_seconds says how old they are", async () => {
    const age = async () => {
      const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${emu.adminToken}` }, tls: { ca } })).text();
      const m = /^webhook_policy_cache_age_seconds (\S+)$/m.exec(text);
      return m ? Number(m[1]) : undefined;
    };
    expect(await age()).toBeLessThan(60); // seconds since the last list page, event or bookmark
    // every list and watch of policies now fails, and the open watch ends
    emu.faults.failNext(100_000, { resource: "devopspolicies", status: 503 });
    emu.faults.dropWatches();
    try {
      await until("the cache to report its age", async () => ((await age()) ?? 0) > 0 || undefined);
      // not unready: every replica would be at once, and the API server would have nobody to ask
      expect((await fetch(`${url}/readyz`, { tls: { ca } })).status).toBe(200);
      // the policy as last seen (audit mode, from the test before) still applies
      expect((await validate("nginx:latest")).warnings).toEqual(["DevOpsPolicy no-latest: container 'app' uses :latest tag (severity high)"]);
    } finally {
      emu.faults.clear();
    }
    // a reopened watch is not progress by itself: its first bookmark (or event) is
    await until("the reopened watch to hear something", async () => ((await age()) ?? 1) < 1 ? true : undefined, 45_000);
  }, 60_000);

  test("certificate files that do not load count as a reload error, not as fail-open, and the old certificate keeps serving", async () => {
    const scrape = async () => (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${emu.adminToken}` }, tls: { ca } })).text();
    await Bun.write(certPath, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
    const metrics = await until("the reload error to be counted", async () => {
      const text = await scrape();
      return /^webhook_certificate_reload_errors_total [1-9]/m.test(text) ? text : undefined;
    });
    // the fail-open counter is exported from the start (at 0), and stays there: no request was let through
    expect(metrics.split("\n").filter((l) => l.startsWith("webhook_errors_total{"))).toEqual(['webhook_errors_total{reason="malformed"} 0', 'webhook_errors_total{reason="internal"} 0']);
    expect((await validate("nginx:1.27")).allowed).toBe(true); // still served over the old certificate
  });

  test("a flag only --self-managed reads, given without it, is named in a warning rather than silently ignored", () => {
    const warning = stderr.join("").split("\n").find((l) => l.includes("ignored without --self-managed"));
    expect(warning).toContain('"flags":["--cert-check-interval"]');
  });

  test("SIGTERM stops it cleanly", async () => {
    proc.kill("SIGTERM");
    const code = await proc.exited;
    expect([0, 143]).toContain(code);
    expect(stderr.join("")).toContain("stopped");
  });
});
