/**
 * The operator's status writes against the API emulator over HTTPS: optimistic concurrency (a write
 * computed from a stale copy is refused with 409 and redone on the fresh object, so another
 * writer's condition or a newer running total is never overwritten), and an enforcement cycle cut
 * short by the end of the leader term still shows the patches it made in status (decision 0038).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEPLOYMENTS, DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { reconcilePolicy, type PolicyObject, type ReconcileDeps } from "../../lib/operator/reconcile-policy.ts";
import { deployment } from "../enforcement/workloads.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { enforceDeps, runEnforceCycle } from "./enforce-cycle.ts";
import { prepareCluster, testPolicy, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod", "shop", "cut", "fail", "record", "lost", "halt"]);
});

afterAll(() => emu.stop());

const deps = (policy: () => PolicyObject | undefined, extra: Partial<ReconcileDeps> = {}) => enforceDeps(cluster.client, policy, extra);

const read = (namespace: string, name: string) => cluster.client.get<PolicyObject>(DEVOPS_POLICIES, name, { namespace });
const app = (name: string, namespace: string) => deployment(name, namespace, [{ name: "app", image: `${name}:1.0`, ports: [{ containerPort: 8080 }] }]);

test("a condition another writer added after our read is kept, beside ours", async () => {
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("a", "prod", {}));
  const stale = await read("prod", "a");
  // Another controller (or `kubectl patch --subresource status`) adds its own condition meanwhile.
  const foreign = { type: "example.com/Approved", status: "True" as const, reason: "Reviewed", message: "approved by the platform team", lastTransitionTime: "2026-11-26T10:00:00Z" };
  await cluster.client.patch(DEVOPS_POLICIES, "a", { type: "merge", patch: { status: { conditions: [foreign] } } }, { namespace: "prod", subresource: "status" });

  expect(await reconcilePolicy("prod/a", deps(() => stale))).toEqual({ requeueAfterMs: 30_000 });
  const after = await read("prod", "a");
  expect(after.status?.conditions?.map((c) => c.type)).toEqual(["Ready", "SpecValid", "example.com/Approved"]);
  expect(after.status?.conditions?.find((c) => c.type === "example.com/Approved")).toEqual(foreign);
  expect(after.status?.healthScore).toBe(100);

  // And it stays through later evaluations from a fresh copy (our condition types only are set).
  await reconcilePolicy("prod/a", deps(() => after));
  expect((await read("prod", "a")).status?.conditions?.find((c) => c.type === "example.com/Approved")).toEqual(foreign);
});

test("a stale copy never overwrites a fresher running total: this cycle's patches are counted on top of it", async () => {
  await cluster.client.create(DEPLOYMENTS, app("web", "shop"), { namespace: "shop" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("b", "shop", { enforcementMode: "enforce", requireReadinessProbe: true }));
  const stale = await read("shop", "b");
  // A newer leader recorded remediations after our read (a hand-over): its total must survive ours.
  await cluster.client.patch(DEVOPS_POLICIES, "b", { type: "merge", patch: { status: { remediationsApplied: 5, remediatedWorkloads: ["deployment/shop/old"] } } }, { namespace: "shop", subresource: "status" });

  await reconcilePolicy("shop/b", deps(() => stale));
  const after = await read("shop", "b");
  expect(after.status?.remediationsApplied).toBe(6);
  expect(after.status?.remediatedWorkloads).toEqual(["deployment/shop/old", "deployment/shop/web"]);
  expect(after.status?.healthScore).toBe(100);
});

test("a cycle cut short by the end of the leader term shows the patches it made in status; nothing is written after it", async () => {
  for (const name of ["w1", "w2", "w3"]) await cluster.client.create(DEPLOYMENTS, app(name, "cut"), { namespace: "cut" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("c", "cut", { enforcementMode: "enforce", requireReadinessProbe: true }));
  const policy = await read("cut", "c");
  // The lease is lost while the first workload patch is on the wire: it completes, no other starts.
  const term = new AbortController();
  const stop = emu.store.subscribe((ev) => {
    const annotations = (ev.object as KubeObject & { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }).spec?.template?.metadata?.annotations;
    if (ev.type === "MODIFIED" && annotations?.["devops.stochastic.io/patched-by"]) term.abort();
  }, { resource: "deployments.apps" });
  try {
    expect(await reconcilePolicy("cut/c", deps(() => policy, { signal: term.signal }))).toEqual({ requeueAfterMs: 0 });
  } finally {
    stop();
  }
  const patched = [];
  for (const name of ["w1", "w2", "w3"]) {
    const d = await cluster.client.get<KubeObject & { spec: { template: { spec: { containers: { readinessProbe?: object }[] } } } }>(DEPLOYMENTS, name, { namespace: "cut" });
    if (d.spec.template.spec.containers[0]?.readinessProbe) patched.push(`deployment/cut/${name}`);
  }
  expect(patched).toEqual(["deployment/cut/w1"]);
  const after = await read("cut", "c");
  expect(after.status?.remediationsApplied).toBe(1);
  expect(after.status?.remediatedWorkloads).toEqual(patched);
  // The evaluation of the cut cycle is not written (the next leader evaluates and writes it).
  expect(after.status?.lastEvaluated).toBeUndefined();

  // The next leader re-plans from the workloads: the patched one is compliant, the others are patched, the total is 3, not 1 + 3.
  await reconcilePolicy("cut/c", deps(() => after));
  const done = await read("cut", "c");
  expect(done.status?.remediationsApplied).toBe(3);
  expect(done.status?.remediatedWorkloads).toEqual(["deployment/cut/w1", "deployment/cut/w2", "deployment/cut/w3"]);
  expect(done.status?.remediationsFailed).toBe(0);
});

test("a patch recorded before it was sent that then fails is taken out of the count and the list again", async () => {
  for (const name of ["f1", "f2"]) await cluster.client.create(DEPLOYMENTS, app(name, "fail"), { namespace: "fail" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("d", "fail", { enforcementMode: "enforce", requireReadinessProbe: true }));
  const policy = await read("fail", "d");
  emu.faults.failNext(1, { verb: "patch", resource: "deployments", name: "f1", status: 403, message: "denied by a test" });
  await reconcilePolicy("fail/d", deps(() => policy));
  const after = await read("fail", "d");
  expect(after.status?.remediationsApplied).toBe(1);
  expect(after.status?.remediatedWorkloads).toEqual(["deployment/fail/f2"]);
  expect(after.status?.remediationsFailed).toBe(1);
});

test("a term that ends while a patch's record is on the wire: that patch is still sent (its record is stored), no other starts, the count is exact", async () => {
  // The record is the fence: once it is stored, not sending the patch would leave a count of a
  // patch never made, which the next leader then makes and counts again (decision 0038).
  for (const name of ["r1", "r2", "r3"]) await cluster.client.create(DEPLOYMENTS, app(name, "record"), { namespace: "record" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("e", "record", { enforcementMode: "enforce", requireReadinessProbe: true }));
  const policy = await read("record", "e");
  const term = new AbortController();
  const stop = emu.store.subscribe((ev) => {
    if (ev.type === "MODIFIED" && (ev.object as PolicyObject).status?.remediationsApplied === 1) term.abort();
  }, { resource: "devopspolicies.devops.stochastic.io" });
  try {
    expect(await reconcilePolicy("record/e", deps(() => policy, { signal: term.signal }))).toEqual({ requeueAfterMs: 0 });
  } finally {
    stop();
  }
  expect(term.signal.aborted).toBe(true);
  const patched = [];
  for (const name of ["r1", "r2", "r3"]) {
    const d = await cluster.client.get<KubeObject & { spec: { template: { spec: { containers: { readinessProbe?: object }[] } } } }>(DEPLOYMENTS, name, { namespace: "record" });
    if (d.spec.template.spec.containers[0]?.readinessProbe) patched.push(`deployment/record/${name}`);
  }
  expect(patched).toEqual(["deployment/record/r1"]);
  const after = await read("record", "e");
  expect(after.status?.remediationsApplied).toBe(1);
  expect(after.status?.remediatedWorkloads).toEqual(patched);
});

test("a record whose answer was lost is counted once: a 504 after it committed, and a 504 before it did", async () => {
  // kube-apiserver's 504 Timeout "may still be processing the request": the write can commit.
  // Repeated as is, its resourceVersion is stale (409); recomputed on a fresh read, the record
  // would count its patch twice. The first record's 504 comes after the commit, the second's before.
  for (const name of ["l1", "l2"]) await cluster.client.create(DEPLOYMENTS, app(name, "lost"), { namespace: "lost" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("g", "lost", { enforcementMode: "enforce", requireReadinessProbe: true }));
  let lost = 0;
  await runEnforceCycle(emu, cluster.client, "lost/g", async (req) => {
    if (req.method === "PATCH" && req.attrs.resource === "devopspolicies" && req.attrs.subresource === "status" && req.attrs.namespace === "lost" && req.body.includes('"remediationsApplied":') && !req.body.includes('"healthScore"') && lost < 2) {
      // records only (the final write carries the score): the first commits, the second does not
      if (lost++ === 0) await emu.store.patch("devopspolicies.devops.stochastic.io", "lost", "g", "application/merge-patch+json", req.body, { subresource: "status" });
      return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Timeout", code: 504, message: "The server was unable to return a response in the time allotted, but may still be processing the request" }, { status: 504 });
    }
    return undefined;
  });
  expect(lost).toBe(2);
  const after = await read("lost", "g");
  expect(after.status?.remediatedWorkloads).toEqual(["deployment/lost/l1", "deployment/lost/l2"]);
  expect(after.status?.remediationsApplied).toBe(2);
});

test("a cycle halted by a record that cannot be written still takes back the record of a patch that failed", async () => {
  // h1's record is stored and its patch fails; h2's record then fails (the API server errs three
  // times): no further patch is sent, and h1 — never patched — must not stay counted, or the next
  // cycle, which patches it, counts it a second time.
  for (const name of ["h1", "h2"]) await cluster.client.create(DEPLOYMENTS, app(name, "halt"), { namespace: "halt" });
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("h", "halt", { enforcementMode: "enforce", requireReadinessProbe: true }));
  emu.faults.failNext(1, { verb: "patch", resource: "deployments", name: "h1", status: 403, message: "denied by a test" });
  let records = 0;
  await runEnforceCycle(emu, cluster.client, "halt/h", async (req) => {
    const record = req.method === "PATCH" && req.attrs.resource === "devopspolicies" && req.attrs.subresource === "status" && req.attrs.namespace === "halt" && !req.body.includes('"healthScore"');
    if (record && records++ >= 1 && records <= 4) return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "InternalError", code: 500, message: "injected" }, { status: 500 });
    return undefined;
  }).catch(() => undefined);
  expect(records).toBe(4);
  const halted = await read("halt", "h");
  expect(halted.status?.remediationsApplied ?? 0).toBe(0);
  expect(halted.status?.remediatedWorkloads ?? []).toEqual([]);
  // the next cycle patches both: 2, not 3
  await reconcilePolicy("halt/h", deps(() => halted));
  const done = await read("halt", "h");
  expect(done.status?.remediationsApplied).toBe(2);
  expect(done.status?.remediatedWorkloads).toEqual(["deployment/halt/h1", "deployment/halt/h2"]);
});
