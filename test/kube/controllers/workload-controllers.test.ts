/**
 * The simulated workload controllers inside a real emulator (store API, no HTTP): names,
 * ownership, rollouts, rollbacks, scaling, scheduling, status — compared with what the
 * real controllers do, not with themselves.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startEmulator, type Emulator } from "../emulator.ts";
import type { KubeObject } from "../types.ts";
import { answer, startTestWebhook } from "../admission/test-webhook.ts";
import { computeTemplateHash } from "./pod-template-hash.ts";

type Any = Record<string, any>;
let emu: Emulator;

const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
  status: { addresses: [{ type: "InternalIP", address: `192.168.0.${name.slice(-1)}` }] },
});

function deployment(name: string, image: string, replicas = 2): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "apps" },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } } },
  };
}

const list = (gr: string, labelSelector = ""): Any[] => emu.store.list(gr, { namespace: "apps", labelSelector }) as Any[];
const get = (gr: string, name: string): Any => emu.store.get(gr, "apps", name) as Any;

async function setImage(gr: string, name: string, image: string): Promise<void> {
  await emu.store.patch(gr, "apps", name, "application/strategic-merge-patch+json", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "app", image }] } } } }));
  await emu.settle();
}

beforeAll(async () => {
  emu = await startEmulator({ controllers: true });
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } });
  // Nodes as a kubelet registers them, status included (load keeps status; create would drop it).
  for (const n of ["node-1", "node-2"]) emu.store.load(node(n));
});
afterAll(() => emu.stop());

describe("Deployment → ReplicaSet → Pods", () => {
  test("a ReplicaSet named by the template hash owns Running pods", async () => {
    await emu.store.create("deployments.apps", deployment("web", "nginx:1.27"), { namespace: "apps" });
    await emu.settle();
    const d = get("deployments.apps", "web");
    const hash = computeTemplateHash(d.spec.template);
    const [rs, ...more] = list("replicasets.apps", "app=web") as [Any, ...Any[]];
    expect(more).toEqual([]);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels["pod-template-hash"]).toBe(hash);
    expect(rs.spec.selector.matchLabels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);

    const pods = list("pods", "app=web");
    expect(pods.length).toBe(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(["node-1", "node-2"]).toContain(p.spec.nodeName);
      expect(p.status).toMatchObject({ phase: "Running", hostIP: expect.stringMatching(/^192\.168\.0\.[12]$/), podIP: expect.stringMatching(/^10\.244\./) });
      expect(p.status.containerStatuses).toEqual([expect.objectContaining({ name: "app", image: "nginx:1.27", ready: true, started: true, restartCount: 0, state: { running: { startedAt: expect.any(String) } } })]);
      expect(p.status.conditions.find((c: Any) => c.type === "Ready").status).toBe("True");
    }
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    expect(d.status.conditions.map((c: Any) => [c.type, c.status, c.reason])).toEqual([
      ["Available", "True", "MinimumReplicasAvailable"],
      ["Progressing", "True", "NewReplicaSetAvailable"],
    ]);
    expect(rs.status).toEqual({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  });

  test("a template change rolls a new ReplicaSet and scales the old one to zero", async () => {
    const before = list("replicasets.apps", "app=web")[0]!;
    await setImage("deployments.apps", "web", "nginx:1.28");
    const rss = list("replicasets.apps", "app=web");
    expect(rss.length).toBe(2);
    const next = rss.find((r) => r.metadata.name !== before.metadata.name)!;
    expect(next.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(get("replicasets.apps", before.metadata.name).spec.replicas).toBe(0);
    const pods = list("pods", "app=web");
    expect(pods.map((p) => p.spec.containers[0].image)).toEqual(["nginx:1.28", "nginx:1.28"]);
    expect(pods.every((p) => p.metadata.labels["pod-template-hash"] === next.metadata.labels["pod-template-hash"])).toBe(true);
    const d = get("deployments.apps", "web");
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(d.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 2 });
  });

  test("going back to an old template reuses its ReplicaSet with a new revision (rollback)", async () => {
    await setImage("deployments.apps", "web", "nginx:1.27");
    const rss = list("replicasets.apps", "app=web");
    expect(rss.length).toBe(2);
    const active = rss.filter((r) => r.spec.replicas > 0);
    expect(active.length).toBe(1);
    expect(active[0]!.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(list("pods", "app=web").map((p) => p.spec.containers[0].image)).toEqual(["nginx:1.27", "nginx:1.27"]);
  });

  test("scaling down removes pods; a deleted pod is replaced", async () => {
    await emu.store.patch("deployments.apps", "apps", "web", "application/merge-patch+json", JSON.stringify({ spec: { replicas: 1 } }));
    await emu.settle();
    const [only, ...none] = list("pods", "app=web");
    expect(none).toEqual([]);
    await emu.store.delete("pods", "apps", only!.metadata.name);
    await emu.settle();
    const replaced = list("pods", "app=web");
    expect(replaced.length).toBe(1);
    expect(replaced[0]!.metadata.name).not.toBe(only!.metadata.name);
  });

  test("deleting the Deployment garbage-collects its ReplicaSets and pods", async () => {
    await emu.store.delete("deployments.apps", "apps", "web");
    await emu.settle();
    expect(list("replicasets.apps", "app=web")).toEqual([]);
    expect(list("pods", "app=web")).toEqual([]);
  });
});

describe("StatefulSet and DaemonSet", () => {
  test("a StatefulSet gets ordinal pods; a template change replaces them; scale-down drops the highest", async () => {
    const sts: KubeObject = { ...deployment("db", "postgres:16", 3), kind: "StatefulSet" };
    (sts.spec as Any).serviceName = "db";
    await emu.store.create("statefulsets.apps", sts, { namespace: "apps" });
    await emu.settle();
    let pods = list("pods", "app=db");
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(["db-0", "db-1", "db-2"]);
    expect(pods[0]).toMatchObject({ spec: { hostname: "db-0", subdomain: "db" }, metadata: { labels: { "statefulset.kubernetes.io/pod-name": "db-0", "apps.kubernetes.io/pod-index": "0" } } });
    const rev = get("statefulsets.apps", "db").status.updateRevision;
    expect(get("statefulsets.apps", "db").status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: rev });

    await setImage("statefulsets.apps", "db", "postgres:17");
    pods = list("pods", "app=db");
    expect(pods.map((p) => [p.metadata.name, p.spec.containers[0].image]).sort()).toEqual([["db-0", "postgres:17"], ["db-1", "postgres:17"], ["db-2", "postgres:17"]]);
    expect(get("statefulsets.apps", "db").status.updateRevision).not.toBe(rev);

    await emu.store.patch("statefulsets.apps", "apps", "db", "application/merge-patch+json", JSON.stringify({ spec: { replicas: 1 } }));
    await emu.settle();
    expect(list("pods", "app=db").map((p) => p.metadata.name)).toEqual(["db-0"]);
  });

  test("a DaemonSet runs one pod per fitting Node, and follows new Nodes", async () => {
    const ds: KubeObject = { ...deployment("agent", "agent:1"), kind: "DaemonSet" };
    delete (ds.spec as Any).replicas;
    (ds.spec as Any).template.spec.nodeSelector = { pool: "general" };
    emu.store.load(node("node-3", { pool: "general" }));
    await emu.store.create("daemonsets.apps", ds, { namespace: "apps" });
    await emu.settle();
    expect(list("pods", "app=agent").map((p) => p.spec.nodeName)).toEqual(["node-3"]);
    emu.store.load(node("node-4", { pool: "general" }));
    await emu.settle();
    expect(list("pods", "app=agent").map((p) => p.spec.nodeName).sort()).toEqual(["node-3", "node-4"]);
    expect(get("daemonsets.apps", "agent").status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberMisscheduled: 0 });
  });
});

describe("they act only on what they own", () => {
  test("a bare pod keeps exactly the status a client writes through /status", async () => {
    const pod = await emu.store.create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name: "bare", namespace: "apps" }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] } }, { namespace: "apps" });
    const status = { phase: "Running", containerStatuses: [{ name: "c", image: "busybox:1.36", imageID: "", ready: false, restartCount: 7, started: true, state: { waiting: { reason: "CrashLoopBackOff" } } }] };
    await emu.store.update("pods", { ...pod, status }, { namespace: "apps", name: "bare", subresource: "status" });
    await emu.settle();
    const after = get("pods", "bare");
    const { qosClass: _qos, ...written } = after.status; // the server may backfill the immutable qosClass
    expect(written).toEqual(status);
    expect(after.spec.nodeName).toBeUndefined();
  });

  test("a ReplicaSet whose pods a webhook denies reports ReplicaFailure with the webhook's message", async () => {
    const hook = await startTestWebhook((review) => answer(review, { allowed: false, status: { code: 403, message: "no pods today" } }));
    try {
      await emu.store.create("validatingwebhookconfigurations.admissionregistration.k8s.io", {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name: "deny-pods" },
        webhooks: [{ name: "deny.example.com", clientConfig: { url: `https://127.0.0.1:${hook.port}/`, caBundle: hook.caBundle }, rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }], sideEffects: "None", admissionReviewVersions: ["v1"] }],
      });
      await emu.store.create("deployments.apps", deployment("blocked", "nginx:1.27", 1), { namespace: "apps" });
      await emu.settle();
      expect(list("pods", "app=blocked")).toEqual([]);
      const rs = list("replicasets.apps", "app=blocked")[0]!;
      expect(rs.status.conditions).toEqual([
        { type: "ReplicaFailure", status: "True", lastTransitionTime: expect.any(String), reason: "FailedCreate", message: 'admission webhook "deny.example.com" denied the request: no pods today' },
      ]);
      expect(hook.received[0]).toMatchObject({ userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" } });
    } finally {
      await emu.store.delete("validatingwebhookconfigurations.admissionregistration.k8s.io", undefined, "deny-pods");
      hook.stop();
    }
  });
});

describe("without Nodes", () => {
  test("pods stay Pending/Unschedulable until a Node appears, then run there", async () => {
    const bare = await startEmulator({ controllers: true });
    try {
      await bare.store.create("deployments.apps", { ...deployment("solo", "nginx:1.27", 1), metadata: { name: "solo", namespace: "default" } }, { namespace: "default" });
      await bare.settle();
      const [pending] = bare.store.list("pods", { namespace: "default" }) as Any[];
      expect(pending!.status).toMatchObject({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/0 nodes are available: no nodes available to schedule pods." }] });
      expect((bare.store.get("deployments.apps", "default", "solo") as Any).status).toMatchObject({ unavailableReplicas: 1, conditions: [{ type: "Available", status: "False" }, expect.anything()] });
      bare.store.load(node("node-1"));
      await bare.settle();
      const [running, ...rest] = bare.store.list("pods", { namespace: "default" }) as Any[];
      expect(rest).toEqual([]);
      expect(running).toMatchObject({ spec: { nodeName: "node-1" }, status: { phase: "Running" } });
    } finally {
      await bare.stop();
    }
  });
});

describe("Secret volumes", () => {
  test("pods mounting a Secret that does not exist wait in ContainerCreating (the Deployment not Available) until it is created; an optional one does not hold them", async () => {
    const d = deployment("tls-app", "nginx:1.27");
    const spec = (d.spec as Any).template.spec;
    spec.volumes = [{ name: "tls", secret: { secretName: "tls-app-cert" } }, { name: "extra", secret: { secretName: "nowhere", optional: true } }];
    await emu.store.create("deployments.apps", d, { namespace: "apps" });
    await emu.settle();
    const pods = () => list("pods", "app=tls-app");
    expect(pods()).toHaveLength(2);
    for (const p of pods()) {
      expect(p.status.phase).toBe("Pending");
      expect(p.status.containerStatuses[0].state).toEqual({ waiting: { reason: "ContainerCreating" } });
    }
    expect(get("deployments.apps", "tls-app").status.conditions.find((c: Any) => c.type === "Available").status).toBe("False");
    await emu.store.create("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name: "tls-app-cert", namespace: "apps" }, data: {} } as never, { namespace: "apps" });
    await emu.settle();
    expect(pods().map((p) => p.status.phase)).toEqual(["Running", "Running"]);
    expect(get("deployments.apps", "tls-app").status.conditions.find((c: Any) => c.type === "Available").status).toBe("True");
  });
});
