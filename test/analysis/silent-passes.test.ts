/**
 * What used to pass a gate silently (decision 0032): malformed workloads are INPUT errors naming
 * file:line and field path; workloads without containers, objects analyze does not read and pods
 * only in system namespaces are said so, and a gate over nothing else exits 2 with no report on
 * stdout; exemption annotations that cannot work are warned about. Pure first, then the binary.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeObjects, type AnalyzeOptions } from "../../lib/analysis/build-report.ts";
import { checkPodShape } from "../../lib/analysis/check-pod-shape.ts";
import { describeNothingScored } from "../../lib/analysis/describe-empty-scope.ts";
import { renderTable } from "../../lib/analysis/render-table.ts";
import { DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { lintExemptionAnnotations } from "../../lib/checks/exemptions.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import type { KubeObjectLike } from "../../lib/k8s-objects.ts";
import { parseManifests, type NonObjectDocument } from "../../lib/manifests/parse-manifests.ts";
import { runBinary } from "../support/binary.ts";

const ok = [{ name: "a", image: "nginx:1.27" }];
const deploy = (spec: unknown): KubeObjectLike => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, spec });
const options = (over: Partial<AnalyzeOptions> = {}): AnalyzeOptions => ({ checkSet: DEFAULT_CHECK_SET, now: 0, exemptions: true, source: "test", scoreTemplates: true, checkShape: true, ...over });
const analyzeText = (text: string, over: Partial<AnalyzeOptions> = {}) => analyzeObjects(parseManifests(text, "in.yaml"), options(over));

describe("checkPodShape", () => {
  test("a wrong type on the way to the containers is malformed, naming the field path", () => {
    expect(checkPodShape(deploy({ template: { spec: { containers: { name: "x", image: "nginx" } } } }))).toEqual({
      kind: "malformed",
      path: "spec.template.spec.containers",
      message: 'spec.template.spec.containers: expected a list of containers, got a mapping (a "- " missing before the container\'s first field?)',
    });
    expect(checkPodShape({ kind: "Pod", spec: { containers: "oops" } })?.message).toBe('spec.containers: expected a list of containers, got the string "oops"');
    expect(checkPodShape({ kind: "Pod", spec: { containers: ["nginx"] } })?.message).toBe('spec.containers[0]: expected a container (a mapping with name and image), got the string "nginx"');
    expect(checkPodShape({ kind: "Pod", spec: { containers: [{ name: "a", image: 3 }] } })?.message).toBe("spec.containers[0].image: expected a string, got number 3");
    expect(checkPodShape({ kind: "Pod", spec: { containers: ok, initContainers: { name: "i" } } })?.path).toBe("spec.initContainers");
    expect(checkPodShape(deploy({ template: "web" }))?.message).toBe('spec.template: expected a mapping, got the string "web"');
    expect(checkPodShape(deploy([ok]))?.message).toBe("spec: expected a mapping, got a list");
    expect(checkPodShape({ kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { containers: {} } } } } } })?.path).toBe("spec.jobTemplate.spec.template.spec.containers");
  });

  test("absent parts are incomplete, not malformed: fragments such as kustomize patches and lint fixtures", () => {
    expect(checkPodShape(deploy({ replicas: 3 }))).toEqual({ kind: "incomplete", path: "spec.template", message: "spec.template: missing (no pod template)" });
    expect(checkPodShape(deploy(undefined))?.kind).toBe("incomplete");
    expect(checkPodShape(deploy({ template: { metadata: {} } }))?.path).toBe("spec.template.spec");
    expect(checkPodShape(deploy({ template: { spec: { containers: [] } } }))?.path).toBe("spec.template.spec.containers");
    expect(checkPodShape(deploy({ template: { spec: { containers: null } } }))?.kind).toBe("incomplete");
    expect(checkPodShape({ kind: "CronJob", spec: { schedule: "* * * * *" } })?.path).toBe("spec.jobTemplate");
  });

  test("a well-formed workload passes; a container may lack name or image (templates may leave the image to tooling)", () => {
    expect(checkPodShape(deploy({ template: { spec: { containers: ok } } }))).toBeUndefined();
    expect(checkPodShape({ kind: "Pod", spec: { containers: [{ name: "a" }], initContainers: null } })).toBeUndefined();
    expect(checkPodShape({ kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { containers: ok } } } } } })).toBeUndefined();
  });
});

describe("analyzeObjects", () => {
  const MAP = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n        name: x\n        image: nginx\n";

  test("offline (checkShape), a malformed workload is an INPUT error naming file:line, object and field path", () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n${MAP}`;
    let error: unknown;
    try {
      analyzeText(text, { checkShape: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeDevopsError);
    expect((error as KubeDevopsError).code).toBe("INPUT");
    expect((error as KubeDevopsError).message).toBe('invalid workload: in.yaml:5: Deployment shop/web: spec.template.spec.containers: expected a list of containers, got a mapping (a "- " missing before the container\'s first field?)');
  });

  test("several are listed, each with its place", () => {
    expect(() => analyzeText(`${MAP}---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: oops}\n`)).toThrow(
      /^2 invalid workloads:\n {2}in\.yaml:1: Deployment shop\/web: spec\.template\.spec\.containers: .*\n {2}in\.yaml:11: Pod p: spec\.containers: expected a list of containers, got the string "oops"$/,
    );
  });

  test("live objects (no checkShape) are not checked: the API server validated them", () => {
    expect(() => analyzeText(MAP, { checkShape: false, scoreTemplates: false })).not.toThrow();
  });

  test("a workload without containers is not scored as a perfect unit: counted and named", () => {
    const r = analyzeText("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx}]}\n");
    expect(r.tally.pods).toBe(1);
    expect(r.score).toBe(90);
    expect(r.skipped.incomplete).toBe(1);
    expect(r.incomplete).toEqual([{ object: "Deployment web", file: "in.yaml", line: 1, message: "spec.template: missing (no pod template)" }]);
    expect(renderTable(r)).toContain("Not scored                 : 1 without containers");
  });

  test("ignored objects are counted per kind, documents that are no object too, and the table says so", () => {
    const notObjects: NonObjectDocument[] = [];
    const text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n---\noops\n---\nmetadata: {name: nokind}\n---\n---\napiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\n";
    const objects = parseManifests(text, "in.yaml", notObjects);
    expect(notObjects).toEqual([{ file: "in.yaml", line: 5, value: 'the string "oops"' }]);
    const r = analyzeObjects(objects, options({ nonObjectDocuments: notObjects.length }));
    expect(r.ignoredObjects).toBe(4);
    expect(r.ignoredKinds).toEqual({ Rollout: 1, "no kind": 1, PodTemplate: 1, "not an object": 1 });
    expect(renderTable(r)).toContain("Ignored                    : 4 objects (PodTemplate 1, Rollout 1, no kind 1, not an object 1): not pods or pod controllers\n");
    expect(renderTable(analyzeText(MAP.replace("containers:\n        name: x\n        image: nginx", "containers: [{name: x, image: nginx}]")))).not.toContain("Ignored");
  });

  test("exemption annotations that are not honoured as written are reported, on the object and on its pod template", () => {
    const text = [
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    devops.stochastic.io/exempt: true\n",
      "spec:\n  template:\n    metadata:\n      annotations: {devops.stochastic.io/exempt-checks: 'missing_livness, latest_tag'}\n",
      "    spec: {containers: [{name: a, image: nginx}]}\n",
    ].join("");
    const r = analyzeText(text);
    expect(r.exemptionWarnings.map((n) => n.message)).toEqual([
      'annotation devops.stochastic.io/exempt: true is not a string, so it is not honoured (annotation values must be strings, kubectl refuses others): quote it, e.g. "true"',
      'pod template: annotation devops.stochastic.io/exempt-checks names no check: "missing_livness" (known: latest_tag, missing_liveness, missing_readiness, high_restarts, pending, missing_requests, missing_limits)',
    ]);
    expect(r.tally.violations).toBe(2); // exempt: true (a boolean) waived nothing; latest_tag was waived
  });
});

describe("lintExemptionAnnotations", () => {
  test("quoted values and known ids (with their aliases) are fine", () => {
    expect(lintExemptionAnnotations({ "devops.stochastic.io/exempt": "true", "devops.stochastic.io/exempt-checks": "latest_tag,missingLiveness" })).toEqual([]);
    expect(lintExemptionAnnotations(undefined)).toEqual([]);
  });

  test("an exempt value other than \"true\" or \"false\" is named: it exempts nothing (an unquoted `yes` is a string to YAML 1.2, a boolean to kubectl)", () => {
    for (const value of ["yes", "1", "on", "enabled"]) {
      expect(lintExemptionAnnotations({ "devops.stochastic.io/exempt": value })).toEqual([
        `annotation devops.stochastic.io/exempt: "${value}" is not "true", so it exempts nothing (write "true", or list checks in devops.stochastic.io/exempt-checks)`,
      ]);
    }
    for (const value of ["true", "TRUE", " True ", "false", "False", ""]) expect(lintExemptionAnnotations({ "devops.stochastic.io/exempt": value })).toEqual([]);
  });

  test("a misspelt exemption key is named: nothing reads it, so nothing is exempted", () => {
    expect(lintExemptionAnnotations({ "devops.stochastic.io/exempt-check": "latest_tag", "devops.stochastic.io/exempt-reason": "vendor image", "app.kubernetes.io/name": "web" })).toEqual([
      "annotation devops.stochastic.io/exempt-check is not one kube-devops reads, so it exempts nothing (known: devops.stochastic.io/exempt, devops.stochastic.io/exempt-checks, devops.stochastic.io/exempt-reason)",
    ]);
  });
});

describe("describeNothingScored", () => {
  const base = { tally: { pods: 0 }, skipped: { succeeded: 0, evicted: 0, terminating: 0, systemNamespace: 0, filtered: 0, incomplete: 0 }, ignoredObjects: 0, ignoredKinds: {} };

  test("pods only in system namespaces, workloads without containers or only ignored objects refuse a gate", () => {
    expect(describeNothingScored({ ...base, skipped: { ...base.skipped, systemNamespace: 2 } }, "-n kube-system")).toEqual({
      refuse: true,
      message: "-n kube-system left nothing to score: 2 pod(s) in system namespaces (kube-*, *-system, cert-manager, istio-system, monitoring, observability, argocd), which analyze never scores",
      hint: "analyze judges application namespaces: choose one with -n, or leave -n out",
    });
    expect(describeNothingScored({ ...base, ignoredObjects: 3, ignoredKinds: { Rollout: 3 } }, "", "rollouts/")?.message).toBe("nothing to score in rollouts/: 3 object(s) that are no pod or pod controller (Rollout 3)");
    expect(describeNothingScored({ ...base, skipped: { ...base.skipped, incomplete: 1 } }, "")?.refuse).toBe(true);
  });

  test("not when something was scored, nor for an input that held nothing, nor for Succeeded pods alone (an empty namespace passes, 0014)", () => {
    expect(describeNothingScored({ ...base, tally: { pods: 1 }, ignoredObjects: 5 }, "")).toBeUndefined();
    expect(describeNothingScored(base, "")).toBeUndefined();
    expect(describeNothingScored({ ...base, skipped: { ...base.skipped, succeeded: 2 } }, "")).toBeUndefined();
  });

  test("live over the whole cluster, system pods alone are a cluster without workloads yet: a warning, the gate judges it (0014)", () => {
    const systemOnly = { ...base, skipped: { ...base.skipped, systemNamespace: 9 } };
    expect(describeNothingScored(systemOnly, "", undefined, { wholeCluster: true })).toEqual({
      refuse: false,
      message: "found nothing to score: the cluster's only pods are 9 pod(s) in system namespaces (kube-*, *-system, cert-manager, istio-system, monitoring, observability, argocd), which analyze never scores",
    });
    expect(describeNothingScored(systemOnly, "-n kube-system", undefined, { wholeCluster: false })?.refuse).toBe(true);
    expect(describeNothingScored(systemOnly, "", "dump.yaml")?.refuse).toBe(true); // offline: the input given held only system pods
  });
});

describe("the binary", () => {
  const dir = mkdtempSync(join(tmpdir(), "kd-silent-"));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const map = write("map.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        name: x\n        image: nginx\n");
  const str = write("str.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: \"oops\"\n");
  const noTemplate = write("no-template.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n");
  const rollouts = join(dir, "rollouts");
  Bun.spawnSync(["mkdir", "-p", rollouts]);
  writeFileSync(join(rollouts, "r.yaml"), "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: nginx}]\n");

  test("malformed containers exit 1 even with --fail-on low, naming file:line and field path; nothing on stdout", () => {
    const m = runBinary(["analyze", "-f", map, "--fail-on", "low"]);
    expect(m.code).toBe(1);
    expect(m.stdout).toBe("");
    expect(m.stderr).toContain(`error: invalid workload: ${map}:1: Deployment web: spec.template.spec.containers: expected a list of containers, got a mapping`);
    const s = runBinary(["analyze", "-f", str, "--fail-on", "low"]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`error: invalid workload: ${str}:1: Pod p: spec.containers: expected a list of containers, got the string "oops"`);
  });

  test("a Deployment without a template is not scored; alone under a gate it exits 2, naming it", () => {
    const r = runBinary(["analyze", "-f", noTemplate, "--fail-on", "low"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`not scored (no containers): ${noTemplate}:1: Deployment web: spec.template: missing (no pod template)`);
    expect(r.stderr).toContain(`error: --fail-on low judged nothing: nothing to score in ${noTemplate}: 1 pod(s) or controller(s) without containers`);
  });

  test("a directory of Rollouts: the table says Ignored; a gate over it exits 2", () => {
    const plain = runBinary(["analyze", "-f", rollouts]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("Ignored                    : 1 objects (Rollout 1): not pods or pod controllers");
    expect(plain.stderr).toContain("nothing to score in");
    const gated = runBinary(["analyze", "-f", rollouts, "--fail-on", "low"]);
    expect(gated.code).toBe(2);
    expect(gated.stdout).toBe("");
    expect(gated.stderr).toContain("judged nothing: nothing to score in");
  });

  test("an input without a single object (an empty file, comments and `---` only, empty stdin): a gate exits 2 with no report; without a gate, a warning and 100", () => {
    const empty = write("empty.yaml", "");
    const comments = write("comments.yaml", "# rendered by a step that failed\n---\n---\n");
    for (const file of [empty, comments]) {
      const gated = runBinary(["analyze", "-f", file, "--min-score", "95"]);
      expect({ code: gated.code, stdout: gated.stdout }).toEqual({ code: 2, stdout: "" });
      expect(gated.stderr).toContain(`error: --min-score 95 judged nothing: nothing to score in ${file}: no pods, pod controllers or other objects, only empty documents or comments`);
      expect(gated.stderr).toContain("hint: an empty input is most often a step that failed to write it");
      const plain = runBinary(["analyze", "-f", file]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain("Cluster Health Score       : 100/100");
      expect(plain.stderr).toContain(`nothing to score in ${file}: no pods, pod controllers or other objects`);
    }
    const stdin = runBinary(["analyze", "-f", "-", "--fail-on", "high"], { stdin: "" });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain("nothing to score in <stdin>");
  });

  test("an empty List (kubectl get pods -o yaml of a namespace without pods) is an empty selection, not an empty input: a gate judges it, as live", () => {
    for (const text of ["apiVersion: v1\nkind: List\nitems: []\nmetadata:\n  resourceVersion: \"\"\n", '{"apiVersion":"v1","kind":"PodList","items":[]}']) {
      const file = write("empty-list.yaml", text);
      const gated = runBinary(["analyze", "-f", file, "--min-score", "80"]);
      expect(gated.code).toBe(0);
      expect(gated.stdout).toContain("Cluster Health Score       : 100/100");
    }
  });

  test("-n kube-system: every pod is in a system namespace, so a gate exits 2 with no report; without a gate, a warning", () => {
    const gated = runBinary(["analyze", "-f", "examples/cluster-snapshot.yaml", "-n", "kube-system", "--fail-on", "low"]);
    expect(gated.code).toBe(2);
    expect(gated.stdout).toBe("");
    expect(gated.stderr).toContain("error: --fail-on low judged nothing: -n kube-system left nothing to score in examples/cluster-snapshot.yaml: 2 pod(s) in system namespaces (kube-*, *-system,");
    const plain = runBinary(["analyze", "-f", "examples/cluster-snapshot.yaml", "-n", "kube-system"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("Not scored                 : 2 in system namespaces, 21 filtered out");
    expect(plain.stderr).toContain("which analyze never scores");
  });
});
