/**
 * Admission verdicts with literal objects: deny/warn by mode and threshold, every
 * pod-template kind, UPDATE semantics, strictest-wins merging and the bypasses.
 */
import { describe, expect, test } from "bun:test";
import { admitRequest, isControllerCreated } from "../../lib/admission/admit.ts";
import type { AdmissionRequest } from "../../lib/admission/review.ts";
import type { DevOpsPolicySpec } from "../../lib/policy/schema.ts";
import { deployment, ENFORCE_LATEST, goodContainer, pod, policies, request } from "./fixtures.ts";

function admit(req: AdmissionRequest, specs: DevOpsPolicySpec[], namespace = "prod") {
  const index = policies(specs, namespace);
  return admitRequest(req, { ownNamespace: "kube-devops", policiesFor: (ns) => index.forNamespace(ns) });
}

const LATEST = goodContainer("app", { image: "nginx:latest" });

describe("admitRequest(): mode and threshold", () => {
  test("an enforcing policy denies :latest with the reference's message", () => {
    const d = admit(request(pod([LATEST])), [ENFORCE_LATEST]);
    expect(d.response).toEqual({
      uid: "3f1e6c2a-0000-4000-8000-000000000001",
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: "Denied by DevOpsPolicy: container 'app' uses :latest tag" },
    });
    expect(d.denials).toEqual(["latest_tag"]);
  });

  test("below the default threshold (high) a violation is a warning, and the pod is admitted", () => {
    const d = admit(request(pod([goodContainer("app", { readinessProbe: undefined })])), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(true);
    expect(d.response.warnings).toEqual(["DevOpsPolicy p0: container 'app' missing readiness probe (severity low)"]);
    expect(d.warnings).toEqual(["missing_readiness"]);
  });

  test("denials and warnings come together, denials joined with ', ' in container order", () => {
    const d = admit(request(pod([LATEST, { name: "side", image: "busybox:latest" }])), [ENFORCE_LATEST]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag, container 'side' uses :latest tag");
    expect(d.response.warnings).toEqual([
      "DevOpsPolicy p0: container 'side' missing liveness probe (severity medium)",
      "DevOpsPolicy p0: container 'side' missing readiness probe (severity low)",
    ]);
  });

  test("admissionThreshold low denies every enabled violation; critical lets :latest through with a warning", () => {
    const noProbes = pod([{ name: "app", image: "nginx:latest" }]);
    const strict = admit(request(noProbes), [{ ...ENFORCE_LATEST, admissionThreshold: "low" }]);
    expect(strict.denials).toEqual(["latest_tag", "missing_liveness", "missing_readiness"]);
    const lenient = admit(request(noProbes), [{ ...ENFORCE_LATEST, admissionThreshold: "critical" }]);
    expect(lenient.response.allowed).toBe(true);
    expect(lenient.warnings).toEqual(["latest_tag", "missing_liveness", "missing_readiness"]);
  });

  test("severityOverrides move a violation across the threshold", () => {
    const d = admit(request(pod([goodContainer("app", { readinessProbe: undefined })])), [{ ...ENFORCE_LATEST, severityOverrides: { missingReadiness: "critical" } }]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' missing readiness probe");
  });

  test("an audit-mode policy never denies (reference W-A5): its findings are warnings", () => {
    const d = admit(request(pod([LATEST])), [{ ...ENFORCE_LATEST, enforcementMode: "audit" }]);
    expect(d.response.allowed).toBe(true);
    expect(d.response.warnings?.[0]).toBe("DevOpsPolicy p0: container 'app' uses :latest tag (severity high)");
    expect(admit(request(pod([LATEST])), [{ forbidLatestTag: true }]).response.allowed).toBe(true);
  });

  test("a compliant pod is admitted without warnings", () => {
    const d = admit(request(pod([goodContainer()])), [{ ...ENFORCE_LATEST, requireResourceLimits: true, requireResourceRequests: true }]);
    expect(d.response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true });
  });
});

describe("admitRequest(): several policies (reference W-A7)", () => {
  test("all policies in the namespace apply; the strictest decides, each finding once", () => {
    const audit: DevOpsPolicySpec = { forbidLatestTag: true, requireLivenessProbe: true, enforcementMode: "audit" };
    const enforce: DevOpsPolicySpec = { forbidLatestTag: true, enforcementMode: "enforce" };
    const d = admit(request(pod([{ name: "app", image: "nginx:latest", readinessProbe: {} }])), [audit, enforce]);
    expect(d.denials).toEqual(["latest_tag"]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    expect(d.response.warnings).toEqual(["DevOpsPolicy p0: container 'app' missing liveness probe (severity medium)"]);
  });

  test("policies of other namespaces do not apply", () => {
    expect(admit(request(pod([LATEST])), [ENFORCE_LATEST], "staging").outcome).toBe("no-policy");
  });
});

describe("admitRequest(): kinds", () => {
  test.each(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"])("%s: the pod template is checked", (kind) => {
    const d = admit(request(deployment([LATEST], kind)), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(false);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");
  });

  test("an object without kind falls back to request.kind", () => {
    const { kind: _, ...bare } = deployment([LATEST]);
    const d = admit(request(bare, { kind: { group: "apps", version: "v1", kind: "Deployment" } }), [ENFORCE_LATEST]);
    expect(d.denials).toEqual(["latest_tag"]);
  });

  test("other kinds, pods without spec and unknown shapes are admitted without error", () => {
    expect(admit(request({ kind: "ConfigMap", data: {} }), [ENFORCE_LATEST]).outcome).toBe("kind-not-validated");
    expect(admit(request({ kind: "Pod", metadata: {} }), [ENFORCE_LATEST]).outcome).toBe("no-pod-spec");
    const weird = admit(request({ kind: "Pod", spec: { containers: "nope" } }), [ENFORCE_LATEST]);
    expect(weird.response.allowed).toBe(true);
    const weirder = admit(request({ kind: "Pod", spec: { containers: [null, 3, { image: 7 }] } }), [ENFORCE_LATEST]);
    expect(weirder.response.allowed).toBe(true);
  });
});

describe("admitRequest(): namespaces and operations", () => {
  test.each(["kube-system", "kube-devops", "monitoring", "team-system"])("%s is always allowed", (ns) => {
    const d = admit(request(pod([LATEST], { namespace: ns }), { namespace: ns }), [ENFORCE_LATEST], ns);
    expect(d).toMatchObject({ outcome: "system-namespace", response: { allowed: true } });
  });

  test("our own namespace is allowed even under a custom name", () => {
    const index = policies([ENFORCE_LATEST], "governance");
    const d = admitRequest(request(pod([LATEST]), { namespace: "governance" }), { ownNamespace: "governance", policiesFor: (ns) => index.forNamespace(ns) });
    expect(d.outcome).toBe("system-namespace");
  });

  test("DELETE and CONNECT are not validated", () => {
    expect(admit(request(null, { operation: "DELETE", oldObject: pod([LATEST]) }), [ENFORCE_LATEST]).outcome).toBe("operation-not-validated");
    expect(admit(request(pod([LATEST]), { operation: "CONNECT" }), [ENFORCE_LATEST]).response.allowed).toBe(true);
  });
});

describe("admitRequest(): UPDATE reports only what the update introduces (reference W-A4, decision 0012)", () => {
  const EXEMPT_LATEST = { "devops.stochastic.io/exempt-checks": "latest_tag" };
  /** A Deployment that already violates: :latest (denies) and no readiness probe (warns). */
  const flawed = () => deployment([goodContainer("app", { image: "nginx:latest", readinessProbe: undefined })]) as { metadata: Record<string, unknown>; spec: Record<string, any> };
  const update = (next: unknown, old: unknown) => admit(request(next, { operation: "UPDATE", oldObject: old as Record<string, unknown> }), [ENFORCE_LATEST]);
  const QUIET = { allowed: true, warnings: undefined, denials: [], warned: [], exempted: [] };
  const outcome = (d: ReturnType<typeof update>) => ({ allowed: d.response.allowed, warnings: d.response.warnings, denials: d.denials, warned: d.warnings, exempted: d.exempted });

  test("kubectl label on a pod that already violates: admitted without a warning", () => {
    const relabelled = pod([LATEST], { labels: { team: "a" } });
    expect(outcome(update(relabelled, pod([LATEST])))).toEqual(QUIET);
    // the same pod created is denied: the quiet comes from the old object, not from the labels
    expect(admit(request(relabelled), [ENFORCE_LATEST]).response.allowed).toBe(false);
  });

  test("kubectl annotate, kubectl scale (spec.replicas) and kubectl rollout restart (a template annotation) say nothing", () => {
    const old = flawed();
    const annotated = flawed();
    annotated.metadata.annotations = { "deployment.kubernetes.io/revision": "3", owner: "team-a" };
    const scaled = flawed();
    scaled.spec.replicas = 7;
    const restarted = flawed();
    restarted.spec.template.metadata.annotations = { "kubectl.kubernetes.io/restartedAt": "2026-11-26T13:40:00Z" };
    for (const next of [annotated, scaled, restarted]) expect(outcome(update(next, old))).toEqual(QUIET);
  });

  test("a CronJob whose schedule changes says nothing about its job template's findings", () => {
    const old = deployment([LATEST], "CronJob") as { spec: Record<string, unknown> };
    const next = deployment([LATEST], "CronJob") as { spec: Record<string, unknown> };
    next.spec.schedule = "*/5 * * * *";
    expect(outcome(update(next, old))).toEqual(QUIET);
  });

  test("an update that switches an image to :latest is denied", () => {
    const old = deployment([goodContainer()]);
    const next = deployment([LATEST]);
    expect(update(next, old).response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");
  });

  test("a spec change warns about the findings it brings, not about those the workload had", () => {
    const old = flawed();
    const next = flawed();
    next.spec.template.spec.containers.push({ ...goodContainer("side"), livenessProbe: undefined });
    const d = update(next, old);
    expect(d.response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true, warnings: ["DevOpsPolicy p0: container 'side' missing liveness probe (severity medium)"] });
    expect(d.warnings).toEqual(["missing_liveness"]);
  });

  test("a new container with :latest is new even when another container already had it", () => {
    const old = deployment([LATEST]);
    const next = deployment([LATEST, goodContainer("side", { image: "redis:latest" })]);
    const d = update(next, old);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'side' uses :latest tag");
    expect(d.response.warnings).toBeUndefined();
    expect(d.warnings).toEqual([]);
  });

  test("removing an exemption warns about what it waived (never denies: the workload already runs so); adding one waives quietly once", () => {
    const exempt = pod([LATEST], { annotations: EXEMPT_LATEST });
    const plain = pod([LATEST]);
    const removed = update(plain, exempt);
    expect(outcome(removed)).toEqual({ allowed: true, warnings: ["DevOpsPolicy p0: container 'app' uses :latest tag (severity high)"], denials: [], warned: ["latest_tag"], exempted: [] });
    // adding it: a new waiver, counted; keeping it through a label change: counted once, not per update
    expect(outcome(update(exempt, plain))).toEqual({ ...QUIET, exempted: ["latest_tag"] });
    expect(outcome(update(pod([LATEST], { annotations: EXEMPT_LATEST, labels: { team: "a" } }), exempt))).toEqual(QUIET);
  });

  test("a workload-level exemption removed from a Deployment warns the same way", () => {
    const old = flawed();
    old.metadata.annotations = { "devops.stochastic.io/exempt": "true" };
    const d = update(flawed(), old);
    expect(d.response.allowed).toBe(true);
    expect(d.warnings).toEqual(["latest_tag", "missing_readiness"]);
  });

  test("with exemptions off an exemption change changes nothing, so a relabel of an exempted pod stays quiet", () => {
    const index = policies([ENFORCE_LATEST]);
    const strict = { ownNamespace: "kube-devops", policiesFor: (ns: string) => index.forNamespace(ns), exemptions: false };
    const d = admitRequest(request(pod([LATEST]), { operation: "UPDATE", oldObject: pod([LATEST], { annotations: EXEMPT_LATEST }) }), strict);
    expect(outcome(d)).toEqual(QUIET);
  });
});

describe("admitRequest(): controller-created children", () => {
  const owned = (kind: string) => pod([LATEST], { ownerReferences: [{ apiVersion: "apps/v1", kind, name: "web-abc", uid: "u", controller: true }] });

  test("pods a ReplicaSet controller creates are admitted with warnings (the template was admitted before)", () => {
    const d = admit(request(owned("ReplicaSet"), { userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" } }), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(true);
    expect(d.warnings).toContain("latest_tag");
  });

  test("a user cannot borrow the exception by forging an ownerReference", () => {
    const d = admit(request(owned("ReplicaSet"), { userInfo: { username: "mallory" } }), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(false);
  });

  test("isControllerCreated() needs a controller reference of a template kind and a controller identity", () => {
    expect(isControllerCreated(owned("ReplicaSet"), "system:kube-controller-manager")).toBe(true);
    expect(isControllerCreated(owned("ConfigMap"), "system:kube-controller-manager")).toBe(false);
    expect(isControllerCreated(pod([]), "system:kube-controller-manager")).toBe(false);
    expect(isControllerCreated(owned("Job"), "system:serviceaccount:default:job-controller")).toBe(false);
  });

  test("a kubelet's mirror pod of a static pod is admitted with warnings: the kubelet runs it whatever admission says", () => {
    const mirror = pod([LATEST], { annotations: { "kubernetes.io/config.mirror": "4f1c0c0e3b8e" }, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-1", uid: "n", controller: true }] });
    const d = admit(request(mirror, { userInfo: { username: "system:node:node-1", groups: ["system:nodes"] } }), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(true);
    expect(d.warnings).toEqual(["latest_tag"]);
    // a node creating anything else, or anyone else sending the annotation, is judged as usual
    const plain = pod([LATEST], { ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "node-1", uid: "n", controller: true }] });
    expect(admit(request(plain, { userInfo: { username: "system:node:node-1" } }), [ENFORCE_LATEST]).response.allowed).toBe(false);
    expect(admit(request(mirror, { userInfo: { username: "mallory" } }), [ENFORCE_LATEST]).response.allowed).toBe(false);
    expect(admit(request(mirror, { userInfo: { username: "system:kube-controller-manager" } }), [ENFORCE_LATEST]).response.allowed).toBe(false);
  });
});

describe("admitRequest(): exemptions", () => {
  test("an exempted check neither denies nor warns, and is counted as waived", () => {
    const exempt = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest_tag" } });
    const d = admit(request(exempt), [ENFORCE_LATEST]);
    expect(d.response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true });
    expect({ denials: d.denials, warnings: d.warnings, exempted: d.exempted }).toEqual({ denials: [], warnings: [], exempted: ["latest_tag"] });
    // only what the exemption actually waived: a compliant pod with the same annotation waives nothing
    const clean = pod([goodContainer()], { annotations: { "devops.stochastic.io/exempt-checks": "latest_tag" } });
    expect(admit(request(clean), [ENFORCE_LATEST]).exempted).toEqual([]);
  });

  test("with exemptions off (webhook serve --no-exemptions) a developer cannot exempt a workload: pod, template and workload annotations are ignored", () => {
    const index = policies([ENFORCE_LATEST]);
    const strict = { ownNamespace: "kube-devops", policiesFor: (ns: string) => index.forNamespace(ns), exemptions: false };
    const exemptPod = pod([LATEST], { annotations: { "devops.stochastic.io/exempt": "true", "devops.stochastic.io/exempt-reason": "trust me" } });
    expect(admitRequest(request(exemptPod), strict).response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    const workload = { ...deployment([LATEST]), metadata: { name: "web", namespace: "prod", annotations: { "devops.stochastic.io/exempt-checks": "latest_tag" } } };
    expect(admit(request(workload), [ENFORCE_LATEST]).response.allowed).toBe(true);
    expect(admitRequest(request(workload), strict).response.allowed).toBe(false);
  });
});

describe("admitRequest(): exemption annotations that cannot work are named", () => {
  const KNOWN = "(known: latest_tag, missing_liveness, missing_readiness, high_restarts, pending, missing_requests, missing_limits)";

  test("a misspelt check id in exempt-checks: the denial comes with a warning naming the annotation, first", () => {
    const typo = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest" } });
    const d = admit(request(typo), [ENFORCE_LATEST, { requireReadinessProbe: true, enforcementMode: "audit" }]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: container 'app' uses :latest tag");
    expect(d.response.warnings).toEqual([`DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt-checks names no check: "latest" ${KNOWN}`]);
    expect(d.warnings).toEqual([]); // not a finding: no metric series for it
  });

  test("exempt: \"yes\" and a misspelt key on a Deployment's template and on the Deployment itself, each with its field path", () => {
    const d = deployment([LATEST]) as { metadata: Record<string, unknown>; spec: { template: { metadata: Record<string, unknown> } } };
    d.spec.template.metadata.annotations = { "devops.stochastic.io/exempt": "yes" };
    d.metadata.annotations = { "devops.stochastic.io/exempt-check": "latest_tag" };
    expect(admit(request(d), [ENFORCE_LATEST]).response.warnings).toEqual([
      'DevOpsPolicy: spec.template.metadata.annotations: annotation devops.stochastic.io/exempt: "yes" is not "true", so it exempts nothing (write "true", or list checks in devops.stochastic.io/exempt-checks)',
      "DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt-check is not one kube-devops reads, so it exempts nothing (known: devops.stochastic.io/exempt, devops.stochastic.io/exempt-checks, devops.stochastic.io/exempt-reason)",
    ]);
    const cron = deployment([LATEST], "CronJob") as { spec: { jobTemplate: { spec: { template: { metadata: Record<string, unknown> } } } } };
    cron.spec.jobTemplate.spec.template.metadata.annotations = { "devops.stochastic.io/exempt-checks": "latest" };
    const deniedCron = admit(request(cron), [ENFORCE_LATEST]).response;
    expect(deniedCron.allowed).toBe(false);
    expect(deniedCron.warnings).toEqual([`DevOpsPolicy: spec.jobTemplate.spec.template.metadata.annotations: annotation devops.stochastic.io/exempt-checks names no check: "latest" ${KNOWN}`]);
  });

  test("said once: an UPDATE that keeps the same annotation says nothing; a compliant object, valid annotations or no policy say nothing; --no-exemptions says why", () => {
    const typo = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest" } });
    const relabelled = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest" }, labels: { team: "a" } });
    expect(admit(request(relabelled, { operation: "UPDATE", oldObject: typo }), [ENFORCE_LATEST]).response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true });
    // a compliant object: nothing the annotation could have been meant for, nothing said
    expect(admit(request(pod([goodContainer()], { annotations: { "devops.stochastic.io/exempt-checks": "latest" } })), [ENFORCE_LATEST]).response.warnings).toBeUndefined();
    const fine = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest_tag", "devops.stochastic.io/exempt-reason": "vendor" } });
    expect(admit(request(fine), [ENFORCE_LATEST]).response).toEqual({ uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true });
    expect(admit(request(typo), []).response.warnings).toBeUndefined();
    const index = policies([ENFORCE_LATEST]);
    // under --no-exemptions the note is that exemptions are off (exemptions-off test below)
    expect(admitRequest(request(typo), { ownNamespace: "kube-devops", policiesFor: (ns) => index.forNamespace(ns), exemptions: false }).response.warnings).toEqual([
      "DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt-checks not honoured: this cluster's admission ignores exemption annotations (webhook serve --no-exemptions)",
    ]);
  });

  test("at most three notes: 25 misspelt keys leave room for the findings they were meant to waive", () => {
    const annotations = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`devops.stochastic.io/exempt-x${i}`, "true"]));
    const noisy = pod([LATEST], { annotations });
    const warnings = admit(request(noisy), [{ forbidLatestTag: true, enforcementMode: "audit" }]).response.warnings ?? [];
    expect(warnings.filter((w) => w.startsWith("DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt-x"))).toHaveLength(2);
    expect(warnings).toContain("DevOpsPolicy: … and 23 more exemption annotation problems (kube-devops analyze -f names each)");
    expect(warnings.at(-1)).toContain("container 'app' uses :latest tag");
  });

  test("an annotation that predates the finding is named when an UPDATE brings the finding: nothing was said while the object was compliant", () => {
    const compliant = pod([goodContainer()], { annotations: { "devops.stochastic.io/exempt-checks": "latest" } });
    const latest = pod([LATEST], { annotations: { "devops.stochastic.io/exempt-checks": "latest" } });
    const d = admit(request(latest, { operation: "UPDATE", oldObject: compliant }), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(false);
    expect(d.response.warnings).toEqual([`DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt-checks names no check: "latest" ${KNOWN}`]);
    // under --no-exemptions too: a correct exemption on a compliant object, then the finding
    const index = policies([ENFORCE_LATEST]);
    const strict = { ownNamespace: "kube-devops", policiesFor: (ns: string) => index.forNamespace(ns), exemptions: false };
    const exempted = (containers: unknown[]) => pod(containers as never, { annotations: { "devops.stochastic.io/exempt": "true" } });
    const res = admitRequest(request(exempted([LATEST]), { operation: "UPDATE", oldObject: exempted([goodContainer()]) }), strict).response;
    expect(res.allowed).toBe(false);
    expect(res.warnings).toEqual(["DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt not honoured: this cluster's admission ignores exemption annotations (webhook serve --no-exemptions)"]);
  });

  test("under --no-exemptions a developer's exemption is denied with a note that exemptions are off here, on the template and the workload; once, and only with a finding", () => {
    const index = policies([ENFORCE_LATEST]);
    const strict = { ownNamespace: "kube-devops", policiesFor: (ns: string) => index.forNamespace(ns), exemptions: false };
    const d = deployment([LATEST]) as { metadata: Record<string, unknown>; spec: { template: { metadata: Record<string, unknown> } } };
    d.spec.template.metadata.annotations = { "devops.stochastic.io/exempt": "true", "devops.stochastic.io/exempt-checks": "latest_tag", "devops.stochastic.io/exempt-reason": "vendor" };
    d.metadata.annotations = { "devops.stochastic.io/exempt": "true" };
    const res = admitRequest(request(d), strict).response;
    expect(res.allowed).toBe(false);
    expect(res.warnings).toEqual([
      "DevOpsPolicy: spec.template.metadata.annotations: annotations devops.stochastic.io/exempt, devops.stochastic.io/exempt-checks not honoured: this cluster's admission ignores exemption annotations (webhook serve --no-exemptions)",
      "DevOpsPolicy: metadata.annotations: annotation devops.stochastic.io/exempt not honoured: this cluster's admission ignores exemption annotations (webhook serve --no-exemptions)",
    ]);
    // an UPDATE that keeps them says nothing again; a compliant object says nothing at all
    const relabelled = { ...d, metadata: { ...d.metadata, labels: { team: "a" } } };
    expect(admitRequest(request(relabelled, { operation: "UPDATE", oldObject: d }), strict).response.warnings).toBeUndefined();
    expect(admitRequest(request(pod([goodContainer()], { annotations: { "devops.stochastic.io/exempt": "true" } })), strict).response.warnings).toBeUndefined();
  });
});

describe("admitRequest(): every container is checked (reference W-A9)", () => {
  test("a :latest image moved into an init container is denied, named as an init container", () => {
    const object = { ...pod([goodContainer()]), spec: { containers: [goodContainer()], initContainers: [{ name: "setup", image: "busybox" }] } };
    const d = admit(request(object), [ENFORCE_LATEST]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: init container 'setup' uses :latest tag");
    expect(d.warnings).toEqual([]); // probes are not required of init containers
  });

  test("a native sidecar must carry probes like a main container", () => {
    const sidecar = { name: "proxy", image: "envoy:1.31", restartPolicy: "Always" };
    const object = { ...pod([goodContainer()]), spec: { containers: [goodContainer()], initContainers: [sidecar] } };
    const d = admit(request(object), [ENFORCE_LATEST]);
    expect(d.response.allowed).toBe(true);
    expect(d.response.warnings).toEqual([
      "DevOpsPolicy p0: sidecar container 'proxy' missing liveness probe (severity medium)",
      "DevOpsPolicy p0: sidecar container 'proxy' missing readiness probe (severity low)",
    ]);
  });

  test("kubectl debug (the ephemeralcontainers subresource): a new debug container with :latest is denied, what the pod had is not", () => {
    const old = pod([LATEST]);
    const debugged = { ...old, spec: { containers: [LATEST], ephemeralContainers: [{ name: "debugger-x7k", image: "busybox", stdin: true }] } };
    const d = admit(request(debugged, { operation: "UPDATE", oldObject: old, subResource: "ephemeralcontainers" } as Partial<AdmissionRequest>), [ENFORCE_LATEST]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: ephemeral container 'debugger-x7k' uses :latest tag");
    expect(d.warnings).toEqual([]); // the pod's own :latest was reported when it was created
    const pinned = { ...old, spec: { containers: [LATEST], ephemeralContainers: [{ name: "debugger-x7k", image: "busybox:1.36" }] } };
    expect(admit(request(pinned, { operation: "UPDATE", oldObject: old }), [ENFORCE_LATEST]).response.allowed).toBe(true);
  });

  test("Jobs and CronJobs are not asked for probes, even where a probe check would deny", () => {
    const strictProbes = { ...ENFORCE_LATEST, severityOverrides: { missingLiveness: "critical", missingReadiness: "critical" } } as DevOpsPolicySpec;
    const noProbes = { name: "job", image: "batch:1.0" };
    for (const kind of ["Job", "CronJob"]) {
      const object = deployment([noProbes], kind) as { spec: Record<string, any> };
      const template = kind === "CronJob" ? object.spec.jobTemplate.spec.template : object.spec.template;
      template.spec.restartPolicy = "OnFailure";
      const d = admit(request(object), [strictProbes]);
      expect([kind, d.response]).toEqual([kind, { uid: "3f1e6c2a-0000-4000-8000-000000000001", allowed: true }]);
    }
    // the same container in a Deployment is denied
    expect(admit(request(deployment([noProbes])), [strictProbes]).response.allowed).toBe(false);
  });

  test("workload templates: a CronJob's init container is judged", () => {
    const cron = deployment([goodContainer()], "CronJob") as { spec: { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } } };
    cron.spec.jobTemplate.spec.template.spec.initContainers = [{ name: "fetch", image: "curlimages/curl:latest" }];
    const d = admit(request(cron), [ENFORCE_LATEST]);
    expect(d.response.status?.message).toBe("Denied by DevOpsPolicy: init container 'fetch' uses :latest tag");
  });
});
