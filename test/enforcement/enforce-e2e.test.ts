/**
 * Enforcement against the API emulator over HTTPS: the `enforce` command (compiled
 * binary) and `enforceNamespace` (the operator's step) patch exactly what is
 * missing, honour dry runs, budgets, opt-outs and exemptions, never overwrite a
 * concurrent edit, and change nothing on a second pass.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { enforceNamespace } from "../../lib/enforcement/apply-remediation.ts";
import { connect } from "../../lib/kube/connect.ts";
import { isProtectedNamespace } from "../../lib/namespaces.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";
import { deployment, sidecarDaemonSet } from "./workloads.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-enforce-"));
const kubeconfig = join(dir, "kubeconfig");
const DEPLOY = "deployments.apps";
let nsCounter = 0;
let ns = "";

async function seed(): Promise<void> {
  ns = `team-${++nsCounter}`;
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await emu.store.create(DEPLOY, deployment("web", ns, [{ name: "app", image: "web:1.0", ports: [{ containerPort: 8080 }] }]) as never, { namespace: ns });
  await emu.store.create(DEPLOY, deployment("worker", ns, [{ name: "w", image: "worker:2" }]) as never, { namespace: ns });
  await emu.store.create(DEPLOY, deployment("legacy", ns, [{ name: "l", image: "l:1", ports: [{ containerPort: 80 }] }], { "devops.stochastic.io/enforce": "false" }) as never, { namespace: ns });
}

function container(name: string, cname: string): Record<string, unknown> {
  const d = emu.store.get(DEPLOY, ns, name) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
  return d.spec.template.spec.containers.find((c) => c.name === cname) as Record<string, unknown>;
}

function kd(args: string[]) {
  return runBinaryAsync([...args, "--kubeconfig", kubeconfig]);
}

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(seed);

describe("kube-devops enforce", () => {
  test("--dry-run=client prints the plan and diff and changes nothing", async () => {
    const { code, stdout, stderr } = await kd(["enforce", "-n", ns, "--bundle", "restricted", "--dry-run=client"]);
    expect(code).toBe(3); // the worker would still lack probes: see the ! line
    expect(stderr).toContain("1 workload(s) would still violate bundle restricted in ways enforcement cannot fix");
    expect(stdout).toContain(`deployment/${ns}/web: planned`);
    expect(stdout).toContain("+ readinessProbe: tcpSocket :8080");
    expect(stdout).toContain(`deployment/${ns}/legacy: skipped (opted out`);
    expect(stdout).toContain("! w: needs a readiness probe, port unknown");
    expect(container("web", "app").readinessProbe).toBeUndefined();
  });

  test("--dry-run=server has the API server check the patches and persists nothing", async () => {
    const { code, stdout } = await kd(["enforce", "-n", ns, "--bundle", "restricted", "--dry-run=server"]);
    expect(code).toBe(3);
    expect(stdout).toContain("Summary: 0 applied, 0 failed, 2 planned (dry run: server)");
    expect(container("web", "app").livenessProbe).toBeUndefined();
  });

  test("applies exactly the missing fields, skips the opted-out workload, and a second run changes nothing", async () => {
    const first = await kd(["enforce", "-n", ns, "--bundle", "restricted"]);
    expect(first.code).toBe(3); // applied, but the portless worker is left without probes
    expect(first.stdout).toContain("Summary: 2 applied, 0 failed");
    const app = container("web", "app");
    expect(app.readinessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
    expect(app.livenessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
    expect(app.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(container("worker", "w").readinessProbe).toBeUndefined(); // no port: never invented
    expect(container("worker", "w").resources).toBeDefined();
    expect(container("legacy", "l").resources ?? {}).toEqual({}); // the API server defaults resources to {}
    const web = emu.store.get(DEPLOY, ns, "web") as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(web.spec.template.metadata.annotations["devops.stochastic.io/patched-by"]).toBe("kube-devops-operator");
    const second = await kd(["enforce", "-n", ns, "--bundle", "restricted"]);
    expect(second.stdout).toContain(`deployment/${ns}/worker: unresolved\n  ! w: needs a liveness probe, port unknown`);
    expect(second.stdout).toContain("Summary: 0 applied, 0 failed, 0 planned, 0 deferred, 1 compliant, 1 unresolved, 1 skipped");
    expect(second.code).toBe(3);
  });

  test("a workload enforcement cannot fix is unresolved, not compliant, and the run exits 3; once fixed by hand it is compliant and the run exits 0", async () => {
    const { code, stdout, stderr } = await kd(["enforce", "-n", ns, "--bundle", "baseline"]);
    // baseline asks for readiness only: web gets it, the portless worker cannot
    expect(stdout).toContain(`deployment/${ns}/worker: unresolved\n  ! w: needs a readiness probe, port unknown`);
    expect(stdout).not.toContain(`deployment/${ns}/worker: compliant`);
    expect(stdout).toContain("Summary: 1 applied, 0 failed, 0 planned, 0 deferred, 0 compliant, 1 unresolved, 1 skipped");
    expect(stderr).toContain("1 workload(s) still violate bundle baseline in ways enforcement cannot fix (the lines marked !)");
    expect(code).toBe(3);
    const d = emu.store.get(DEPLOY, ns, "worker") as Record<string, any>;
    d.spec.template.spec.containers[0].readinessProbe = { exec: { command: ["true"] } };
    await emu.store.update(DEPLOY, d as never, { namespace: ns, name: "worker" });
    const fixed = await kd(["enforce", "-n", ns, "--bundle", "baseline"]);
    expect(fixed.stdout).toContain("Summary: 0 applied, 0 failed, 0 planned, 0 deferred, 2 compliant, 0 unresolved, 1 skipped");
    expect(fixed.code).toBe(0);
  });

  test("a native sidecar is reported unresolved with decision 0026, and the Remediated Event names each container's fields", async () => {
    await emu.store.create("daemonsets.apps", sidecarDaemonSet(ns) as never, { namespace: ns });
    await emu.store.create(DEPLOY, deployment("pair", ns, [{ name: "app", image: "a:1", ports: [{ containerPort: 8080 }] }, { name: "proxy", image: "p:1", ports: [{ containerPort: 9090 }] }]) as never, { namespace: ns });
    const { code, stdout } = await kd(["enforce", "-n", ns, "--bundle", "baseline"]);
    expect(code).toBe(3);
    expect(stdout).toContain(`daemonset/${ns}/logs: unresolved\n  ! shipper: native sidecar: not remediated, see decision 0026 (missing_readiness)`);
    const events = (emu.store.list("events", { namespace: ns }) as unknown as Array<Record<string, any>>).filter((e) => e.reason === "Remediated" && e.involvedObject.name === "pair");
    expect(events.map((e) => e.message)).toEqual([
      "kube-devops enforce (bundle baseline): container app: readinessProbe tcpSocket :8080; container proxy: readinessProbe tcpSocket :9090",
    ]);
  });

  test("exemptions hold: an exempt Deployment keeps its template, an exempt check gets nothing, and --no-exemptions patches both", async () => {
    const exempt = deployment("batch", ns, [{ name: "b", image: "b:1", ports: [{ containerPort: 8080 }] }]);
    exempt.spec.template.metadata = { labels: { app: "batch" }, annotations: { "devops.stochastic.io/exempt": "true" } } as never;
    await emu.store.create(DEPLOY, exempt as never, { namespace: ns });
    await emu.store.create(DEPLOY, deployment("queue", ns, [{ name: "q", image: "q:1", ports: [{ containerPort: 9000 }] }], { "devops.stochastic.io/exempt-checks": "missing_liveness" }) as never, { namespace: ns });
    const template = (name: string): unknown => (emu.store.get(DEPLOY, ns, name) as unknown as { spec: { template: unknown } }).spec.template;
    const before = structuredClone(template("batch"));
    const { stdout } = await kd(["enforce", "-n", ns, "--bundle", "restricted"]);
    expect(stdout).toContain(`deployment/${ns}/batch: compliant`);
    expect(template("batch")).toEqual(before);
    const q = container("queue", "q");
    expect(q.readinessProbe).toMatchObject({ tcpSocket: { port: 9000 } });
    expect(q.livenessProbe).toBeUndefined();
    expect(q.startupProbe).toBeUndefined();
    const events = (emu.store.list("events", { namespace: ns }) as unknown as Array<Record<string, any>>).filter((e) => e.reason === "Remediated" && e.involvedObject.name === "queue");
    expect(events.map((e) => e.message)).toEqual([
      "kube-devops enforce (bundle restricted): container q: readinessProbe tcpSocket :9000, resources.requests.cpu 100m, resources.limits.cpu 500m, resources.requests.memory 128Mi, resources.limits.memory 256Mi",
    ]);
    const off = await kd(["enforce", "-n", ns, "--bundle", "restricted", "--no-exemptions"]);
    expect(off.stdout).toContain(`deployment/${ns}/batch: applied`);
    expect(container("batch", "b").livenessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
    expect(container("queue", "q").livenessProbe).toMatchObject({ tcpSocket: { port: 9000 } });
  });

  test("--max-patches bounds how many workloads one run rolls", async () => {
    const { stdout } = await kd(["enforce", "-n", ns, "--bundle", "restricted", "--max-patches", "1"]);
    expect(stdout).toContain("Summary: 1 applied");
    expect(stdout).toContain("1 deferred");
  });

  test("--max-patches defers the same workloads in a client dry run, a server dry run and a real run", async () => {
    const summaries: string[] = [];
    for (const mode of ["--dry-run=client", "--dry-run=server", undefined]) {
      const { stdout } = await kd(["enforce", "-n", ns, "--bundle", "restricted", "--max-patches", "1", ...(mode ? [mode] : [])]);
      summaries.push(stdout.slice(stdout.indexOf("Summary:")).trim());
      expect(stdout).toContain(`deployment/${ns}/web: ${mode ? "planned" : "applied"}`);
      expect(stdout).toContain(`deployment/${ns}/worker: deferred`);
    }
    expect(summaries).toEqual([
      "Summary: 0 applied, 0 failed, 1 planned (dry run: client), 1 deferred, 0 compliant, 0 unresolved, 1 skipped",
      "Summary: 0 applied, 0 failed, 1 planned (dry run: server), 1 deferred, 0 compliant, 0 unresolved, 1 skipped",
      "Summary: 1 applied, 0 failed, 0 planned, 1 deferred, 0 compliant, 0 unresolved, 1 skipped",
    ]);
  });

  test("protected namespaces are never touched", async () => {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-tools" } }).catch(() => undefined);
    const { stdout } = await kd(["enforce", "-n", "kube-tools", "--bundle", "restricted"]);
    expect(stdout).toContain("Summary: 0 applied");
  });

  test("--policy reads only the policy's spec: a status field newer than this binary (an upgraded operator's CRD) does not stop it", async () => {
    const crds = renderCrds().map((crd) => structuredClone(crd) as unknown as { metadata: { name: string }; spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } } }> } });
    const policyCrd = crds.find((c) => c.metadata.name.startsWith("devopspolicies."));
    if (!policyCrd) throw new Error("no DevOpsPolicy CRD");
    for (const v of policyCrd.spec.versions) v.schema.openAPIV3Schema.properties.status.properties.driftDetected = { type: "boolean" };
    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", policyCrd as never).catch(() => undefined);
    await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "p", namespace: ns }, spec: { requireReadinessProbe: true } } as never, { namespace: ns });
    await emu.store.patch("devopspolicies.devops.stochastic.io", ns, "p", "application/merge-patch+json", JSON.stringify({ status: { driftDetected: true } }), { subresource: "status" });
    expect((emu.store.get("devopspolicies.devops.stochastic.io", ns, "p") as unknown as { status?: Record<string, unknown> }).status?.driftDetected).toBe(true);
    const { stdout, stderr } = await kd(["enforce", "-n", ns, "--policy", "p", "--dry-run=client"]);
    expect(stderr).not.toContain("status.driftDetected");
    expect(stdout).toContain(`deployment/${ns}/web: planned`);
  });

  test("exactly one of --policy and --bundle is required", async () => {
    const { code, stderr } = await kd(["enforce", "-n", ns]);
    expect(code).toBe(2);
    expect(stderr).toContain("--policy");
  });
});

describe("enforceNamespace()", () => {
  test("a workload edited between plan and patch is re-read and re-planned, never overwritten", async () => {
    const { client } = connect({ kubeconfig, env: {}, rateLimit: false });
    const original = client.patch.bind(client);
    let edited = false;
    client.patch = (async (...args: Parameters<typeof original>) => {
      if (!edited && args[1] === "web") {
        edited = true; // a user adds their own readiness probe right before our patch lands
        const d = emu.store.get(DEPLOY, ns, "web") as Record<string, any>;
        d.spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/ready", port: 8080 } };
        await emu.store.update(DEPLOY, d as never, { namespace: ns, name: "web" });
      }
      return original(...args);
    }) as typeof client.patch;
    const report = await enforceNamespace(client, {
      namespace: ns,
      spec: { enforcementMode: "enforce", requireReadinessProbe: true, requireLivenessProbe: true },
      maxPatches: 10,
      isProtectedNamespace,
    });
    expect(edited).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.workloads).toContain(`deployment/${ns}/web`);
    expect(container("web", "app").readinessProbe).toEqual({ httpGet: { path: "/ready", port: 8080 } });
    expect(container("web", "app").livenessProbe).toMatchObject({ tcpSocket: { port: 8080 } });
  });

  test("once the leader term ends, a patch that met a concurrent edit is not retried: the workload is deferred, not re-planned and patched", async () => {
    const { client } = connect({ kubeconfig, env: {}, rateLimit: false });
    const original = client.patch.bind(client);
    const term = new AbortController();
    const patched: string[] = [];
    client.patch = (async (...args: Parameters<typeof original>) => {
      patched.push(String(args[1]));
      if (args[1] === "web" && patched.length === 1) {
        // A user edits the workload while our patch is on its way, and the lease is lost meanwhile.
        const d = emu.store.get(DEPLOY, ns, "web") as Record<string, any>;
        d.spec.template.spec.containers[0].readinessProbe = { httpGet: { path: "/ready", port: 8080 } };
        await emu.store.update(DEPLOY, d as never, { namespace: ns, name: "web" });
        term.abort();
      }
      return original(...args);
    }) as typeof client.patch;
    const report = await enforceNamespace(client, {
      namespace: ns,
      spec: { enforcementMode: "enforce", requireReadinessProbe: true, requireLivenessProbe: true },
      maxPatches: 10,
      isProtectedNamespace,
      signal: term.signal,
    });
    // the one in flight went out (and failed its `test`); no re-planned patch after the signal
    expect(patched).toEqual(["web"]);
    expect(container("web", "app").livenessProbe).toBeUndefined();
    expect(report.applied).toBe(0);
    expect(report.results.find((r) => r.plan.name === "web")?.status).toBe("deferred");
  });
});
