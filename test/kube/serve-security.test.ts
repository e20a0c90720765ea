/**
 * The emulator process with the security and controller flags: `--controllers` rolls out a
 * Deployment applied with kubectl, `--webhook-service` routes a ValidatingWebhookConfiguration's
 * service reference to a local TLS webhook, RBAC answers anonymous requests with 403 unless
 * `--no-rbac`, and a malformed flag is a usage error.
 */
import { afterAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answer, startTestWebhook } from "./admission/test-webhook.ts";

const dir = mkdtempSync(join(tmpdir(), "emu-serve-sec-"));
const procs: Subprocess[] = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGTERM");
});

async function serve(args: string[]): Promise<{ url: string; kubeconfig: string }> {
  const kubeconfig = join(dir, `kc-${procs.length}`);
  const proc = Bun.spawn(["bun", join(import.meta.dir, "serve.ts"), "--port", "0", "--kubeconfig-out", kubeconfig, ...args], { stdout: "pipe", stderr: "pipe" });
  procs.push(proc);
  const reader = proc.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`serve.ts exited: ${await new Response(proc.stderr).text()}`);
    out += new TextDecoder().decode(value);
  }
  return { url: out.trim().replace(/^ready /, ""), kubeconfig };
}

async function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

test("--controllers and --webhook-service: a rollout and a webhook denial through the process", async () => {
  const hook = await startTestWebhook((review) => {
    const image = ((review.request.object as { spec?: { containers?: { image: string }[] } } | null)?.spec?.containers ?? [])[0]?.image ?? "";
    return image.endsWith(":latest") ? answer(review, { allowed: false, status: { code: 403, message: "no :latest" } }) : answer(review, { allowed: true });
  }, ["policy.kube-devops.svc"]);
  try {
    writeFileSync(join(dir, "node.json"), JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "worker-1" }, status: { addresses: [{ type: "InternalIP", address: "192.168.7.1" }] } }));
    const { kubeconfig } = await serve(["--controllers", "--seed", join(dir, "node.json"), "--webhook-service", `kube-devops/policy=127.0.0.1:${hook.port}`]);
    const vwc = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "policy" },
      webhooks: [{ name: "pods.policy.example.com", clientConfig: { service: { namespace: "kube-devops", name: "policy", path: "/validate" }, caBundle: hook.caBundle }, rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }], sideEffects: "None", admissionReviewVersions: ["v1"] }],
    };
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } } } };
    expect((await kubectl(kubeconfig, ["apply", "--validate=false", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [vwc, deployment] }))).code).toBe(0);
    const rollout = await kubectl(kubeconfig, ["rollout", "status", "deployment/web", "--timeout=30s"]);
    expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
    expect((await kubectl(kubeconfig, ["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.phase}"])).stdout).toBe("Running Running");
    const denied = await kubectl(kubeconfig, ["run", "bad", "--image=nginx:latest"]);
    expect(denied.stderr).toContain('admission webhook "pods.policy.example.com" denied the request: no :latest');
  } finally {
    hook.stop();
  }
});

test("RBAC by default (anonymous is Forbidden), --no-rbac switches it off", async () => {
  const anonymous = async (url: string) => (await fetch(`${url}/api/v1/namespaces`, { tls: { rejectUnauthorized: false } } as RequestInit)).status;
  const withRbac = await serve([]);
  expect(await anonymous(withRbac.url)).toBe(403);
  const without = await serve(["--no-rbac"]);
  expect(await anonymous(without.url)).toBe(200);
});

test("a malformed --webhook-service is a usage error", async () => {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "serve.ts"), "--webhook-service", "policy:443"], { stdout: "pipe", stderr: "pipe" });
  expect(await proc.exited).toBe(2);
  expect(await new Response(proc.stderr).text()).toContain('--webhook-service must be <namespace>/<name>=<host:port>, got "policy:443"');
});
