/**
 * End to end through the API emulator's validating admission, with the real kubectl:
 * the compiled `webhook serve --self-managed` writes its own certificates and the VWC
 * caBundle (the VWC as the manifests ship it, without one), and the emulator calls it
 * over verified TLS. A `:latest` pod is denied with the reference's message; a
 * warn-level violation is admitted and kubectl prints the warning; `kubectl debug` (the
 * pods/ephemeralcontainers subresource) is judged by the debug container it adds; an update that
 * changes no finding (label, annotate, rollout restart, replicas) prints nothing, while `kubectl
 * set image` to `:latest` is still denied; an exemption annotation naming no check is named in a
 * warning beside the denial; a `kubectl apply --dry-run=server` denial is counted as a dry-run
 * request, not in webhook_denials_total (nothing was written). The webhook runs as its
 * own ServiceAccount with exactly its generated grants (lib/rbac/permissions.ts): no request
 * of it may be refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderDevOpsPolicyCrd } from "../../gen/crd.ts";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { componentPermissions, type Permission } from "../../lib/rbac/permissions.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { defaultAuthenticate, type RequestAttributes } from "../kube/hooks.ts";
import { ensureBinary } from "../support/binary.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;
let webhookAddr: string | undefined;
let webhookUrl: string;
let proc: ReturnType<typeof Bun.spawn> | undefined;
const stderr: string[] = [];
const webhookRequests: Array<{ attrs: RequestAttributes; allowed: boolean }> = [];
const SERVICE_ACCOUNT = "system:serviceaccount:kube-devops:kube-devops-webhook";

/** rbac/v1 rule matching for the rule shapes permissions.ts uses. */
function grants(p: Permission, a: RequestAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!a.isResourceRequest || p.group !== a.apiGroup || !p.resources.includes(resource) || !p.verbs.includes(a.verb)) return false;
  if (p.scope === "namespace" && a.namespace !== "kube-devops") return false;
  return !p.resourceNames || (a.name !== "" && p.resourceNames.includes(a.name));
}

function deniedRequests(): string[] {
  return webhookRequests.filter((r) => !r.allowed).map((r) => `${r.attrs.verb} ${r.attrs.apiGroup}/${r.attrs.resource} ns=${r.attrs.namespace} name=${r.attrs.name}`);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; webhook stderr:\n${stderr.join("")}`);
    await Bun.sleep(100);
  }
}

/** One sample of the webhook's /metrics (0 when absent), scraped as a cluster admin over the caBundle it published. */
async function metricValue(series: string): Promise<number> {
  const vwc = (await emu.store.get("validatingwebhookconfigurations.admissionregistration.k8s.io", undefined, "kube-devops-webhook")) as unknown as { webhooks: Array<{ clientConfig: { caBundle: string } }> };
  const ca = Buffer.from(vwc.webhooks[0]?.clientConfig.caBundle ?? "", "base64").toString();
  const res = await fetch(`${webhookUrl}/metrics`, { headers: { Authorization: `Bearer ${emu.adminToken}` }, tls: { ca, serverName: "kube-devops-webhook.kube-devops.svc" } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${text}`);
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout: out, stderr: err };
}

beforeAll(async () => {
  emu = await startEmulator({ webhookServices: (namespace, name) => (namespace === "kube-devops" && name === "kube-devops-webhook" ? webhookAddr : undefined) });
  dir = mkdtempSync(join(tmpdir(), "kd-e2e-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  const webhookKubeconfig = emu.writeKubeconfig(join(dir, "webhook-kubeconfig"), { token: "sa-webhook" });
  emu.hooks.authenticate = (req) =>
    req.headers.get("authorization") === "Bearer sa-webhook"
      ? { username: SERVICE_ACCOUNT, groups: ["system:serviceaccounts", "system:serviceaccounts:kube-devops", "system:authenticated"] }
      : defaultAuthenticate(req);
  emu.hooks.authorize = (attrs) => {
    if (attrs.user.username !== SERVICE_ACCOUNT) return { allowed: attrs.user.groups.includes("system:masters") };
    const allowed = !attrs.isResourceRequest || componentPermissions("webhook").some((p) => grants(p, attrs));
    webhookRequests.push({ attrs, allowed });
    return allowed ? { allowed } : { allowed, reason: "no kube-devops-webhook grant" };
  };
  for (const name of ["kube-devops", "prod"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", renderDevOpsPolicyCrd() as never);
  await until("the DevOpsPolicy CRD", async () =>
    emu.store.create("devopspolicies.devops.stochastic.io", {
      apiVersion: "devops.stochastic.io/v1",
      kind: "DevOpsPolicy",
      metadata: { name: "no-latest", namespace: "prod" },
      spec: { forbidLatestTag: true, requireReadinessProbe: true, enforcementMode: "enforce" },
    } as never, { namespace: "prod" }),
  );
  const vwc = renderWebhookConfiguration({ caBundle: "" }) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  for (const hook of vwc.webhooks) delete hook.clientConfig.caBundle; // as the self-managed manifests ship it
  await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", vwc as never);

  proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--self-managed", "--addr", "127.0.0.1:0", "--namespace", "kube-devops", "--kubeconfig", webhookKubeconfig, "--log-format", "json"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdout: "ignore",
    stderr: "pipe",
  });
  void (async () => {
    for await (const chunk of proc?.stderr as ReadableStream<Uint8Array>) stderr.push(new TextDecoder().decode(chunk));
  })();
  const url = await until("the webhook to listen", async () => /"url":"(https:[^"]+)"/.exec(stderr.join(""))?.[1]);
  webhookAddr = new URL(url).host;
  webhookUrl = url;
  await until("the policy cache and the caBundle", async () => {
    const v = (await emu.store.get("validatingwebhookconfigurations.admissionregistration.k8s.io", undefined, "kube-devops-webhook")) as unknown as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    return v.webhooks[0]?.clientConfig.caBundle && stderr.join("").includes("policy cache synced") ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  proc?.kill("SIGKILL");
  await emu?.stop();
});

describe("kubectl through the emulator's admission and the real webhook", () => {
  test("kubectl run of a :latest pod in a namespace with an enforcing policy is denied with the reference's message", async () => {
    const r = await kubectl(["run", "bad", "--image=nginx:latest", "-n", "prod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`admission webhook "validate.devops.stochastic.io" denied the request: Denied by DevOpsPolicy: container 'bad' uses :latest tag`);
    expect(emu.store.getEntry("pods", "prod", "bad")).toBeUndefined();
  });

  test("a :latest pod padded with `<` (each sent as the six bytes \\u003c, as Go encodes it) is still judged: its review is over 8 MiB", async () => {
    // 1.45 MB of '<': a storable pod (etcd's 1.5 MiB), a review of ~8.7 MB; the limit was 8 MiB,
    // so it got a 413, which failurePolicy Ignore turned into an unchecked admission (decision 0024)
    const manifest = { apiVersion: "v1", kind: "Pod", metadata: { name: "padded", namespace: "prod" }, spec: { containers: [{ name: "app", image: "nginx:latest", env: [{ name: "PAD", value: "<".repeat(1_450_000) }] }] } };
    const file = join(dir, "padded.json");
    await Bun.write(file, JSON.stringify(manifest));
    const r = await kubectl(["create", "-f", file]);
    expect(r.stderr).toContain("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    expect(r.code).toBe(1);
    expect(emu.store.getEntry("pods", "prod", "padded")).toBeUndefined();
  }, 60_000);

  test("a warn-level violation is admitted and kubectl prints the warning", async () => {
    const r = await kubectl(["run", "ok", "--image=nginx:1.27", "-n", "prod"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pod/ok created");
    expect(r.stderr).toContain("Warning: DevOpsPolicy no-latest: container 'ok' missing readiness probe (severity low)");
  });

  test("a Deployment's pod template is judged when the Deployment is created", async () => {
    const file = join(dir, "web.json");
    const labels = { app: "web" };
    await Bun.write(file, JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "prod" }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "redis", image: "redis:latest" }] } } } }));
    const r = await kubectl(["create", "--validate=false", "-f", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Denied by DevOpsPolicy: container 'redis' uses :latest tag");
  });

  test("an exemption annotation that names no check is named beside the denial it did not prevent", async () => {
    const file = join(dir, "vendor.json");
    const labels = { app: "vendor" };
    const template = { metadata: { labels, annotations: { "devops.stochastic.io/exempt-checks": "latest" } }, spec: { containers: [{ name: "agent", image: "vendor/agent:latest" }] } };
    await Bun.write(file, JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "vendor", namespace: "prod" }, spec: { selector: { matchLabels: labels }, template } }));
    const r = await kubectl(["create", "--validate=false", "-f", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Warning: DevOpsPolicy: spec.template.metadata.annotations: annotation devops.stochastic.io/exempt-checks names no check: "latest" (known: latest_tag,');
    expect(r.stderr).toContain("Denied by DevOpsPolicy: container 'agent' uses :latest tag");
  });

  test("an init container cannot smuggle in a :latest image", async () => {
    const file = join(dir, "init.json");
    const app = { name: "app", image: "nginx:1.27", livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } };
    await Bun.write(file, JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "smuggler", namespace: "prod" }, spec: { initContainers: [{ name: "setup", image: "busybox" }], containers: [app] } }));
    const r = await kubectl(["create", "--validate=false", "-f", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Denied by DevOpsPolicy: init container 'setup' uses :latest tag");
    expect(emu.store.getEntry("pods", "prod", "smuggler")).toBeUndefined();
  });

  test("kubectl debug is judged: an untagged debug image is denied, a tagged one is added", async () => {
    // "ok" (previous test) already misses its readiness probe: an existing violation, not the debug container's.
    const bad = await kubectl(["debug", "ok", "-n", "prod", "--image=busybox", "-c", "shell"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Denied by DevOpsPolicy: ephemeral container 'shell' uses :latest tag");
    const ephemeral = () => (emu.store.get("pods", "prod", "ok") as unknown as { spec: { ephemeralContainers?: Array<{ name: string }> } }).spec.ephemeralContainers;
    expect(ephemeral()).toBeUndefined();
    const good = await kubectl(["debug", "ok", "-n", "prod", "--image=busybox:1.36", "-c", "shell"]);
    expect(good.code).toBe(0);
    expect(ephemeral()?.map((c) => c.name)).toEqual(["shell"]);
  });

  test("updates that change no finding print no warning; kubectl set image to :latest is still denied", async () => {
    // "ok" misses its readiness probe: kubectl printed that when it was created, and not again on a label
    const labelled = await kubectl(["label", "pod", "ok", "-n", "prod", "team=payments"]);
    expect(labelled.code).toBe(0);
    expect(labelled.stdout).toContain("pod/ok labeled");
    expect(labelled.stderr).toBe("");
    const latest = await kubectl(["set", "image", "pod/ok", "ok=nginx:latest", "-n", "prod"]);
    expect(latest.code).toBe(1);
    expect(latest.stderr).toContain("Denied by DevOpsPolicy: container 'ok' uses :latest tag");
    expect(latest.stderr).not.toContain("missing readiness probe");

    const file = join(dir, "api.json");
    const labels = { app: "api" };
    await Bun.write(file, JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", namespace: "prod" }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "api", image: "nginx:1.27" }] } } } }));
    const created = await kubectl(["create", "--validate=false", "-f", file]);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain("Warning: DevOpsPolicy no-latest: container 'api' missing readiness probe (severity low)");
    const quiet = [
      ["rollout", "restart", "deployment/api", "-n", "prod"],
      ["annotate", "deployment/api", "-n", "prod", "owner=team-payments"],
      ["patch", "deployment/api", "-n", "prod", "-p", '{"spec":{"replicas":3}}'],
    ];
    for (const args of quiet) {
      const r = await kubectl(args);
      expect([args.join(" "), r.code, r.stderr]).toEqual([args.join(" "), 0, ""]);
    }
    const changed = await kubectl(["set", "image", "deployment/api", "api=nginx:latest", "-n", "prod"]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain("Denied by DevOpsPolicy: container 'api' uses :latest tag");
  });

  test("kubectl apply --dry-run=server of a :latest pod is denied and counted as a dry-run request, not in webhook_denials_total", async () => {
    const denials = 'webhook_denials_total{namespace="prod",violation="latest_tag"}';
    const dryDenied = 'webhook_dry_run_requests_total{operation="CREATE",allowed="false"}';
    const requestsDenied = 'webhook_requests_total{operation="CREATE",allowed="false"}';
    const before = { denials: await metricValue(denials), dry: await metricValue(dryDenied), requests: await metricValue(requestsDenied) };
    const file = join(dir, "preview.json");
    await Bun.write(file, JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "preview", namespace: "prod" }, spec: { containers: [{ name: "app", image: "nginx:latest" }] } }));
    const r = await kubectl(["apply", "--dry-run=server", "--validate=false", "-f", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    expect(emu.store.getEntry("pods", "prod", "preview")).toBeUndefined();
    expect({ denials: await metricValue(denials), dry: await metricValue(dryDenied), requests: await metricValue(requestsDenied) }).toEqual({ denials: before.denials, dry: before.dry + 1, requests: before.requests + 1 });
    // the same apply for real is a denial
    expect((await kubectl(["apply", "--validate=false", "-f", file])).code).toBe(1);
    expect(await metricValue(denials)).toBe(before.denials + 1);
  });

  test("the webhook needed nothing beyond its generated grants", () => {
    expect(deniedRequests()).toEqual([]);
    const used = (verb: string, resource: string) => webhookRequests.some((r) => r.allowed && r.attrs.verb === verb && r.attrs.resource === resource);
    expect(used("list", "devopspolicies") && used("watch", "devopspolicies")).toBe(true);
    expect(used("create", "secrets") && used("get", "secrets")).toBe(true);
    expect(used("get", "validatingwebhookconfigurations") && used("patch", "validatingwebhookconfigurations")).toBe(true);
  });

  test("our own namespace is never sent to the webhook", async () => {
    const r = await kubectl(["run", "tool", "--image=busybox:latest", "-n", "kube-devops"]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("DevOpsPolicy");
  });
});
