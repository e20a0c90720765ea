/**
 * End to end through the API emulator (real CEL matchConditions, simulated controllers) and the
 * webhook's verdict (admitRequest behind TLS, counting what it is sent), with the VWC exactly as
 * install-config/generate-all/the chart render it: a user's Deployment is judged and a denial still
 * denies, the ReplicaSet and pods its controllers create never reach the webhook, a bare pod from a
 * kube-system ServiceAccount is still sent and denied, a kubelet's mirror pod is skipped. Without
 * the conditions the same rollout costs the webhook the ReplicaSet and every pod as well.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { admitRequest } from "../../lib/admission/admit.ts";
import { compileAdmissionPolicy } from "../../lib/admission/policy-index.ts";
import { parseAdmissionReview, toAdmissionReview } from "../../lib/admission/review.ts";
import { startTestWebhook, type TestWebhook } from "../kube/admission/test-webhook.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { call } from "../kube/test-client.ts";

const VWC = "validatingwebhookconfigurations.admissionregistration.k8s.io";
const POLICY = compileAdmissionPolicy("prod", "no-latest", { forbidLatestTag: true, requireReadinessProbe: true, enforcementMode: "enforce" } as never);
const ADDON = { username: "system:serviceaccount:kube-system:some-addon", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"] };

let emu: Emulator;
let hook: TestWebhook;

/** What the webhook was sent: `<operation> <Kind>/<name>`. */
function sent(since = 0): string[] {
  return hook.received.slice(since).map((r) => `${r.operation} ${(r.kind as { kind: string }).kind}/${(r.object as { metadata: { name?: string; generateName?: string } }).metadata.name ?? ""}`);
}

function deployment(name: string, image: string, replicas: number): Record<string, unknown> {
  const labels = { app: name };
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "prod" }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } } } };
}

function pod(name: string, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "prod", ...metadata }, spec: { containers: [{ name: "app", image: "busybox:latest" }] } };
}

async function rejection(write: Promise<unknown>): Promise<{ code?: number; message: string } | undefined> {
  try {
    await write;
    return undefined;
  } catch (err) {
    return err as { code?: number; message: string };
  }
}

beforeAll(async () => {
  hook = await startTestWebhook((review) => {
    const parsed = parseAdmissionReview(review);
    if (!parsed.ok) throw new Error(parsed.message);
    const decision = admitRequest(parsed.request, { ownNamespace: "kube-devops", policiesFor: (ns) => (ns === "prod" ? [POLICY] : []) });
    return toAdmissionReview(parsed.apiVersion, decision.response) as unknown as Record<string, unknown>;
  }, ["kube-devops-webhook.kube-devops.svc"]);
  emu = await startEmulator({ controllers: true, webhookServices: { "kube-devops/kube-devops-webhook": `127.0.0.1:${hook.port}` } });
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  // through the emulator's validation: the generated conditions compile to bool, or this is a 422
  await emu.store.create(VWC, renderWebhookConfiguration({ caBundle: hook.caBundle }) as never);
});

afterAll(async () => {
  await emu?.stop();
  hook?.stop();
});

describe("matchConditions of the generated VWC, end to end", () => {
  test("a user's Deployment with a :latest image is still denied", async () => {
    const since = hook.received.length;
    const r = await call(emu, "/apis/apps/v1/namespaces/prod/deployments", { method: "POST", body: deployment("bad", "redis:latest", 3) });
    expect(r.status).toBe(403);
    expect(r.body.message).toContain("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    expect(sent(since)).toEqual(["CREATE Deployment/bad"]);
  });

  test("a 3-replica rollout sends the webhook the Deployment only: not its ReplicaSet, not its pods", async () => {
    const since = hook.received.length;
    const r = await call(emu, "/apis/apps/v1/namespaces/prod/deployments", { method: "POST", body: deployment("web", "nginx:1.27", 3) });
    expect(r.status).toBe(201);
    await emu.settle();
    const pods = (await call(emu, "/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb")).body.items as unknown[];
    expect(pods).toHaveLength(3);
    // the controllers' own Deployment updates (revision annotation) are still sent: a Deployment has no controller owner
    expect(sent(since).filter((s) => !s.startsWith("UPDATE Deployment/web"))).toEqual(["CREATE Deployment/web"]);
  });

  test("a bare pod from a kube-system ServiceAccount, without a controller owner, is still sent and denied", async () => {
    const since = hook.received.length;
    const denied = await rejection(emu.store.create("pods", pod("sneaky") as never, { namespace: "prod", user: ADDON }));
    expect(denied?.code).toBe(403);
    expect(denied?.message).toContain("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    // an owner that is not a controller, or not a template owner, does not make it a controller's child
    const notController = await rejection(emu.store.create("pods", pod("sneaky-2", { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-x", uid: "u", controller: false }] }) as never, { namespace: "prod", user: ADDON }));
    expect(notController?.code).toBe(403);
    expect(sent(since)).toEqual(["CREATE Pod/sneaky", "CREATE Pod/sneaky-2"]);
  });

  test("a kubelet's mirror pod is not sent (the kubelet runs the static pod whatever admission says)", async () => {
    const since = hook.received.length;
    const kubelet = { username: "system:node:worker-1", groups: ["system:nodes", "system:authenticated"] };
    await emu.store.create("pods", pod("etcd-worker-1", { annotations: { "kubernetes.io/config.mirror": "abc" } }) as never, { namespace: "prod", user: kubelet });
    expect(sent(since)).toEqual([]);
    // the same identity without the annotation is judged
    expect((await rejection(emu.store.create("pods", pod("not-mirror") as never, { namespace: "prod", user: kubelet })))?.code).toBe(403);
    expect(sent(since)).toEqual(["CREATE Pod/not-mirror"]);
  });

  test("without the conditions (a 1.27 API server drops them) the same rollout costs the ReplicaSet and every pod too", async () => {
    const vwc = (await emu.store.get(VWC, undefined, "kube-devops-webhook")) as unknown as { webhooks: Record<string, unknown>[] };
    for (const webhook of vwc.webhooks) delete webhook.matchConditions;
    await emu.store.update(VWC, vwc as never, { name: "kube-devops-webhook" });
    const since = hook.received.length;
    expect((await call(emu, "/apis/apps/v1/namespaces/prod/deployments", { method: "POST", body: deployment("api", "nginx:1.27", 3) })).status).toBe(201);
    await emu.settle();
    const calls = sent(since).filter((s) => !s.startsWith("UPDATE"));
    expect(calls.filter((s) => s.startsWith("CREATE Pod/"))).toHaveLength(3);
    expect(calls.filter((s) => s.startsWith("CREATE ReplicaSet/"))).toHaveLength(1);
    expect(calls).toContain("CREATE Deployment/api");
  });
});
