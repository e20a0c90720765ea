/**
 * A policy kept in Git and deployed by Argo CD, Flux or Helm carries the tools' tracking labels and
 * annotations in the cluster: `policy diff` of its file is clean (a CI gate on it passes), `policy
 * export` leaves them out, and a key the file itself sets is still compared. The compiled binary
 * against the API emulator.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";

let emu: Awaited<ReturnType<typeof startEmulator>>;
const dir = mkdtempSync(join(tmpdir(), "kd-tool-drift-"));
const kubeconfig = join(dir, "kubeconfig");
const kd = (args: string[]) => runBinaryAsync([...args, "--kubeconfig", kubeconfig]);

/** The file as the team keeps it in Git. */
const FILE = "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: strict\n  namespace: shop\n  labels:\n    team: payments\nspec:\n  forbidLatestTag: true\n";

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  // The live object after Argo CD (label+annotation tracking), Flux and Helm have each applied it.
  const metadata = {
    name: "strict",
    namespace: "shop",
    labels: { team: "payments", "app.kubernetes.io/instance": "shop-policies", "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system", "helm.toolkit.fluxcd.io/name": "policies", "helm.toolkit.fluxcd.io/namespace": "flux-system", "app.kubernetes.io/managed-by": "Helm" },
    annotations: { "argocd.argoproj.io/tracking-id": "shop-policies:devops.stochastic.io/DevOpsPolicy:shop/strict", "meta.helm.sh/release-name": "policies", "meta.helm.sh/release-namespace": "shop", "kubectl.kubernetes.io/last-applied-configuration": "{}" },
  };
  await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata, spec: { forbidLatestTag: true } } as never, { namespace: "shop" });
});

afterAll(async () => {
  await emu.stop();
});

describe("deploy tools' metadata on live policies", () => {
  test("diff of the Git file is clean: the tools' labels and annotations are not drift", async () => {
    const file = join(dir, "git.yaml");
    writeFileSync(file, FILE);
    const { code, stdout } = await kd(["policy", "diff", file]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: "[=] shop/strict: no changes\n" });
  });

  test("export leaves the tools' keys out, and diff of the export is clean", async () => {
    const { code, stdout } = await kd(["policy", "export", "-n", "shop"]);
    expect(code).toBe(0);
    for (const key of ["app.kubernetes.io/instance", "fluxcd.io", "managed-by", "argocd", "meta.helm.sh", "last-applied"]) expect(stdout).not.toContain(key);
    expect(stdout).toContain("team: payments");
    const file = join(dir, "exported.yaml");
    writeFileSync(file, stdout);
    expect((await kd(["policy", "diff", file])).code).toBe(0);
  });

  test("a tool key the file sets itself is compared: another value in the cluster is drift", async () => {
    const file = join(dir, "sets-instance.yaml");
    writeFileSync(file, FILE.replace("    team: payments\n", "    team: payments\n    app.kubernetes.io/instance: payments\n"));
    const { code, stdout } = await kd(["policy", "diff", file]);
    expect(code).toBe(1);
    expect(stdout).toBe('[~] shop/strict: differs\n  - metadata.labels.app.kubernetes.io/instance: "shop-policies"\n  + metadata.labels.app.kubernetes.io/instance: "payments"\n');
  });
});
