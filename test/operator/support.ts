/**
 * @module
 * Shared setup for operator tests against the emulator: a client for it, the
 * CRDs installed from gen/crd.ts, pods and policies built from literals.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { upsertCrd, waitEstablished } from "../../lib/crd/install-crds.ts";
import { createKubeClient, type KubeClient } from "../../lib/kube/client.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { NAMESPACES } from "../../lib/kube/resources.ts";
import type { Emulator } from "../kube/emulator.ts";

export interface Cluster {
  client: KubeClient;
  kubeconfigPath: string;
}

/** A client for `emu` and the path of its kubeconfig; installs both CRDs. */
export async function prepareCluster(emu: Emulator, namespaces: string[] = ["prod"], options: { installCrds?: boolean } = {}): Promise<Cluster> {
  const kubeconfigPath = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-op-")), "kubeconfig"));
  const client = createKubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath, env: {} }), { rateLimit: false });
  if (options.installCrds !== false) await installCrds(client);
  for (const name of namespaces) await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return { client, kubeconfigPath };
}

/** Creates or updates both CRDs and waits until they are Established. */
export async function installCrds(client: KubeClient): Promise<void> {
  for (const crd of renderCrds()) await upsertCrd(client, crd);
  await waitEstablished(client, renderCrds().map((c) => c.metadata.name), { timeoutMs: 10_000, clock: systemClock });
}

/** A pod with one container; `bad` uses :latest and has no probes. */
export function testPod(name: string, namespace: string, bad: boolean) {
  const container = bad ? { name: "app", image: "nginx:latest" } : { name: "app", image: "nginx:1.27", livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } };
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [container] }, status: { phase: "Running" } };
}

export function testPolicy(name: string, namespace: string, spec: Record<string, unknown>, finalizers?: string[]) {
  return { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) }, spec };
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; throws with the last value seen. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    await Bun.sleep(25);
  }
}
