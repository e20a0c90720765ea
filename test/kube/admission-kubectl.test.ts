/**
 * Validating admission end to end: the real kubectl against the emulator, which calls small
 * TLS webhook servers (port 0) named by a ValidatingWebhookConfiguration's service reference.
 * Denials show the webhook's message, admissions print its warnings, and broken webhooks
 * (wrong uid, non-JSON) are handled per failurePolicy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answer, startTestWebhook, type TestWebhook } from "./admission/test-webhook.ts";
import { call } from "./test-client.ts";
import { startEmulator, type Emulator } from "./emulator.ts";
import type { KubeObject } from "./types.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;
let policy: TestWebhook;
let broken: TestWebhook;
let brokenMode: "wrong-uid" | "not-json" = "wrong-uid";
const services: Record<string, string> = {};

type Review = { request: Record<string, unknown> };

function containers(review: Review): { name: string; image: string; readinessProbe?: unknown }[] {
  const pod = review.request.object as { spec?: { containers?: { name: string; image: string; readinessProbe?: unknown }[] } } | null;
  return pod?.spec?.containers ?? [];
}

beforeAll(async () => {
  // A policy webhook: denies :latest images, warns about missing readiness probes.
  policy = await startTestWebhook((review) => {
    if (review.request.operation === "DELETE") return answer(review, { allowed: true });
    const latest = containers(review).find((c) => c.image.endsWith(":latest") || !c.image.includes(":"));
    if (latest) return answer(review, { allowed: false, status: { code: 403, message: `container "${latest.name}" uses the :latest tag` }, warnings: ["kube-devops: scored 40/100"] });
    const noProbe = containers(review).filter((c) => !c.readinessProbe).map((c) => `container "${c.name}" has no readiness probe`);
    return answer(review, { allowed: true, warnings: noProbe });
  }, ["policy.kube-devops.svc"]);
  broken = await startTestWebhook((review) =>
    brokenMode === "wrong-uid"
      ? { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "not-the-request-uid", allowed: true } }
      : new Response("<html>503 upstream</html>", { headers: { "content-type": "text/html" } }),
  ["broken.kube-devops.svc"]);
  services["kube-devops/policy"] = `127.0.0.1:${policy.port}`;
  services["kube-devops/broken"] = `127.0.0.1:${broken.port}`;

  emu = await startEmulator({ webhookServices: services });
  dir = mkdtempSync(join(tmpdir(), "emu-admission-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  for (const [name, labels] of [["guarded", { "kube-devops/enforce": "true" }], ["open", {}], ["fail-closed", {}], ["fail-open", {}]] as const) {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  }
  const webhook = (name: string, svc: string, ca: string, namespace: string | Record<string, string>, failurePolicy: string) => ({
    name,
    clientConfig: { service: { namespace: "kube-devops", name: svc, path: "/validate", port: 443 }, caBundle: ca },
    rules: [{ operations: ["CREATE", "UPDATE", "DELETE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
    namespaceSelector: typeof namespace === "string" ? { matchLabels: { "kubernetes.io/metadata.name": namespace } } : { matchLabels: namespace },
    failurePolicy,
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    timeoutSeconds: 5,
  });
  const vwc: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "kube-devops" },
    webhooks: [
      webhook("pods.devops.stochastic.io", "policy", policy.caBundle, { "kube-devops/enforce": "true" }, "Fail"),
      webhook("closed.broken.example.com", "broken", broken.caBundle, "fail-closed", "Fail"),
      webhook("open.broken.example.com", "broken", broken.caBundle, "fail-open", "Ignore"),
    ],
  };
  await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", vwc);
});

afterAll(async () => {
  await emu.stop();
  policy.stop();
  broken.stop();
});

async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const podExists = (ns: string, name: string): boolean => emu.store.getEntry("pods", ns, name) !== undefined;

describe("kubectl run through a validating webhook", () => {
  test("a denied pod shows the webhook's message (and its warnings); nothing is stored", async () => {
    const r = await kubectl(["run", "bad", "--image=nginx:latest", "-n", "guarded"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server: admission webhook "pods.devops.stochastic.io" denied the request: container "bad" uses the :latest tag');
    expect(r.stderr).toContain("Warning: kube-devops: scored 40/100");
    expect(podExists("guarded", "bad")).toBe(false);
  });

  test("an admitted pod prints the webhook's warnings and is created", async () => {
    const r = await kubectl(["run", "good", "--image=nginx:1.27", "-n", "guarded"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: container "good" has no readiness probe');
    expect(r.stdout).toContain("pod/good created");
    expect(podExists("guarded", "good")).toBe(true);
  });

  test("the webhook received a complete AdmissionReview for kubectl run", () => {
    const req = policy.received.find((r) => r.name === "good" && r.operation === "CREATE");
    expect(req).toMatchObject({
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      namespace: "guarded",
      operation: "CREATE",
      userInfo: { username: "admin", groups: ["system:masters", "system:authenticated"] },
      object: { metadata: { name: "good", namespace: "guarded" }, spec: { containers: [{ name: "good", image: "nginx:1.27" }] } },
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1", fieldManager: "kubectl-run" },
    });
  });

  test("a kubectl label is an UPDATE with the old and new object and PatchOptions", async () => {
    const r = await kubectl(["label", "pod", "good", "-n", "guarded", "tier=web"]);
    expect(r.code).toBe(0);
    const req = policy.received.find((x) => x.name === "good" && x.operation === "UPDATE");
    expect(req).toMatchObject({ object: { metadata: { labels: { tier: "web" } } }, oldObject: { metadata: { name: "good" } }, options: { kind: "PatchOptions" } });
    expect(((req?.oldObject as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {}).tier).toBeUndefined();
  });

  test("a dryRun=All create is admitted by the webhook, stored nowhere, and each warning is its own `Warning: 299` header, quoted as Go quotes it", async () => {
    const body = { apiVersion: "v1", kind: "Pod", metadata: { name: "dry-raw" }, spec: { containers: [{ name: "a", image: "nginx:1.27" }, { name: "b", image: "nginx:1.27" }] } };
    const r = await call(emu, "/api/v1/namespaces/guarded/pods?dryRun=All", { method: "POST", body });
    expect(r.status).toBe(201);
    expect(policy.received.find((x) => x.name === "dry-raw")).toMatchObject({ dryRun: true, options: { dryRun: ["All"] } });
    expect(podExists("guarded", "dry-raw")).toBe(false);
    // fetch joins the header lines with ", "; each is `299 - "<text>"` with only " and \ escaped
    expect(r.headers.get("warning")).toBe('299 - "container \\"a\\" has no readiness probe", 299 - "container \\"b\\" has no readiness probe"');
  });

  test("server-side dry run is flagged; DELETE carries the old object", async () => {
    const dry = await kubectl(["run", "dry", "--image=nginx:1.27", "-n", "guarded", "--dry-run=server"]);
    expect(dry.code).toBe(0);
    expect(policy.received.find((r) => r.name === "dry")).toMatchObject({ dryRun: true });
    expect(podExists("guarded", "dry")).toBe(false);
    const del = await kubectl(["delete", "pod", "good", "-n", "guarded", "--wait=false"]);
    expect(del.code).toBe(0);
    expect(policy.received.find((r) => r.name === "good" && r.operation === "DELETE")).toMatchObject({ object: null, oldObject: { metadata: { name: "good" } } });
  });

  test("namespaces outside the namespaceSelector are never sent to the webhook", async () => {
    const before = policy.received.length;
    const r = await kubectl(["run", "free", "--image=nginx:latest", "-n", "open"]);
    expect(r.code).toBe(0);
    expect(policy.received.length).toBe(before);
  });
});

describe("a broken webhook is handled per failurePolicy", () => {
  test("a wrong response uid fails the request under Fail", async () => {
    brokenMode = "wrong-uid";
    const r = await kubectl(["run", "p1", "--image=nginx:1.27", "-n", "fail-closed"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Error from server \(InternalError\): Internal error occurred: failed calling webhook "closed\.broken\.example\.com": received invalid webhook response: expected response\.uid="[0-9a-f-]{36}", got "not-the-request-uid"/,
    );
    expect(podExists("fail-closed", "p1")).toBe(false);
  });

  test("a wrong response uid is ignored under Ignore", async () => {
    brokenMode = "wrong-uid";
    const r = await kubectl(["run", "p1", "--image=nginx:1.27", "-n", "fail-open"]);
    expect(r.code).toBe(0);
    expect(podExists("fail-open", "p1")).toBe(true);
  });

  test("a non-JSON answer fails under Fail and is ignored under Ignore", async () => {
    brokenMode = "not-json";
    const closed = await kubectl(["run", "p2", "--image=nginx:1.27", "-n", "fail-closed"]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('Internal error occurred: failed calling webhook "closed.broken.example.com": failed to call webhook: couldn\'t get version/kind; json parse error');
    const open = await kubectl(["run", "p2", "--image=nginx:1.27", "-n", "fail-open"]);
    expect(open.code).toBe(0);
    expect(podExists("fail-open", "p2")).toBe(true);
  });
});
