/**
 * Live analysis reads pods and their owners in pages; when every continue token expires (a slow
 * API server, a large cluster) each list falls back to one full list, and nothing is counted
 * twice: the pods and the owners are exactly the emulator's.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listLivePods, listOwners } from "../../lib/cli/live-objects.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import { connect } from "../../lib/kube/connect.ts";
import type { ListOptions } from "../../lib/kube/list-pages.ts";
import type { ResourceType } from "../../lib/kube/resources.ts";
import { createLogger } from "../../lib/log.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

/** Pages of 2 instead of live analysis's 500, so a handful of objects spans several pages. */
class SmallPages extends KubeClient {
  override listPages<T>(type: ResourceType, options: ListOptions = {}) {
    return super.listPages<T>(type, { ...options, limit: 2 });
  }
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "live" } });
  for (let r = 0; r < 7; r++) {
    const rs = (await emu.store.create("replicasets.apps", { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: `rs-${r}`, namespace: "live" }, spec: { selector: { matchLabels: { rs: `${r}` } }, template: { metadata: { labels: { rs: `${r}` } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } } } as never, { namespace: "live" })) as { metadata: { uid: string } };
    for (let p = 0; p < 3; p++) {
      await emu.store.create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name: `rs-${r}-${p}`, namespace: "live", labels: { rs: `${r}` }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `rs-${r}`, uid: rs.metadata.uid, controller: true }] }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } as never, { namespace: "live" });
    }
  }
});
afterAll(() => emu.stop());

test("pods and owners listed across expired continue tokens are each listed once", async () => {
  const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-live-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: false });
  const small = new SmallPages(client.executor);
  emu.faults.expireContinueTokens();
  const scope = { namespace: "live", labelSelector: undefined };
  const pods = await listLivePods(small, scope);
  expect(pods.map((p) => p.metadata?.name).sort()).toEqual(Array.from({ length: 21 }, (_, i) => `rs-${Math.floor(i / 3)}-${i % 3}`).sort());
  const owners = await listOwners(small, pods, scope, createLogger({ level: "silent" }));
  expect(owners.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(Array.from({ length: 7 }, (_, r) => `ReplicaSet/rs-${r}`));
  emu.faults.clear();
});
