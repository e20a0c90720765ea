/**
 * A workload patch whose outcome is unknown — a 5xx or an answer lost after the request was sent —
 * against the API emulator over HTTPS: the operator reads the workload again and counts the patch
 * applied when it is there (status, metric, Enforced Event), sends it again (its `test` guards make
 * that safe) when it is not, and counts it failed only when it never landed (decision 0038).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DEPLOYMENTS, DEVOPS_POLICIES, EVENTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { OperatorMetrics } from "../../lib/operator/metrics.ts";
import type { PolicyObject } from "../../lib/operator/reconcile-policy.ts";
import type { ResolvedRequest } from "../kube/hooks.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { createEnforcedApps, runEnforceCycle } from "../operator/enforce-cycle.ts";
import { prepareCluster, type Cluster } from "../operator/support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["late", "drop", "early", "down", "later"]);
});

afterAll(() => emu.stop());

type Probed = KubeObject & { spec: { template: { spec: { containers: { readinessProbe?: object }[] } } } };
type EventLike = KubeObject & { reason?: string; message?: string; type?: string; involvedObject?: { name?: string } };

const isWorkloadPatch = (req: ResolvedRequest, namespace: string) => req.method === "PATCH" && req.attrs.resource === "deployments" && req.attrs.namespace === namespace;

/** One enforce cycle of policy `p` over `namespace` (one Deployment `name`), with `handle` answering requests first. */
async function cycle(namespace: string, name: string, handle: (req: ResolvedRequest) => Promise<Response | undefined>) {
  await createEnforcedApps(cluster.client, namespace, [name]);
  const { deps } = await runEnforceCycle(emu, cluster.client, `${namespace}/p`, handle);
  const workload = await cluster.client.get<Probed>(DEPLOYMENTS, name, { namespace });
  const { items } = await cluster.client.listAll<EventLike>(EVENTS, { namespace });
  return {
    patched: workload.spec.template.spec.containers[0]?.readinessProbe !== undefined,
    status: (await cluster.client.get<PolicyObject>(DEVOPS_POLICIES, "p", { namespace })).status,
    enforced: items.filter((e) => e.reason === "Enforced").map((e) => [e.type, e.message]),
    remediated: items.filter((e) => e.reason === "Remediated" && e.involvedObject?.name === name).length,
    metric: await counts(deps.metrics),
  };
}

async function counts(metrics: OperatorMetrics): Promise<{ applied: number; failed: number }> {
  const sum = async (c: OperatorMetrics["remediationsApplied"]) => (await c.get()).values.reduce((n, v) => n + v.value, 0);
  return { applied: await sum(metrics.remediationsApplied), failed: await sum(metrics.remediationsFailed) };
}

const TIMEOUT_504 = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Timeout", code: 504, message: "The server was unable to return a response in the time allotted, but may still be processing the request" };

test("a 504 after the API server committed the patch: counted applied, with its Events, and not sent again", async () => {
  let sent = 0;
  const result = await cycle("late", "web", async (req) => {
    if (!isWorkloadPatch(req, "late")) return undefined;
    if (sent++ > 0) return undefined;
    await emu.store.patch("deployments.apps", "late", "web", "application/json-patch+json", req.body);
    return Response.json(TIMEOUT_504, { status: 504 });
  });
  expect(sent).toBe(1);
  expect(result.patched).toBe(true);
  expect(result.status?.remediationsApplied).toBe(1);
  expect(result.status?.remediationsFailed).toBe(0);
  expect(result.status?.remediatedWorkloads).toEqual(["deployment/late/web"]);
  expect(result.enforced).toEqual([["Normal", "Remediated 1 workload(s), 0 failed"]]);
  expect(result.remediated).toBe(1);
  expect(result.metric).toEqual({ applied: 1, failed: 0 });
});

test("a connection lost after the patch committed: counted applied", async () => {
  let sent = 0;
  const result = await cycle("drop", "web", async (req) => {
    if (!isWorkloadPatch(req, "drop") || sent++ > 0) return undefined;
    await emu.store.patch("deployments.apps", "drop", "web", "application/json-patch+json", req.body);
    // Headers, then the body breaks off: the answer is lost after the server acted.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"kind":"Deployment","apiVersion":"apps/v1","metadata":{'));
        controller.error(new Error("connection reset by a test"));
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  });
  expect(sent).toBe(1);
  expect(result.patched).toBe(true);
  expect(result.status?.remediationsApplied).toBe(1);
  expect(result.status?.remediationsFailed).toBe(0);
  expect(result.enforced).toEqual([["Normal", "Remediated 1 workload(s), 0 failed"]]);
  expect(result.metric).toEqual({ applied: 1, failed: 0 });
});

test("a 500 before the patch committed: read again, not there, sent again (guarded), applied once", async () => {
  let sent = 0;
  const result = await cycle("early", "web", async (req) => {
    if (!isWorkloadPatch(req, "early") || sent++ > 0) return undefined;
    return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "InternalError", code: 500, message: "injected before commit" }, { status: 500 });
  });
  expect(sent).toBe(2);
  expect(result.patched).toBe(true);
  expect(result.status?.remediationsApplied).toBe(1);
  expect(result.status?.remediationsFailed).toBe(0);
  expect(result.enforced).toEqual([["Normal", "Remediated 1 workload(s), 0 failed"]]);
  expect(result.metric).toEqual({ applied: 1, failed: 0 });
});

test("5xx on every try and the workload never patched: counted failed, its record taken back", async () => {
  let sent = 0;
  const result = await cycle("down", "web", async (req) => {
    if (!isWorkloadPatch(req, "down")) return undefined;
    sent++;
    return Response.json(TIMEOUT_504, { status: 504 });
  });
  expect(sent).toBe(3);
  expect(result.patched).toBe(false);
  expect(result.status?.remediationsApplied ?? 0).toBe(0);
  expect(result.status?.remediationsFailed).toBe(1);
  expect(result.status?.remediatedWorkloads ?? []).toEqual([]);
  // the Warning names the workload and the API server's answer (the operator trial)
  expect(result.enforced.map(([type]) => type)).toEqual(["Warning"]);
  expect(result.enforced[0]?.[1]).toStartWith("Remediated 0 workload(s), 1 failed; failed: deployment/down/web: ");
  expect(result.enforced[0]?.[1]).toContain("timed out");
  expect(result.remediated).toBe(0);
  expect(result.metric).toEqual({ applied: 0, failed: 1 });
});

test("a 504 whose patch commits only after the re-read: the resend fails its guard, the workload is patched once and counted once", async () => {
  let sent = 0;
  let held: string | undefined;
  const result = await cycle("later", "web", async (req) => {
    if (!isWorkloadPatch(req, "later")) return undefined;
    sent++;
    if (sent === 1) {
      held = req.body;
      return Response.json(TIMEOUT_504, { status: 504 });
    }
    // the first patch commits now: after the operator read the workload back, before its resend
    if (held !== undefined) await emu.store.patch("deployments.apps", "later", "web", "application/json-patch+json", held);
    held = undefined;
    return undefined;
  });
  expect(sent).toBe(2);
  expect(result.patched).toBe(true);
  expect(result.status?.remediationsApplied).toBe(1);
  expect(result.status?.remediationsFailed).toBe(0);
  expect(result.enforced).toEqual([["Normal", "Remediated 1 workload(s), 0 failed"]]);
  expect(result.remediated).toBe(1);
  expect(result.metric).toEqual({ applied: 1, failed: 0 });
});
