/**
 * `crd install` (upsertCrd) against a CRD that is being deleted: kube-apiserver keeps a deleted
 * CRD, deletionTimestamp set, until its custom resources are gone. Updated then, it answers
 * Established and vanishes with the deletion — `crd install` said it was installed and every
 * component finds no CRD. It must wait the deletion out and create the CRD anew.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renderCrds } from "../../gen/crd.ts";
import { isNotFound } from "../../lib/kube/api-errors.ts";
import { upsertCrd } from "../../lib/crd/install-crds.ts";
import { CUSTOM_RESOURCE_DEFINITIONS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, type Cluster } from "./support.ts";

const HOLD = "test.kube-devops/hold";
let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"]);
});

afterAll(() => emu.stop());

describe("crd install while the CRD is being deleted", () => {
  test("waits until the deletion completes, then creates it: it is there afterwards, not deleted with the old one", async () => {
    const crd = renderCrds()[0] as unknown as KubeObject;
    const name = crd.metadata!.name!;
    // a finalizer of our own holds the deletion, as custom resources still being removed would
    const held = await cluster.client.get<KubeObject>(CUSTOM_RESOURCE_DEFINITIONS, name);
    await cluster.client.update(CUSTOM_RESOURCE_DEFINITIONS, { ...held, metadata: { ...held.metadata, finalizers: [...(held.metadata?.finalizers ?? []), HOLD] } });
    await cluster.client.delete(CUSTOM_RESOURCE_DEFINITIONS, name);
    const terminating = await cluster.client.get<KubeObject>(CUSTOM_RESOURCE_DEFINITIONS, name);
    expect(terminating.metadata?.deletionTimestamp).toBeString();
    const oldUid = terminating.metadata?.uid;

    let settled = false;
    const install = upsertCrd(cluster.client, crd).finally(() => (settled = true));
    await Bun.sleep(600); // several polls: still waiting while the deletion is held
    expect(settled).toBe(false);

    // the deletion completes: drop our finalizer (the emulator's own cleanup then removes the CRD)
    const current = await cluster.client.get<KubeObject>(CUSTOM_RESOURCE_DEFINITIONS, name);
    await cluster.client.update(CUSTOM_RESOURCE_DEFINITIONS, { ...current, metadata: { ...current.metadata, finalizers: (current.metadata?.finalizers ?? []).filter((f) => f !== HOLD) } });
    expect(await install).toBe("created");

    const after = await cluster.client.get<KubeObject>(CUSTOM_RESOURCE_DEFINITIONS, name).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
    expect(after?.metadata?.deletionTimestamp).toBeUndefined();
    expect(after?.metadata?.uid).not.toBe(oldUid);
  }, 30_000);
});
