/**
 * The real way once: `kubectl apply -f` of what `deploy generate-all` and `observability
 * generate-all` print, against the API emulator — every object is created, a second apply
 * changes nothing, and the CRDs become Established.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { renderDeployManifests, renderObservabilityManifests } from "../../gen/manifests.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { toYaml } from "../../gen/to-yaml.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

let emu: Emulator;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-apply-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
});
afterAll(() => emu.stop());

/** kubectl, asynchronously (the emulator runs in this process). */
async function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A permissive CRD standing in for prometheus-operator's and cert-manager's (not shipped here). */
function stubCrd(group: string, kind: string, plural: string): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

const options = resolveDeployOptions("1.2.3", { namespace: "kube-devops" });
const tls = { caCert: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n", tlsCert: "CERT", tlsKey: "KEY" };

describe("kubectl apply of the generated manifests to the emulator", () => {
  test("deploy generate-all --create-namespace --tls-dir applies cleanly, and re-applies unchanged", async () => {
    const yaml = toYaml(renderDeployManifests(options, { createNamespace: true, webhookTls: tls }));
    const first = await kubectl(["apply", "--validate=false", "-f", "-"], yaml);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const count = parseAllDocuments(yaml).length;
    expect(first.stdout.trim().split("\n")).toHaveLength(count);
    expect(first.stdout).not.toContain("unchanged");
    const second = await kubectl(["apply", "--validate=false", "-f", "-"], yaml);
    expect(second.code).toBe(0);
    // kubectl always re-sends a PDB's selector (patchStrategy "replace"), also against a real API
    // server; the patch is a no-op there and here, so the object's generation stays 1
    const changed = second.stdout.trim().split("\n").filter((l) => !l.endsWith(" unchanged"));
    expect(changed.filter((l) => !l.startsWith("poddisruptionbudget.policy/"))).toEqual([]);
    const generations = await kubectl(["get", "pdb", "-n", "kube-devops", "-o", "jsonpath={.items[*].metadata.generation}"]);
    expect(generations.stdout).toBe("1 1 1");
  });

  test("the objects are there, in the namespace, and the CRDs are Established", async () => {
    const deployments = await kubectl(["get", "deployments", "-n", "kube-devops", "-o", "name"]);
    expect(deployments.stdout.trim().split("\n")).toEqual(["deployment.apps/kube-devops-reconcile", "deployment.apps/kube-devops-watch", "deployment.apps/kube-devops-webhook"]);
    const roles = await kubectl(["get", "roles,rolebindings", "-n", "kube-devops", "-o", "name"]);
    // with --tls-dir the webhook only reads the mounted files: no Role for its Secret
    expect(roles.stdout.trim().split("\n")).toEqual([
      "role.rbac.authorization.k8s.io/kube-devops-reconcile",
      "role.rbac.authorization.k8s.io/kube-devops-watch",
      "rolebinding.rbac.authorization.k8s.io/kube-devops-reconcile",
      "rolebinding.rbac.authorization.k8s.io/kube-devops-watch",
    ]);
    const wait = await kubectl(["wait", "--for=condition=Established", "--timeout=10s", "crd/devopspolicies.devops.stochastic.io", "crd/policyauditresults.devops.stochastic.io"]);
    expect(wait.code).toBe(0);
    const vwc = await kubectl(["get", "validatingwebhookconfiguration", "kube-devops-webhook", "-o", "jsonpath={.webhooks[0].clientConfig.service.namespace}"]);
    expect(vwc.stdout).toBe("kube-devops");
  });

  test("observability generate-all applies once the prometheus-operator CRDs exist", async () => {
    const crds = [stubCrd("monitoring.coreos.com", "ServiceMonitor", "servicemonitors"), stubCrd("monitoring.coreos.com", "PrometheusRule", "prometheusrules")];
    expect((await kubectl(["apply", "--validate=false", "-f", "-"], toYaml(crds))).code).toBe(0);
    expect((await kubectl(["wait", "--for=condition=Established", "--timeout=10s", "crd/servicemonitors.monitoring.coreos.com", "crd/prometheusrules.monitoring.coreos.com"])).code).toBe(0);
    const applied = await kubectl(["apply", "--validate=false", "-f", "-"], toYaml(renderObservabilityManifests(options)));
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("configmap/kube-devops-grafana-dashboard created");
    expect(applied.stdout).toContain("prometheusrule.monitoring.coreos.com/kube-devops created");
  });
});
