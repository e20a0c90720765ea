/**
 * Reliability: a persistent API outage (every request 503 + Retry-After, watches
 * cut) for the lease-holding controllers. During it the request rate stays
 * bounded (backoff, never a hot loop), the replica stops acting as leader and
 * goes not-Ready;
 * afterwards it leads again, is Ready, and its state reflects what changed
 * during the outage.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "./components.ts";
import { startOutage } from "./outage.ts";
import { leaderGauge, startReplica, until, type Replica } from "./replicas.ts";

let emu: Emulator;
const kubeconfig = join(mkdtempSync(join(tmpdir(), "kd-rel-outage-")), "kubeconfig");
const started: Replica[] = [];
const OUTAGE_MS = 8_000;
/** Requests per second a backing-off controller may make while the API is down (lease retries, two or three watch loops). */
const MAX_PER_SECOND = 25;

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
});

afterAll(async () => {
  for (const r of started) r.proc.kill("SIGKILL");
  await emu.stop();
});

function pod(namespace: string, name: string, image: string) {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [{ name: "app", image, livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } }] }, status: { phase: "Running" } };
}

async function readyz(r: Replica): Promise<number | undefined> {
  try {
    return (await fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(500) })).status;
  } catch {
    return undefined;
  }
}

for (const { name, spec, state } of LEASE_COMPONENTS) {
  describe(`${name}: persistent API outage`, () => {
    test("bounded request rate, steps down, then leads again, Ready, with the state of after the outage", async () => {
      const ns = `outage-${name}`;
      await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } as never);
      await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "team", namespace: ns }, spec: { forbidLatestTag: true } } as never, { namespace: ns });
      await emu.store.create("pods", pod(ns, "good", "nginx:1.27") as never, { namespace: ns });
      const r = await startReplica(spec, kubeconfig, `${name}-outage`);
      started.push(r);
      await until(`${name} to lead and be ready`, async () => ((await leaderGauge(r)) === 1 && (await readyz(r)) === 200 ? true : undefined));
      const before = await until(`${name}'s first state`, () => state(emu, r, ns, 0));

      const outage = startOutage(emu, { status: 503, retryAfterSeconds: 1 });
      await emu.store.create("pods", pod(ns, "bad", "nginx:latest") as never, { namespace: ns });
      const gauges: Array<number | undefined> = [];
      const readiness: Array<number | undefined> = [];
      const began = Date.now();
      while (Date.now() - began < OUTAGE_MS) {
        gauges.push(await leaderGauge(r));
        readiness.push(await readyz(r));
        await Bun.sleep(200);
      }
      const perSecond = outage.end();
      expect(r.proc.exitCode).toBeNull(); // no crash
      expect(perSecond.length).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 1);
      expect(Math.max(...perSecond)).toBeLessThanOrEqual(MAX_PER_SECOND);
      expect(perSecond.reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // it kept trying
      expect(gauges.at(-1)).toBe(0); // no longer acting as leader on a lease it cannot renew
      expect(readiness.at(-1)).toBe(503); // not Ready while it cannot reach the API server

      await until(`${name} to lead again and be ready`, async () => ((await leaderGauge(r)) === 1 && (await readyz(r)) === 200 ? true : undefined), 20_000);
      const after = await until(`${name}'s state to count the pod created during the outage`, () => state(emu, r, ns, 1), 20_000);
      expect(after).not.toEqual(before);
      r.proc.kill("SIGKILL"); // the next component's request counts are its own
    }, 60_000);
  });
}
