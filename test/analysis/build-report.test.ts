/**
 * analyzeObjects: pods with status and workloads by template as units, owner
 * attribution within the input, no double counting of a `get all` dump,
 * workload exemptions, filters, skip counts and the gain ranking.
 */
import { describe, expect, test } from "bun:test";
import { analyzeObjects, type AnalyzeOptions } from "../../lib/analysis/build-report.ts";
import { renderReport } from "../../lib/analysis/render-report.ts";
import { renderAnalysisReports } from "../../lib/reports/from-analysis.ts";
import { checkSetFromPolicy, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { parseLabelSelector } from "../../lib/label-selector.ts";
import type { KubeObjectLike } from "../../lib/k8s-objects.ts";
import type { SourcedObject } from "../../lib/manifests/parse-manifests.ts";
import { makePod, NOW } from "../engine/fixtures.ts";

const sourced = (objects: KubeObjectLike[]): SourcedObject[] => objects.map((object, i) => ({ object, file: "in.yaml", line: i + 1 }));
const options = (over: Partial<AnalyzeOptions> = {}): AnalyzeOptions => ({
  checkSet: DEFAULT_CHECK_SET,
  now: NOW,
  exemptions: true,
  source: "reference defaults",
  scoreTemplates: true,
  ...over,
});

function deployment(name: string, namespace: string, image: string, extra: Record<string, unknown> = {}): KubeObjectLike {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, ...extra },
    spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } } },
  };
}

describe("analyzeObjects", () => {
  test("templates are one unit each; CronJob, ReplicationController and DeploymentConfig included", () => {
    const cron = { kind: "CronJob", metadata: { name: "backup", namespace: "ops" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "b", image: "backup:latest" }] } } } } } };
    const rc = { kind: "ReplicationController", metadata: { name: "legacy" }, spec: { template: { spec: { containers: [{ name: "l", image: "redis" }] } } } };
    const dc = { kind: "DeploymentConfig", metadata: { name: "os", namespace: "ops" }, spec: { template: { spec: { containers: [{ name: "o", image: "app:1" }] } } } };
    const svc = { kind: "Service", metadata: { name: "s" } };
    const r = analyzeObjects(sourced([deployment("web", "shop", "web:1.2"), cron, rc, dc, svc]), options());
    expect(r.tally).toMatchObject({ pods: 4, latest_tag: 2, missing_liveness: 4, missing_readiness: 4, high_restarts: 0, pending: 0 });
    expect(r.ignoredObjects).toBe(1);
    expect(r.workloads.map((w) => w.key).sort()).toEqual(["cronjob/ops/backup", "deployment/shop/web", "deploymentconfig/ops/os", "replicationcontroller/default/legacy"]);
  });

  test("a dump with Deployment, ReplicaSet and pods scores the pods once, under the Deployment", () => {
    const deploy = deployment("web", "shop", "web:latest");
    const rs = { kind: "ReplicaSet", metadata: { name: "web-7f9c", namespace: "shop", ownerReferences: [{ kind: "Deployment", name: "web", controller: true }] }, spec: deploy.spec };
    const pods = [1, 2].map((i) => makePod({ name: `web-7f9c-${i}`, namespace: "shop", image: "web:latest", ownerReferences: [{ kind: "ReplicaSet", name: "web-7f9c", controller: true }] }));
    const r = analyzeObjects(sourced([deploy, rs, ...pods]), options());
    expect(r.tally.pods).toBe(2);
    expect(r.representedTemplates).toBe(2);
    expect(r.workloads.map((w) => [w.key, w.units])).toEqual([["deployment/shop/web", 2]]);
  });

  test("a workload's replicas are told apart in PolicyReport results and JUnit failures by their pod; a template names none", () => {
    const deploy = deployment("web", "shop", "web:latest");
    const rs = { kind: "ReplicaSet", metadata: { name: "web-7f9c", namespace: "shop", ownerReferences: [{ kind: "Deployment", name: "web", controller: true }] }, spec: deploy.spec };
    const pods = [1, 2].map((i) => makePod({ name: `web-7f9c-${i}`, namespace: "shop", image: "web:latest", liveness: true, readiness: true, ownerReferences: [{ kind: "ReplicaSet", name: "web-7f9c", controller: true }] }));
    const live = analyzeObjects(sourced([deploy, rs, ...pods]), options());
    const [report] = renderAnalysisReports(live, "wgpolicyk8s") as Array<{ results: Array<{ rule: string; properties: Record<string, string> }> }>;
    expect(report!.results.filter((r) => r.rule === "latest_tag").map((r) => r.properties.pod)).toEqual(["web-7f9c-1", "web-7f9c-2"]);
    expect(renderReport(live, "junit")).toContain("(pod web-7f9c-1)\nhigh: container");
    const template = analyzeObjects(sourced([deployment("api", "shop", "api:latest")]), options());
    const [templateReport] = renderAnalysisReports(template, "wgpolicyk8s") as Array<{ results: Array<{ properties: Record<string, string> }> }>;
    expect(templateReport!.results[0]!.properties.pod).toBeUndefined();
    expect(renderReport(template, "junit")).not.toContain("(pod ");
  });

  test("a dump of a Deployment and its pods without the ReplicaSet (get deploy,pods) scores the pods, not the template too", () => {
    const deploy = { ...deployment("web", "shop", "web:latest"), spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "web:latest" }] } } } };
    const pods = [1, 2].map((i) => {
      const pod = makePod({ name: `web-7f9c5d-${i}`, namespace: "shop", image: "web:latest", ownerReferences: [{ kind: "ReplicaSet", name: "web-7f9c5d", controller: true }] });
      return { ...pod, metadata: { ...pod.metadata, labels: { app: "web", "pod-template-hash": "7f9c5d" } } };
    });
    const r = analyzeObjects(sourced([deploy, ...pods]), options());
    expect(r.tally.pods).toBe(2);
    expect(r.representedTemplates).toBe(1);
    expect(r.workloads.map((w) => [w.key, w.units])).toEqual([["replicaset/shop/web-7f9c5d", 2]]);
    // a ReplicaSet named like one of its ReplicaSets, but not made by it (no pod-template-hash, or a selector that does not match), leaves it scored
    const standalone = makePod({ name: "web-v2-x", namespace: "shop", image: "web:latest", ownerReferences: [{ kind: "ReplicaSet", name: "web-v2", controller: true }] });
    const foreign = { ...pods[0]!, metadata: { ...pods[0]!.metadata, name: "other", labels: { app: "other", "pod-template-hash": "7f9c5d" } } };
    for (const pod of [standalone, foreign]) expect(analyzeObjects(sourced([deploy, pod]), options()).tally.pods).toBe(2);
    // the Deployment's exemption holds for its pods, as it does when the ReplicaSet is in the dump
    const exempt = { ...deploy, metadata: { ...deploy.metadata, annotations: { "devops.stochastic.io/exempt-checks": "latest_tag" } } };
    const waived = analyzeObjects(sourced([exempt, ...pods]), options());
    const latest = (report: typeof r) => report.workloads.flatMap((w) => w.findings).filter((f) => f.check === "latest_tag").map((f) => f.exempt === true);
    expect(latest(waived)).toEqual([true, true]);
    expect(latest(r)).toEqual([false, false]);
  });

  test("a ReplicaSet without its Deployment in the input is reported under the Deployment it names", () => {
    const rs = { kind: "ReplicaSet", metadata: { name: "api-6d", namespace: "x", ownerReferences: [{ kind: "Deployment", name: "api", controller: true }] }, spec: { template: { spec: { containers: [{ name: "a", image: "a" }] } } } };
    const r = analyzeObjects(sourced([rs]), options());
    expect(r.workloads[0]?.key).toBe("deployment/x/api");
  });

  test("a workload's exemption covers its pods; --no-exemptions scores them", () => {
    const deploy = deployment("web", "shop", "web:latest", { annotations: { "devops.stochastic.io/exempt": "true", "devops.stochastic.io/exempt-reason": "vendor image" } });
    const rs = { kind: "ReplicaSet", metadata: { name: "web-1", namespace: "shop", ownerReferences: [{ kind: "Deployment", name: "web", controller: true }] } };
    const pod = makePod({ namespace: "shop", image: "web:latest", ownerReferences: [{ kind: "ReplicaSet", name: "web-1", controller: true }] });
    const exempt = analyzeObjects(sourced([deploy, rs, pod]), options());
    expect(exempt.tally).toMatchObject({ violations: 0, exempt: 1 });
    expect(exempt.workloads[0]?.findings[0]).toMatchObject({ exempt: true, exemptReason: "vendor image" });
    expect(analyzeObjects(sourced([deploy, rs, pod]), options({ exemptions: false })).tally).toMatchObject({ violations: 1, exempt: 0 });
  });

  test("skipped pods are counted by reason; filters by namespace, exclusion and labels", () => {
    const objects = sourced([
      makePod({ name: "a", namespace: "shop", image: "x:latest" }),
      makePod({ name: "b", namespace: "kube-system" }),
      makePod({ name: "c", namespace: "shop", phase: "Succeeded" }),
      makePod({ name: "d", namespace: "shop", deleting: true }),
      makePod({ name: "e", namespace: "dev" }),
      { ...makePod({ name: "f", namespace: "shop", phase: "Failed", image: "x:latest" }), status: { phase: "Failed", reason: "Evicted" } },
    ]);
    const all = analyzeObjects(objects, options());
    expect(all.tally.pods).toBe(2);
    expect(all.skipped).toEqual({ succeeded: 1, evicted: 1, terminating: 1, systemNamespace: 1, filtered: 0, incomplete: 0 });
    expect(analyzeObjects(objects, options({ namespaces: new Set(["dev"]) })).tally.pods).toBe(1);
    expect(analyzeObjects(objects, options({ excludeNamespaces: new Set(["shop"]) })).tally.pods).toBe(1);
    const labelled = sourced([{ ...makePod({ name: "l" }), metadata: { name: "l", labels: { app: "web" } } }, makePod({ name: "m" })]);
    expect(analyzeObjects(labelled, options({ selector: parseLabelSelector("app=web") })).tally.pods).toBe(1);
  });

  test("namespace scores and workload gains follow the formula", () => {
    const objects = sourced([
      makePod({ name: "bad", namespace: "a", image: "x:latest", liveness: false, readiness: false, restarts: 9 }),
      makePod({ name: "ok", namespace: "b" }),
    ]);
    const r = analyzeObjects(objects, options());
    // raw 5+3+2+30 = 40 over 2 pods = 20 → 80
    expect(r.score).toBe(80);
    expect(r.namespaces.map((n) => [n.namespace, n.score])).toEqual([["a", 60], ["b", 100]]);
    expect(r.workloads[0]).toMatchObject({ key: "pod/a/bad", gain: 20, file: "in.yaml", line: 1 });
  });

  test("a policy's checks replace the defaults", () => {
    const r = analyzeObjects(sourced([makePod({ image: "x", resources: {} })]), options({ checkSet: checkSetFromPolicy({ requireResourceLimits: true }) }));
    expect(r.checks).toEqual(["missing_limits"]);
    expect(r.tally).toMatchObject({ latest_tag: 0, missing_limits: 1 });
  });
});
