/**
 * Issue 8 end to end: the operator (compiled binary, `reconcile`) with a policy in
 * enforce mode against the API emulator's simulated controllers. The non-compliant
 * Deployment gets exactly the missing fields, rolls out a new ReplicaSet, the new
 * pods are compliant, the policy's score rises, and nothing else is touched.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator } from "../kube/emulator.ts";
import { ensureBinary } from "../support/binary.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Obj = Record<string, any>;
let emu: Emulator;
let operator: ReturnType<typeof Bun.spawn> | undefined;
const dir = mkdtempSync(join(tmpdir(), "kd-openf-"));
const kubeconfig = join(dir, "kubeconfig");

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const list = (resource: string, ns: string): Obj[] => emu.store.list(resource, { namespace: ns }) as unknown as Obj[];

beforeAll(async () => {
  emu = await startEmulator({ controllers: true });
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  await emu.store.create("nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } } as never);
  for (const ns of ["prod", "kube-devops"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await emu.store.create("deployments.apps", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "prod" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "web:1.4.2", ports: [{ containerPort: 8080 }] }] } },
    },
  } as never, { namespace: "prod" });
  await until("the first pods", () => (list("pods", "prod").length === 2 ? true : undefined));
});

afterAll(async () => {
  operator?.kill("SIGTERM");
  await operator?.exited;
  await emu.stop();
});

test("an enforcing policy remediates the Deployment, it rolls out, the pods comply and the score rises", async () => {
  const firstRs = list("replicasets.apps", "prod").map((r) => r.metadata.name as string);
  await emu.store.create("devopspolicies.devops.stochastic.io", {
    apiVersion: "devops.stochastic.io/v1",
    kind: "DevOpsPolicy",
    metadata: { name: "strict", namespace: "prod" },
    spec: { requireLivenessProbe: true, requireReadinessProbe: true, enforcementMode: "audit", defaultResources: { cpuRequest: "50m" } },
  } as never, { namespace: "prod" });
  operator = Bun.spawn([ensureBinary(), "reconcile", "--kubeconfig", kubeconfig, "--metrics-addr", "127.0.0.1:0", "--no-leader-elect", "--requeue-interval", "1s", "--pod-debounce", "100ms"], {
    env: { PATH: process.env.PATH ?? "/usr/bin", HOME: dir, POD_NAMESPACE: "kube-devops" },
    stdout: "ignore",
    stderr: "ignore",
  });

  const policy = (): Obj => emu.store.get("devopspolicies.devops.stochastic.io", "prod", "strict") as unknown as Obj;
  // Audit first: the score of the non-compliant pods, and nothing patched.
  const audited = await until("an audit status over both pods", () => (String(policy().status?.message ?? "").includes("across 2 pods") ? policy().status : undefined));
  const firstScore = audited.healthScore as number;
  expect(firstScore).toBe(95); // 2 pods × (liveness 3 + readiness 2) / 2 pods
  expect((emu.store.get("deployments.apps", "prod", "web") as unknown as Obj).spec.template.spec.containers[0].livenessProbe).toBeUndefined();

  // Then the platform team switches the policy to enforce.
  await emu.store.patch("devopspolicies.devops.stochastic.io", "prod", "strict", "application/merge-patch+json", JSON.stringify({ spec: { enforcementMode: "enforce" } }));

  const container = await until("the patched template", () => {
    const c = (emu.store.get("deployments.apps", "prod", "web") as unknown as Obj).spec.template.spec.containers[0];
    return c.livenessProbe ? c : undefined;
  });
  expect(container.readinessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
  expect(container.livenessProbe).toMatchObject({ tcpSocket: { port: 8080 }, failureThreshold: 6 });
  // no memory limit: the policy names none, and a guessed one can OOM-kill (decision 0010)
  expect(container.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m" } });
  expect(container.image).toBe("web:1.4.2");

  const rolled = await until("a new ReplicaSet with the pods", () => {
    const fresh = list("replicasets.apps", "prod").find((r) => !firstRs.includes(r.metadata.name) && r.status?.readyReplicas === 2);
    return fresh ? (fresh.metadata.name as string) : undefined;
  });
  const pods = await until("only compliant pods", () => {
    const all = list("pods", "prod").filter((p) => !p.metadata.deletionTimestamp);
    return all.length === 2 && all.every((p) => p.metadata.name.startsWith(rolled)) ? all : undefined;
  });
  for (const p of pods) expect(p.spec.containers[0].livenessProbe).toBeDefined();

  const final = await until("the score to rise", () => ((policy().status?.healthScore ?? 0) > firstScore ? policy().status : undefined));
  expect(final.healthScore).toBe(100);
  expect(final.remediationsApplied).toBeGreaterThanOrEqual(1);
  expect(final.remediatedWorkloads).toEqual(["deployment/prod/web"]);

  // A second pass changes nothing: the template stays as patched.
  const generation = (emu.store.get("deployments.apps", "prod", "web") as unknown as Obj).metadata.generation;
  await Bun.sleep(2500);
  expect((emu.store.get("deployments.apps", "prod", "web") as unknown as Obj).metadata.generation).toBe(generation);
});
