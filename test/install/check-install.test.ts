/**
 * `check` looks at the install in -n, on the compiled binary against the API emulator with its
 * simulated Deployment controllers: nothing installed FAILs with hints (exit 1, --preflight
 * passes), `kubectl apply` of generate-all is all OK, a webhook configuration without caBundle or
 * calling another Service FAILs, and an identity with no rights gets UNKNOWN lines and one
 * grouped hint instead of one per denied permission (decision 0037).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDeployManifests } from "../../gen/manifests.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { toYaml } from "../../gen/to-yaml.ts";
import { VERSION } from "../../lib/version.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { parse } from "yaml";
import { answer, startTestWebhook, type TestWebhook } from "../kube/admission/test-webhook.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";
import { ensureBinary, ROOT } from "../support/binary.ts";

/** A minimal cert-manager Certificate CRD (cert-manager.io/v1, no status subresource): enough for check to read one. */
function certificateCrd(): unknown {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "certificates.cert-manager.io" },
    spec: {
      group: "cert-manager.io",
      names: { plural: "certificates", singular: "certificate", kind: "Certificate", listKind: "CertificateList", shortNames: ["cert", "certs"] },
      scope: "Namespaced",
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

let emu: Emulator;
let dir: string;
let admin: string;
/** Where the real webhook listens once the full install starts it (the emulator's route to its Service). */
let webhookAddr: string | undefined;
let webhook: ReturnType<typeof Bun.spawn> | undefined;
const webhookLog: string[] = [];
/** Other products' validating webhooks (policy engines) by Service name in `policy`, started by the tests that need them. */
const others: Record<string, TestWebhook> = {};

async function spawn(cmd: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const check = (...args: string[]) => spawn([ensureBinary(), "--kubeconfig", admin, "check", ...args]);
/** The `  Label ..... value` line of a label. */
const line = (stdout: string, label: string) => stdout.split("\n").find((l) => l.startsWith(`  ${label} .`)) ?? `(no ${label} line)`;

beforeAll(async () => {
  // the API server calls a Service only at a port it has (no service port N found): so does this route
  const hasPort = (namespace: string, name: string, port: number) => {
    try {
      return ((emu.store.get("services", namespace, name) as { spec?: { ports?: Array<{ port: number }> } }).spec?.ports ?? []).some((p) => p.port === port);
    } catch {
      return false; // no such Service
    }
  };
  emu = await startEmulator({ controllers: true, webhookServices: (namespace, name, port) => (namespace === "kube-devops" && name === "kube-devops-webhook" && hasPort(namespace, name, port) ? webhookAddr : namespace === "policy" && others[name] ? `127.0.0.1:${others[name].port}` : undefined) });
  dir = mkdtempSync(join(tmpdir(), "kd-check-install-"));
  admin = emu.writeKubeconfig(join(dir, "kubeconfig"));
  // Nodes as a kubelet registers them, so the simulated scheduler places the components' pods
  for (const name of ["node-1", "node-2"]) emu.store.load({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } }, status: { addresses: [{ type: "InternalIP", address: `192.168.0.${name.slice(-1)}` }] } } as never);
  ensureBinary();
}, 60_000);
afterAll(async () => {
  webhook?.kill("SIGKILL");
  for (const w of Object.values(others)) w.stop();
  await emu?.stop();
});

describe("nothing installed", () => {
  test("every install line FAILs with a hint, exit 1; --preflight checks only the permissions", async () => {
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Install in kube-devops (this binary is v${VERSION}):`);
    expect(line(r.stdout, "CRD devopspolicies")).toMatch(/\.+ FAIL \(not installed\)$/);
    expect(line(r.stdout, "Deployment watch")).toMatch(/\.+ FAIL \(not installed in kube-devops\)$/);
    // the namespace does not exist either: generate-all without --create-namespace would apply only the cluster-scoped objects
    expect(r.stdout).toContain("    hint: kube-devops deploy generate-all -n kube-devops --create-namespace | kubectl apply -f -");
    expect(r.stdout).toContain("    hint: kube-devops crd install (or kube-devops deploy generate-all -n kube-devops --create-namespace | kubectl apply -f -)");
    expect(r.stdout).not.toContain("generate-all -n kube-devops | kubectl apply");
    expect(line(r.stdout, "Webhook configuration")).toMatch(/FAIL \(not installed: no pod is checked at admission\)/);
    // a component not installed is one line: no leader or endpoints to look for
    expect(r.stdout).not.toContain("Leader watch");
    expect(r.stdout).not.toContain("Webhook endpoints");
    expect(line(r.stdout, "DevOpsPolicies")).toContain("UNKNOWN");
    expect(r.stderr).toContain("the install in kube-devops does not work (CRD devopspolicies, CRD policyauditresults, Deployment watch, Deployment reconcile, Deployment webhook, Webhook configuration)");
    expect(r.stderr).toContain("hint: see the FAIL lines above");
    // the same in JSON: the FAIL lines and the exit code, the error on stderr only
    const json = await check("-o", "json");
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { lines: Array<{ name: string; status: string; hint?: string; failing: boolean }>; summary: { exitCode: number; problems: string[]; hint: string } };
    expect(doc.lines.find((l) => l.name === "Deployment watch")).toMatchObject({ status: "FAIL", hint: "kube-devops deploy generate-all -n kube-devops --create-namespace | kubectl apply -f -", failing: true });
    expect(doc.summary).toMatchObject({ exitCode: 1, hint: "see the FAIL lines above" });
    expect(doc.summary.problems).toContain("the install in kube-devops does not work (CRD devopspolicies, CRD policyauditresults, Deployment watch, Deployment reconcile, Deployment webhook, Webhook configuration)");
    expect(json.stderr).toContain("check failed: ");
    const preflight = await check("--preflight");
    expect(preflight.stdout).not.toContain("Install in");
    expect(preflight.code).toBe(0);
    // the CLI installs nothing: its check never looks for an install
    const cli = await check("--component", "cli");
    expect(cli.stdout).not.toContain("Install in");
    expect(cli.code).toBe(0);
  }, 60_000);
});

describe("a full install", () => {
  beforeAll(async () => {
    const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", now: new Date(), validityDays: 365, caValidityDays: 3650 });
    const tls = { caCert: certs.ca.cert, tlsCert: certs.server.cert, tlsKey: certs.server.key };
    const yaml = toYaml(renderDeployManifests(resolveDeployOptions(VERSION), { createNamespace: true, webhookTls: tls }));
    const applied = await spawn(["kubectl", "--kubeconfig", admin, "--cache-dir", join(dir, "cache"), "apply", "--validate=false", "-f", "-"], yaml);
    expect(applied.stderr).toBe("");
    await emu.settle();
    // what the EndpointSlice controller and the elected replicas would write
    await emu.store.create("endpointslices.discovery.k8s.io", { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "kube-devops-webhook-x1", namespace: "kube-devops", labels: { "kubernetes.io/service-name": "kube-devops-webhook" } }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.7"], conditions: { ready: true } }, { addresses: ["10.0.0.8"], conditions: { ready: true } }] } as never, { namespace: "kube-devops" });
    const renewTime = new Date().toISOString().replace("Z", "000Z").replace(/\.(\d{3})000Z$/, ".$1000Z");
    for (const c of ["watch", "reconcile"]) {
      await emu.store.create("leases.coordination.k8s.io", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: `kube-devops-${c}`, namespace: "kube-devops" }, spec: { holderIdentity: `kube-devops-${c}-abc12`, leaseDurationSeconds: 3600, renewTime } } as never, { namespace: "kube-devops" });
    }
    await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "p", namespace: "default" }, spec: {} } as never, { namespace: "default" });
    // the real webhook, serving the certificate the configuration's caBundle verifies, as one replica would
    writeFileSync(join(dir, "tls.crt"), certs.server.cert);
    writeFileSync(join(dir, "tls.key"), certs.server.key);
    webhook = Bun.spawn([ensureBinary(), "--kubeconfig", admin, "--log-format", "json", "webhook", "serve", "--addr", "127.0.0.1:0", "--namespace", "kube-devops", "--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key"), "--metrics-auth", "none"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, POD_NAME: "kube-devops-webhook-5d8c7-x1" },
      stdout: "ignore",
      stderr: "pipe",
    });
    void (async () => {
      for await (const chunk of webhook?.stderr as ReadableStream<Uint8Array>) webhookLog.push(new TextDecoder().decode(chunk));
    })();
    for (let i = 0; i < 200 && !webhookAddr; i++) {
      const url = /"url":"(https:[^"]+)"/.exec(webhookLog.join(""))?.[1];
      if (url) webhookAddr = new URL(url).host;
      else await Bun.sleep(100);
    }
    expect(webhookAddr ?? webhookLog.join("")).toMatch(/^127\.0\.0\.1:\d+$/);
  }, 60_000);

  test("every line is OK, exit 0", async () => {
    const r = await check();
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(line(r.stdout, "CRD devopspolicies")).toMatch(/\.+ OK \(Established, v1 \(stored\)\)$/);
    expect(line(r.stdout, "CRD policyauditresults")).toMatch(/\.+ OK \(Established, v1 \(stored\)\)$/);
    for (const c of ["watch", "reconcile", "webhook"]) expect(line(r.stdout, `Deployment ${c}`)).toMatch(new RegExp(`\\.+ OK \\(Available, 2/2 ready, v${VERSION.replaceAll(".", "\\.")}\\)$`));
    expect(line(r.stdout, "Webhook endpoints")).toMatch(/OK \(2 ready endpoints\)$/);
    expect(line(r.stdout, "Webhook configuration")).toMatch(/OK \(calls kube-devops\/kube-devops-webhook, caBundle set, failurePolicy Ignore\)$/);
    expect(line(r.stdout, "Webhook certificate")).toMatch(/OK \(verifies the serving certificate, serving certificate expires in 36[45] days\)$/);
    expect(line(r.stdout, "Webhook reachable")).toMatch(/OK \(a dry-run pod in default was answered by kube-devops-webhook-5d8c7-x1\)$/);
    expect(line(r.stdout, "Leader watch")).toMatch(/OK \(kube-devops-watch-abc12, renewed \d+s ago\)$/);
    expect(line(r.stdout, "DevOpsPolicies")).toMatch(/OK \(1 policy, 1 not evaluated yet\)$/);
    expect(r.stdout).not.toContain("hint:");
    expect(line(r.stdout, "Permissions reconcile")).toMatch(/OK \(\d+ granted\)$/);
  }, 60_000);

  test("-o json: one CheckReport on stdout with every line, stderr empty, exit 0; -o yaml the same document", async () => {
    const r = await check("-o", "json");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const doc = JSON.parse(r.stdout) as { kind: string; namespace: string; lines: Array<{ section: string; name: string; component?: string; status: string; message: string }>; summary: { exitCode: number; counts: Record<string, number> } };
    expect(doc.kind).toBe("CheckReport");
    expect(doc.summary).toMatchObject({ exitCode: 0, result: "passed", problems: [], counts: { FAIL: 0, DENIED: 0, CONFLICT: 0 } });
    expect(doc.lines.find((l) => l.name === "Deployment webhook")).toMatchObject({ section: "install", component: "webhook", status: "OK", message: `Available, 2/2 ready, v${VERSION}` });
    expect(doc.lines.find((l) => l.name === "Permissions reconcile")).toMatchObject({ section: "permissions", component: "reconcile", status: "OK" });
    // the text prints exactly these lines, with the same statuses
    const text = await check();
    for (const l of doc.lines) expect(line(text.stdout, l.name)).toContain(`${l.status}${l.message ? ` (${l.message.replace(/renewed \d+s ago/, "")}` : ""}`);
    const yaml = await check("-o", "yaml", "--component", "watch");
    expect(yaml.code).toBe(0);
    expect((parse(yaml.stdout) as { kind: string; lines: unknown[] }).kind).toBe("CheckReport");
    const bad = await check("-o", "wide");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid -o "wide": expected one of table, json, yaml');
  }, 60_000);

  test("a read the API server fails (5xx) is a FAIL with exit 1, not an UNKNOWN that passes", async () => {
    emu.faults.failNext(1_000, { verb: "get", resource: "deployments", status: 503 });
    try {
      const r = await check("--component", "watch");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Deployment watch")).toMatch(/\.+ FAIL \(cannot read it: .+\)$/);
      expect(r.stdout).toContain("hint: the API server did not answer this read");
      expect(r.stderr).toContain("does not work (Deployment watch)");
    } finally {
      emu.faults.clear();
    }
  }, 60_000);

  test("the configuration cannot be read (5xx): its line FAILs and Webhook reachable is there, UNKNOWN, saying why it was not tested", async () => {
    emu.faults.failNext(1_000, { verb: "get", resource: "validatingwebhookconfigurations", status: 503 });
    try {
      const r = await check("--component", "webhook");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Webhook configuration")).toMatch(/\.+ FAIL \(cannot read it: .+\)$/);
      expect(line(r.stdout, "Webhook reachable")).toContain("UNKNOWN (the webhook configuration kube-devops-webhook could not be read: which namespaces and pods it sends the webhook is unknown, so no dry-run pod was sent)");
      expect(r.stdout).toContain("hint: the reachability could not be tested because the configuration could not be read (see the Webhook configuration line); run check again");
      const json = JSON.parse((await check("--component", "webhook", "-o", "json")).stdout) as { lines: Array<{ name: string; status: string; hint?: string; failing: boolean }> };
      expect(json.lines.find((l) => l.name === "Webhook reachable")).toMatchObject({ status: "UNKNOWN", hint: expect.stringContaining("the reachability could not be tested because the configuration could not be read"), failing: false });
    } finally {
      emu.faults.clear();
    }
  }, 60_000);

  test("under cert-manager (the configuration's inject-ca-from): its Certificate's Ready condition is a line — no CRD, no Certificate, not issued, Ready, not Ready — and the caBundle is still verified against the Secret", async () => {
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    const CRDS = "customresourcedefinitions.apiextensions.k8s.io";
    const CERTS = "certificates.cert-manager.io";
    type Vwc = { metadata: { annotations?: Record<string, string> } };
    const vwc = () => emu.store.get(VWCS, undefined, "kube-devops-webhook") as unknown as Vwc;
    const saved = structuredClone(vwc().metadata.annotations);
    const annotate = (annotations: Record<string, string> | undefined) => emu.store.update(VWCS, { ...vwc(), metadata: { ...vwc().metadata, annotations } } as never);
    const certificate = (status?: unknown) => ({ apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "kube-devops-webhook", namespace: "kube-devops" }, spec: { secretName: "kube-devops-webhook-tls", issuerRef: { kind: "Issuer", name: "kube-devops-webhook-ca" } }, ...(status ? { status } : {}) });
    const putCertificate = async (status?: unknown) => {
      try {
        await emu.store.delete(CERTS, "kube-devops", "kube-devops-webhook");
      } catch {
        // not there yet
      }
      await emu.store.create(CERTS, certificate(status) as never, { namespace: "kube-devops" });
    };
    try {
      await annotate({ ...saved, "cert-manager.io/inject-ca-from": "kube-devops/kube-devops-webhook" });
      // cert-manager not installed: its CRD is not served, the Secret will never be issued
      const none = await check("--component", "webhook");
      expect(none.code).toBe(1);
      expect(line(none.stdout, "cert-manager Certificate")).toContain("FAIL (cert-manager is not installed (the API server does not serve certificates.cert-manager.io/v1): the webhook's Secret kube-devops-webhook-tls will never be issued)");
      expect(none.stdout).toContain("hint: install cert-manager (https://cert-manager.io/docs/installation/)");
      // the Secret there now still serves: its caBundle is verified as before
      expect(line(none.stdout, "Webhook certificate")).toContain("OK (verifies the serving certificate");
      expect(none.stderr).toContain("does not work (cert-manager Certificate)");
      await emu.store.create(CRDS, certificateCrd() as never);
      await emu.settle();
      const absent = await check("--component", "webhook");
      expect(line(absent.stdout, "cert-manager Certificate")).toContain("FAIL (Certificate kube-devops/kube-devops-webhook does not exist: cert-manager will not issue the webhook's Secret kube-devops-webhook-tls)");
      await putCertificate();
      const pending = await check("--component", "webhook");
      expect(line(pending.stdout, "cert-manager Certificate")).toContain("WARN (kube-devops/kube-devops-webhook not issued yet)");
      expect(pending.stdout).toContain("hint: kubectl -n kube-devops describe certificate kube-devops-webhook (cert-manager is issuing it, or waiting on its Issuer)");
      expect(pending.code).toBe(0);
      const notAfter = new Date(Date.now() + 60 * 86_400_000 + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
      await putCertificate({ notAfter, conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "Certificate is up to date and has not expired" }] });
      const ready = await check("--component", "webhook");
      expect(line(ready.stdout, "cert-manager Certificate")).toContain(`OK (kube-devops/kube-devops-webhook Ready, notAfter ${notAfter} (in 60 days))`);
      expect(line(ready.stdout, "Webhook certificate")).toContain("OK (verifies the serving certificate");
      expect(ready.code).toBe(0);
      await putCertificate({ conditions: [{ type: "Ready", status: "False", reason: "DoesNotExist", message: "Issuer kube-devops-webhook-ca not found" }] });
      const failing = await check("--component", "webhook", "-o", "json");
      expect(failing.code).toBe(1);
      const doc = JSON.parse(failing.stdout) as { lines: Array<{ name: string; status: string; message: string; hint?: string; failing: boolean }> };
      expect(doc.lines.find((l) => l.name === "cert-manager Certificate")).toMatchObject({ status: "FAIL", message: "kube-devops/kube-devops-webhook not Ready (DoesNotExist: Issuer kube-devops-webhook-ca not found)", hint: "kubectl -n kube-devops describe certificate kube-devops-webhook; kubectl -n cert-manager logs deployment/cert-manager", failing: true });
    } finally {
      await annotate(saved);
      try {
        await emu.store.delete(CRDS, undefined, "certificates.cert-manager.io");
      } catch {
        // never installed
      }
    }
    expect((await check("--component", "webhook")).stdout).not.toContain("cert-manager Certificate");
  }, 60_000);

  test("a controller whose pods wait for a cert-manager metrics Secret that was never issued: not Available, and the hint names the Secret", async () => {
    type Dep = { metadata: Record<string, unknown>; spec: { template: { spec: { volumes?: unknown[]; containers: Array<{ volumeMounts?: unknown[] }> } } } };
    const saved = emu.store.get("deployments.apps", "kube-devops", "kube-devops-watch") as unknown as Dep;
    const fresh = (d: Dep) => ({ ...d, metadata: { name: "kube-devops-watch", namespace: "kube-devops", labels: d.metadata.labels } });
    const replace = async (d: unknown) => {
      await emu.store.delete("deployments.apps", "kube-devops", "kube-devops-watch");
      await emu.settle();
      await emu.store.create("deployments.apps", d as never, { namespace: "kube-devops" });
      await emu.settle();
    };
    // as --cert-mode cert-manager --metrics-auth kubernetes renders it, on a cluster where cert-manager never issued it
    const waiting = structuredClone(fresh(saved));
    const pod = waiting.spec.template.spec;
    pod.volumes = [...(pod.volumes ?? []), { name: "metrics-tls", secret: { secretName: "kube-devops-watch-metrics-tls" } }];
    try {
      await replace(waiting);
      const r = await check("--component", "watch");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Deployment watch")).toContain("FAIL (not Available, 0/2 ready");
      expect(r.stdout).toContain("hint: its pods mount Secret kube-devops-watch-metrics-tls, which does not exist: they cannot start until cert-manager issues it (kubectl -n kube-devops get certificates -o wide); kubectl -n kube-devops describe deployment kube-devops-watch");
    } finally {
      await replace(structuredClone(fresh(saved)));
    }
    expect(line((await check("--component", "watch")).stdout, "Deployment watch")).toContain("OK (Available, 2/2 ready");
  }, 60_000);

  test("a controller scaled to 0 FAILs with the command that scales it back, exit 1: nothing reconciles then", async () => {
    type Dep = { spec: { replicas: number } };
    const get = () => emu.store.get("deployments.apps", "kube-devops", "kube-devops-reconcile") as unknown as Dep;
    const scale = async (replicas: number) => {
      await emu.store.update("deployments.apps", { ...get(), spec: { ...get().spec, replicas } } as never);
      await emu.settle();
    };
    try {
      await scale(0);
      const r = await check("--component", "reconcile");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Deployment reconcile")).toMatch(/\.+ FAIL \(scaled to 0 replicas: it does not run\)$/);
      expect(r.stdout).toContain("hint: kubectl -n kube-devops scale deployment/kube-devops-reconcile --replicas=2");
      expect(r.stderr).toContain("does not work (Deployment reconcile)");
      const json = JSON.parse((await check("--component", "reconcile", "-o", "json")).stdout) as { lines: Array<{ name: string; status: string; hint?: string; failing: boolean }> };
      expect(json.lines.find((l) => l.name === "Deployment reconcile")).toMatchObject({ status: "FAIL", hint: "kubectl -n kube-devops scale deployment/kube-devops-reconcile --replicas=2", failing: true });
    } finally {
      await scale(2);
    }
    expect(line((await check("--component", "reconcile")).stdout, "Deployment reconcile")).toContain("OK (Available, 2/2 ready");
  }, 60_000);

  test("a configuration without caBundle, or calling another Service, FAILs; the hint says who writes the caBundle in this install", async () => {
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    const get = () => emu.store.get(VWCS, undefined, "kube-devops-webhook") as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string; service: { name: string } } }> };
    const saved = structuredClone(get().webhooks);
    const put = (webhooks: unknown) => emu.store.update(VWCS, { ...get(), webhooks } as never);
    try {
      await put(saved.map((w) => ({ ...w, clientConfig: { service: w.clientConfig.service } })));
      const bare = await check("--component", "webhook");
      expect(bare.code).toBe(1);
      expect(line(bare.stdout, "Webhook configuration")).toContain("FAIL (no caBundle: the API server cannot verify the webhook (failurePolicy Ignore))");
      // this install ships cert-generate's files (deploy --tls-dir: --no-self-managed): the webhook renews nothing
      expect(bare.stdout).toContain("hint: the webhook serves the files deploy --tls-dir shipped and renews nothing: kube-devops webhook cert-generate --output-dir <that dir> --namespace kube-devops (re-issues the serving certificate), then kube-devops deploy generate-all -n kube-devops --tls-dir <that dir> with the flags the install was generated with | kubectl apply -f - (the Secret and the caBundle)");
      expect(bare.stdout).not.toContain("Leader watch");
      expect(bare.stderr).toContain("does not work (Webhook configuration, Webhook reachable)");
      await put(saved.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, service: { ...w.clientConfig.service, name: "elsewhere" } } })));
      const elsewhere = await check("--component", "webhook");
      expect(elsewhere.code).toBe(1);
      expect(line(elsewhere.stdout, "Webhook configuration")).toContain("FAIL (calls kube-devops/elsewhere, not kube-devops/kube-devops-webhook)");
    } finally {
      await put(saved);
    }
  }, 60_000);

  test("the webhook Service's port changed: the configuration's port is not among the Service's, the line FAILs with a hint", async () => {
    type Svc = { spec: { ports: Array<{ port: number }> } };
    const get = () => emu.store.get("services", "kube-devops", "kube-devops-webhook") as unknown as Svc;
    const saved = structuredClone(get().spec.ports);
    const put = (ports: unknown) => emu.store.update("services", { ...get(), spec: { ...get().spec, ports } } as never);
    try {
      await put(saved.map((p) => ({ ...p, port: 8443 })));
      const r = await check("--component", "webhook");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Webhook configuration")).toContain("FAIL (calls port 443 of kube-devops/kube-devops-webhook, which has port 8443: the API server cannot call the webhook (failurePolicy Ignore))");
      expect(r.stdout).toContain("hint: kubectl -n kube-devops get service kube-devops-webhook -o yaml; kube-devops deploy generate-all -n kube-devops | kubectl apply -f - restores both");
      expect(line(r.stdout, "Webhook reachable")).toContain("FAIL");
      const json = JSON.parse((await check("--component", "webhook", "-o", "json")).stdout) as { lines: Array<{ name: string; status: string; failing: boolean }> };
      expect(json.lines.find((l) => l.name === "Webhook configuration")).toMatchObject({ status: "FAIL", failing: true });
    } finally {
      await put(saved);
    }
  }, 60_000);

  test("a caBundle that does not verify the served certificate: the API server's call fails, Ignore admits, and Webhook reachable FAILs", async () => {
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    const get = () => emu.store.get(VWCS, undefined, "kube-devops-webhook") as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    const saved = structuredClone(get().webhooks);
    const put = (webhooks: unknown) => emu.store.update(VWCS, { ...get(), webhooks } as never);
    const other = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", now: new Date(), validityDays: 365, caValidityDays: 3650 });
    try {
      await put(saved.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: Buffer.from(other.ca.cert).toString("base64") } })));
      const r = await check("--component", "webhook");
      expect(r.code).toBe(1);
      expect(line(r.stdout, "Webhook reachable")).toContain("FAIL (a dry-run pod in default was admitted without its answer: the API server did not call the webhook, or ignored its answer (with failurePolicy Ignore admission is skipped))");
      expect(r.stdout).toContain("hint: look at the lines above: Webhook endpoints");
      // the generated Service targets the pods' named port
      expect(r.stdout).toContain(`NetworkPolicies in front of the webhook pods' port "https" (the Service's targetPort, a named container port)`);
      expect(r.stderr).toContain("Webhook reachable");
      // nothing was stored by the dry run
      expect(emu.store.list("pods", { namespace: "default" })).toHaveLength(0);
    } finally {
      await put(saved);
    }
    const again = await check("--component", "webhook");
    expect(line(again.stdout, "Webhook reachable")).toContain("OK (a dry-run pod in default was answered by kube-devops-webhook-5d8c7-x1)");
  }, 60_000);

  test("another validating webhook denies check's pod: ours was called in parallel and its answer rides on the refusal's Warning headers: OK, not UNKNOWN", async () => {
    const other = (others.other = await startTestWebhook((review) => answer(review, { allowed: false, status: { code: 403, message: "pods must carry the label team" } }), ["other.policy.svc"]));
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    await emu.store.create(VWCS, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "policy-engine" },
      webhooks: [{ name: "require-team.policy.example", admissionReviewVersions: ["v1"], sideEffects: "None", failurePolicy: "Fail", clientConfig: { service: { namespace: "policy", name: "other", path: "/validate", port: 443 }, caBundle: other.caBundle }, rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }] }],
    } as never);
    try {
      const r = await check("--component", "webhook");
      expect(line(r.stdout, "Webhook reachable")).toContain('OK (a dry-run pod in default was answered by kube-devops-webhook-5d8c7-x1 (another admission check then refused the pod: admission webhook "require-team.policy.example" denied the request: pods must carry the label team))');
      expect(other.received.length).toBeGreaterThan(0);
    } finally {
      await emu.store.delete(VWCS, undefined, "policy-engine");
    }
  }, 60_000);

  test("other webhooks' warnings fill the API server's 4 KiB: ours may have been dropped, so its absence is UNKNOWN, not FAIL", async () => {
    // a policy engine in warn mode, its configuration sorted (and so answering) before ours: 17 warnings of 300 characters
    const noisy = (others.noisy = await startTestWebhook((review) => answer(review, { allowed: true, warnings: Array.from({ length: 17 }, (_, i) => `constraint ${i}: `.padEnd(300, "x")) }), ["noisy.policy.svc"]));
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    await emu.store.create(VWCS, {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "a-policy-engine" },
      webhooks: [{ name: "warn.policy.example", admissionReviewVersions: ["v1"], sideEffects: "None", failurePolicy: "Ignore", clientConfig: { service: { namespace: "policy", name: "noisy", path: "/validate", port: 443 }, caBundle: noisy.caBundle }, rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }] }],
    } as never);
    try {
      const r = await check("--component", "webhook");
      expect(line(r.stdout, "Webhook reachable")).toContain("UNKNOWN (a dry-run pod in default came back without the answer, but with 4096 or more characters of other warnings");
      expect(r.code).toBe(0);
    } finally {
      await emu.store.delete(VWCS, undefined, "a-policy-engine");
    }
  }, 60_000);

  test("a configuration someone edited: matchConditions we did not write make a silent dry run UNKNOWN, rules without Pod CREATE are not probed", async () => {
    const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
    type Hook = { matchConditions?: Array<{ name: string; expression: string }>; rules: unknown[] };
    const get = () => emu.store.get(VWCS, undefined, "kube-devops-webhook") as unknown as { webhooks: Hook[] };
    const saved = structuredClone(get().webhooks);
    const put = (webhooks: unknown) => emu.store.update(VWCS, { ...get(), webhooks } as never);
    try {
      // a platform team sparing the webhook server-side dry runs (GitOps diffs): check's ping is skipped too
      await put(saved.map((w) => ({ ...w, matchConditions: [...(w.matchConditions ?? []), { name: "skip-dry-runs", expression: "!request.dryRun" }] })));
      const skipped = await check("--component", "webhook");
      expect(line(skipped.stdout, "Webhook reachable")).toContain("UNKNOWN (a dry-run pod in default was admitted without its answer, and the configuration's matchConditions skip-dry-runs (not kube-devops's) may have skipped the call)");
      expect(skipped.code).toBe(0);
      await put(saved.map((w) => ({ ...w, rules: [{ operations: ["CREATE", "UPDATE"], apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments"], scope: "Namespaced" }] })));
      const workloads = await check("--component", "webhook");
      expect(line(workloads.stdout, "Webhook reachable")).toContain("UNKNOWN (the configuration's rules do not send Pod CREATEs: check's dry-run pod would not be sent)");
      expect(workloads.code).toBe(0);
    } finally {
      await put(saved);
    }
  }, 60_000);

  test("an identity that may create pods in default but not read namespaces: the generated selector is judged by the name, and the ping is sent", async () => {
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "dev", namespace: "default" } } as never, { namespace: "default" });
    const subject = [{ kind: "ServiceAccount", name: "dev", namespace: "default" }];
    await emu.store.create("clusterroles.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "check-reader" }, rules: [{ apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], verbs: ["get"] }, { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] }] } as never);
    await emu.store.create("clusterrolebindings.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "check-reader-dev" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "check-reader" }, subjects: subject } as never);
    await emu.store.create("roles.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "pod-creator", namespace: "default" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["create"] }] } as never, { namespace: "default" });
    await emu.store.create("rolebindings.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "dev-pods", namespace: "default" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-creator" }, subjects: subject } as never, { namespace: "default" });
    const dev = join(dir, "dev");
    writeFileSync(dev, renderKubeconfig([{ name: "dev", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("default", "dev") } }]));
    const r = await spawn([ensureBinary(), "--kubeconfig", dev, "check", "--component", "webhook"]);
    expect(line(r.stdout, "Webhook reachable")).toContain("OK (a dry-run pod in default was answered by kube-devops-webhook-5d8c7-x1)");
  }, 60_000);

  test("an identity without rights: UNKNOWN install lines, one grouped line per component and one hint", async () => {
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "alice", namespace: "default" } } as never, { namespace: "default" });
    const alice = join(dir, "alice");
    writeFileSync(alice, renderKubeconfig([{ name: "alice", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("default", "alice") } }]));
    const r = await spawn([ensureBinary(), "--kubeconfig", alice, "check"]);
    expect(r.code).toBe(1);
    expect(line(r.stdout, "Deployment watch")).toContain("UNKNOWN (not allowed to get deployments/kube-devops-watch in kube-devops)");
    expect(line(r.stdout, "CRD devopspolicies")).toContain("UNKNOWN (not allowed to get customresourcedefinitions/devopspolicies.devops.stochastic.io)");
    expect(r.stdout).not.toMatch(/ (FAIL|OK) \((not installed|Available)/);
    // the configuration it may not read says where the dry-run pod would go: the line is there, UNKNOWN, naming the read
    expect(line(r.stdout, "Webhook reachable")).toContain("UNKNOWN (not allowed to get validatingwebhookconfigurations/kube-devops-webhook:");
    expect(r.stdout).toContain("hint: run check as an identity that may; kubectl auth can-i get validatingwebhookconfigurations.admissionregistration.k8s.io/kube-devops-webhook");
    expect(line(r.stdout, "Permissions webhook")).toMatch(/DENIED \((\d+) of \1: list,watch devopspolicies\.devops\.stochastic\.io; get,update secrets\/kube-devops-webhook-tls; create secrets; /);
    expect(r.stdout.match(/hint: these are the permissions of the identity running check/g)).toHaveLength(1);
    expect(r.stdout).not.toContain("grant it with");
    // a can-i line per denial only with --verbose (the install lines' hints name their own missing read)
    expect(r.stdout.split("Permissions kube-devops needs")[1]).not.toContain("kubectl auth can-i");
    // UNKNOWN is no failure: the exit is the denials'
    expect(r.stderr).not.toContain("does not work");
    const verbose = await spawn([ensureBinary(), "--kubeconfig", alice, "check", "--component", "webhook", "--verbose"]);
    expect(verbose.stdout).toMatch(/webhook\s+create\s+secrets\s+kube-devops\s+\S*\s+DENIED/);
    expect(verbose.stdout).toContain("DENIED webhook: kubectl auth can-i create secrets -n kube-devops");
    const json = await spawn([ensureBinary(), "--kubeconfig", alice, "check", "--component", "webhook", "-o", "json"]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { identity: string; lines: Array<{ name: string; status: string; denials?: Array<{ verb: string; resource: string; namespace?: string; usedBy: string; canI: string }> }> };
    expect(doc.identity).toBe("system:serviceaccount:default:alice");
    expect(doc.lines.find((l) => l.name === "Webhook reachable")).toMatchObject({ section: "install", component: "webhook", status: "UNKNOWN", hint: expect.stringContaining("kubectl auth can-i get validatingwebhookconfigurations.admissionregistration.k8s.io"), failing: false });
    expect(doc.lines.find((l) => l.name === "Permissions webhook")?.denials).toContainEqual({ verb: "create", resource: "secrets", namespace: "kube-devops", usedBy: expect.any(String), canI: "kubectl auth can-i create secrets -n kube-devops" });
  }, 60_000);

  test("an identity bound only to the CLI's printed role reads the whole install: UNKNOWN only where it may not (the TLS Secret, the dry-run pod)", async () => {
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ro", namespace: "default" } } as never, { namespace: "default" });
    const grant = await check("--cli-rbac-for", "system:serviceaccount:default:ro");
    expect(grant.code).toBe(0);
    const applied = await spawn(["kubectl", "--kubeconfig", admin, "--cache-dir", join(dir, "cache"), "apply", "-f", "-"], grant.stdout);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: "" });
    const ro = join(dir, "ro");
    writeFileSync(ro, renderKubeconfig([{ name: "ro", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("default", "ro") } }]));
    const json = await spawn([ensureBinary(), "--kubeconfig", ro, "check", "-o", "json"]);
    const doc = JSON.parse(json.stdout) as { lines: Array<{ section: string; name: string; status: string; message: string; hint?: string }> };
    const unknown = doc.lines.filter((l) => l.status === "UNKNOWN").map((l) => `${l.name}: ${l.message}`);
    // read-only: no Secret (the webhook's holds its CA key) and no create, not even a dry run's
    expect(unknown).toEqual([
      "Webhook certificate: not allowed to get secrets/kube-devops-webhook-tls in kube-devops",
      "Webhook reachable: not allowed to create pods in default (a server-side dry run: nothing is stored)",
    ]);
    // a read the role leaves out is named as kubectl auth can-i, without pointing at the role
    expect(doc.lines.find((l) => l.name === "Webhook certificate")).toMatchObject({ status: "UNKNOWN", hint: "kubectl auth can-i get secrets/kube-devops-webhook-tls -n kube-devops" });
    expect(doc.lines.find((l) => l.name === "Other installs")).toMatchObject({ status: "OK" });
    expect(doc.lines.filter((l) => l.section === "install" && l.status !== "UNKNOWN").every((l) => l.status === "OK")).toBe(true);
    // the CLI's own reads are all granted; the components' permissions are not the CLI's and stay DENIED
    expect(doc.lines.find((l) => l.name === "Permissions cli")).toMatchObject({ status: "OK" });
    expect(doc.lines.find((l) => l.name === "Permissions webhook")).toMatchObject({ status: "DENIED" });
  }, 60_000);

  test("an identity bound to an older kube-devops-cli role: each UNKNOWN install line names the refused read as kubectl auth can-i and points at --cli-rbac-for, text and -o json alike", async () => {
    await emu.store.create("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "old", namespace: "default" } } as never, { namespace: "default" });
    const subject = [{ kind: "ServiceAccount", name: "old", namespace: "default" }];
    // the role as --cli-rbac-for printed it before it held check's reads: analyze's alone
    const analyzeReads = [{ apiGroups: [""], resources: ["pods", "nodes"], verbs: ["list"] }, { apiGroups: ["apps"], resources: ["replicasets", "deployments", "statefulsets", "daemonsets"], verbs: ["list"] }, { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["list"] }, { apiGroups: ["devops.stochastic.io"], resources: ["devopspolicies"], verbs: ["get"] }, { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] }];
    await emu.store.create("clusterroles.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "kube-devops-cli-older" }, rules: analyzeReads } as never);
    await emu.store.create("clusterrolebindings.rbac.authorization.k8s.io", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "kube-devops-cli-older:old" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kube-devops-cli-older" }, subjects: subject } as never);
    const old = join(dir, "old");
    writeFileSync(old, renderKubeconfig([{ name: "old", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("default", "old") } }]));
    const grant = "the kube-devops-cli role grants this read (an identity bound to an older one, or to none, lacks it): a cluster admin applies kube-devops check --cli-rbac-for system:serviceaccount:default:old | kubectl apply -f -";
    const text = await spawn([ensureBinary(), "--kubeconfig", old, "check"]);
    const hintUnder = (label: string) => {
      const lines = text.stdout.split("\n");
      const at = lines.findIndex((l) => l.startsWith(`  ${label} .`));
      return lines[at + 1]?.startsWith("    hint: ") ? lines[at + 1]?.slice("    hint: ".length) : undefined;
    };
    expect(line(text.stdout, "Deployment watch")).toContain("UNKNOWN (not allowed to get deployments/kube-devops-watch in kube-devops)");
    expect(hintUnder("Deployment watch")).toBe(`kubectl auth can-i get deployments.apps/kube-devops-watch -n kube-devops; ${grant}`);
    expect(hintUnder("CRD devopspolicies")).toBe(`kubectl auth can-i get customresourcedefinitions.apiextensions.k8s.io/devopspolicies.devops.stochastic.io; ${grant}`);
    expect(hintUnder("DevOpsPolicies")).toBe(`kubectl auth can-i list devopspolicies.devops.stochastic.io --all-namespaces; ${grant}`);
    expect(hintUnder("Webhook reachable")).toBe(`run check as an identity that may; kubectl auth can-i get validatingwebhookconfigurations.admissionregistration.k8s.io/kube-devops-webhook; ${grant}`);
    // the Other installs line reads the install's ClusterRoleBindings, which the role holds too
    expect(line(text.stdout, "Other installs")).toContain("UNKNOWN (not allowed to get clusterrolebindings/");
    expect(hintUnder("Other installs")).toMatch(/^kubectl auth can-i get clusterrolebindings\.rbac\.authorization\.k8s\.io\/kube-devops-\S+; /);
    expect(hintUnder("Other installs")).toEndWith(grant);
    const json = await spawn([ensureBinary(), "--kubeconfig", old, "check", "-o", "json"]);
    const doc = JSON.parse(json.stdout) as { identity?: string; lines: Array<{ section: string; name: string; status: string; hint?: string }> };
    expect(doc.identity).toBe("system:serviceaccount:default:old");
    const unknown = doc.lines.filter((l) => l.section === "install" && l.status === "UNKNOWN");
    expect(unknown.length).toBeGreaterThan(5);
    // every one has a hint, and the text prints the same one under its line
    for (const l of unknown) {
      expect(l.hint ?? `(no hint under ${l.name})`).toContain("kubectl auth can-i ");
      expect(hintUnder(l.name)).toBe(l.hint);
    }
  }, 60_000);

  test("a component's own ServiceAccount is pointed at its grant", async () => {
    const watch = join(dir, "watch");
    writeFileSync(watch, renderKubeconfig([{ name: "watch", server: emu.url, caPem: emu.caPem, user: { token: emu.serviceAccountToken("kube-devops", "kube-devops-watch") } }]));
    // denied: the webhook's grants, which the watch's identity lacks
    const r = await spawn([ensureBinary(), "--kubeconfig", watch, "check", "--component", "webhook", "--preflight"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("hint: this is watch's ServiceAccount, which webhook do not run as: check it with --component watch");
  }, 60_000);
});
