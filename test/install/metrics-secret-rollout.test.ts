/**
 * `check`'s install reads against the API emulator over HTTPS, for a switch to cert-manager mode
 * whose new pods wait for a `-metrics-tls` Secret while the old ones keep serving: the rollout's
 * line (stuck, or in progress) names the missing Secret. The emulator runs no controllers here: its
 * Deployment controller completes a rollout in one pass and would overwrite the stuck status.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { renderCrds } from "../../gen/crd.ts";
import { componentName } from "../../gen/options.ts";
import type { DeploymentObject, HealthLine } from "../../lib/install/install-health.ts";
import { readInstallStatus } from "../../lib/install/install-status.ts";
import { VERSION } from "../../lib/version.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, type Cluster } from "../operator/support.ts";

const NS = "kube-devops";
const SECRET = "kube-devops-watch-metrics-tls";
let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, [NS], { installCrds: false });
});

afterAll(() => emu.stop());

/** The watch Deployment as the switch left it: its template mounts the cert-manager Secret, `status` says how far the rollout got. */
function loadWatch(status: DeploymentObject["status"]): void {
  const labels = { "app.kubernetes.io/name": "kube-devops-watch" };
  emu.store.load({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "kube-devops-watch", namespace: NS, generation: 4, labels: { ...labels, "app.kubernetes.io/version": VERSION } },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "watch", image: `kube-devops:${VERSION}` }], volumes: [{ name: "metrics-tls", secret: { secretName: SECRET } }] } },
    },
    status,
  } as never);
}

async function watchLine(): Promise<HealthLine | undefined> {
  const lines = await readInstallStatus(cluster.client, { namespace: NS, components: ["watch"], version: VERSION, certMode: "cert-manager", now: Date.now(), crds: renderCrds(), componentName, nonce: "n" });
  return lines.find((l) => l.label === "Deployment watch");
}

const waiting = `this rollout's pods mount Secret ${SECRET}, which does not exist: they cannot start until cert-manager issues it (kubectl -n ${NS} get certificates -o wide), the old pods serve meanwhile`;

test("a rollout stuck (ProgressDeadlineExceeded) whose pods mount a Secret that does not exist: the hint names it; once the Secret exists, it does not", async () => {
  loadWatch({ observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] });
  const stuck = await watchLine();
  expect(stuck?.status).toBe("FAIL");
  expect(stuck?.detail).toStartWith(`rollout to v${VERSION} stuck (ProgressDeadlineExceeded)`);
  expect(stuck?.hint).toBe(`${waiting}; kubectl -n ${NS} rollout status deployment kube-devops-watch; kubectl -n ${NS} describe deployment kube-devops-watch`);

  await emu.store.create("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name: SECRET, namespace: NS }, type: "kubernetes.io/tls", data: {} } as never, { namespace: NS });
  try {
    expect((await watchLine())?.hint).toBe(`kubectl -n ${NS} rollout status deployment kube-devops-watch; kubectl -n ${NS} describe deployment kube-devops-watch`);
  } finally {
    await emu.store.delete("secrets", NS, SECRET);
  }
});

test("a rollout in progress (WARN) whose pods mount a Secret that does not exist: the hint names it", async () => {
  loadWatch({ observedGeneration: 4, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: "Available", status: "True" }, { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }] });
  const rolling = await watchLine();
  expect(rolling?.status).toBe("WARN");
  expect(rolling?.detail).toStartWith(`Available, rolling out to v${VERSION}`);
  expect(rolling?.hint).toBe(`${waiting}; kubectl -n ${NS} rollout status deployment kube-devops-watch`);
});
