/**
 * `policy import` against a cluster whose DevOpsPolicy CRD is older than the binary: a field the
 * CRD does not know was pruned by the API server, the dry run "passed" and the policy was applied
 * weaker than the file (an enforce-mode policy without its admissionThreshold). With strict field
 * validation, as `kubectl apply` asks, the dry run fails naming the field and nothing is applied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Crd = { metadata: { name: string }; spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }> } };
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-outdated-crd-"));
const kubeconfig = join(dir, "kubeconfig");

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const rendered of renderCrds()) {
    const crd = structuredClone(rendered) as unknown as Crd;
    // the CRD of a release before admissionThreshold existed
    if (crd.metadata.name.startsWith("devopspolicies.")) for (const v of crd.spec.versions) delete v.schema.openAPIV3Schema.properties.spec.properties.admissionThreshold;
    await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  }
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
});

afterAll(async () => {
  await emu.stop();
});

describe("policy import against an outdated CRD", () => {
  test("a field the CRD does not know fails the dry run, naming it, and nothing is applied", async () => {
    const file = join(dir, "gate.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: gate\n  namespace: shop\nspec:\n  enforcementMode: enforce\n  admissionThreshold: medium\n");
    const { code, stdout, stderr } = await runBinaryAsync(["policy", "import", file, "--kubeconfig", kubeconfig]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toContain('unknown field "spec.admissionThreshold"');
    expect(stderr).toContain("1 of 1 DevOpsPolicies failed the server dry run; nothing was applied");
    expect(stderr).toContain("kube-devops crd install");
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "shop", "gate")).toThrow("not found");
  });

  test("beside a policy whose namespace does not exist, both failures are told and both fixes given", async () => {
    const file = join(dir, "mixed.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: lost\n  namespace: ghost\nspec: {}\n---\napiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: gate\n  namespace: shop\nspec:\n  admissionThreshold: medium\n");
    const { code, stdout, stderr } = await runBinaryAsync(["policy", "import", file, "--kubeconfig", kubeconfig]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toContain(`${file}:1: namespace "ghost" does not exist (devopspolicy ghost/lost)`);
    expect(stderr).toContain('unknown field "spec.admissionThreshold"');
    expect(stderr).toContain("2 of 2 DevOpsPolicies failed the server dry run; nothing was applied");
    expect(stderr).toContain("kubectl create namespace ghost");
    expect(stderr).toContain("kube-devops crd install");
  });
});
