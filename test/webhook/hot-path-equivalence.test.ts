/**
 * The webhook's hot path agrees with the plain definitions it replaced: the
 * hand-written envelope check with the valibot schema (same accept/reject, same
 * error text, same request), and the compiled admission plan with merging the
 * policies one by one (same response, warnings in the same order, same metric
 * labels) — over the corpus, its mutations, and generated pods under generated
 * policy sets.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { admitRequest } from "../../lib/admission/admit.ts";
import { compileAdmissionPolicy, PolicyIndex } from "../../lib/admission/policy-index.ts";
import { parseAdmissionReview, ReviewSchema, type AdmissionRequest, type ParsedReview } from "../../lib/admission/review.ts";
import type { DevOpsPolicySpec, Severity } from "../../lib/policy/schema.ts";
import { admitByPolicy } from "./admit-oracle.ts";
import { HAS_CORPUS, loadCorpusReviews, mutate, pick, prng } from "./corpus.ts";

/** parseAdmissionReview as it was: the schema alone, then the operation's required objects. */
function parseBySchema(body: unknown): ParsedReview {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, apiVersion: "admission.k8s.io/v1", uid: "", message: "the body is not a JSON object" };
  const result = v.safeParse(ReviewSchema, body, { abortEarly: true });
  if (!result.success) {
    const first = result.issues[0];
    const path = first?.path?.map((p) => String(p.key)).join(".") ?? "";
    const message = first ? (path ? `${path}: ${first.message}` : first.message) : "invalid AdmissionReview";
    const b = body as { apiVersion?: unknown; request?: { uid?: unknown } };
    const uid = typeof b.request === "object" && b.request !== null && typeof b.request.uid === "string" && b.request.uid.length <= 256 ? b.request.uid : "";
    return { ok: false, apiVersion: b.apiVersion === "admission.k8s.io/v1beta1" ? "admission.k8s.io/v1beta1" : "admission.k8s.io/v1", uid, message };
  }
  const { apiVersion, request } = result.output;
  if ((request.operation === "CREATE" || request.operation === "UPDATE") && !request.object) return { ok: false, apiVersion, uid: request.uid, message: `request.object: required for ${request.operation}` };
  if (request.operation === "UPDATE" && !request.oldObject) return { ok: false, apiVersion, uid: request.uid, message: "request.oldObject: required for UPDATE" };
  return { ok: true, apiVersion, request };
}

/** What readers take from a request (the schema's output is a copy; the hot path's is the decoded object). */
function readable(request: AdmissionRequest) {
  return { uid: request.uid, kind: request.kind, namespace: request.namespace, name: request.name, operation: request.operation, username: request.userInfo?.username, object: request.object, oldObject: request.oldObject, dryRun: request.dryRun };
}

function expectSameParse(body: unknown): ParsedReview {
  const fast = parseAdmissionReview(body);
  const plain = parseBySchema(body);
  if (!fast.ok || !plain.ok) expect(fast).toEqual(plain);
  else {
    expect(fast.apiVersion).toBe(plain.apiVersion);
    expect(readable(fast.request)).toEqual(readable(plain.request));
  }
  return fast;
}

const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];
const IMAGES = ["nginx", "nginx:latest", "registry.example/app:1.2.3", "app@sha256:abc", "repo:5000/app", " busybox:latest ", 7, undefined];
const NAMES = ["app", "app", "sidecar", "", undefined, 3];
const EXEMPTIONS = [undefined, { "devops.stochastic.io/exempt": "true" }, { "devops.stochastic.io/exempt-checks": "latest_tag, missingLiveness" }, { "devops.stochastic.io/exempt-checks": "missing_limits,bogus", "devops.stochastic.io/exempt-reason": "legacy" }, { other: "x" }];

function randomSpec(rand: () => number): DevOpsPolicySpec {
  const flag = () => (rand() < 0.5 ? true : undefined);
  const overrides = rand() < 0.4 ? { latestTag: pick(rand, SEVERITIES), missingLiveness: pick(rand, SEVERITIES), missingLimits: pick(rand, SEVERITIES) } : undefined;
  return {
    forbidLatestTag: flag(),
    requireLivenessProbe: flag(),
    requireReadinessProbe: flag(),
    requireResourceRequests: flag(),
    requireResourceLimits: flag(),
    ...(rand() < 0.3 ? { maxRestartCount: 3 } : {}),
    enforcementMode: rand() < 0.6 ? "enforce" : "audit",
    ...(rand() < 0.6 ? { admissionThreshold: pick(rand, SEVERITIES) } : {}),
    ...(overrides ? { severityOverrides: overrides } : {}),
  } as DevOpsPolicySpec;
}

function randomContainer(rand: () => number): unknown {
  if (rand() < 0.05) return pick(rand, [null, 3, "x", []]);
  const resources = (kind: string) => (rand() < 0.5 ? { [kind]: { cpu: pick(rand, ["100m", "", 1, " "]), ...(rand() < 0.5 ? { memory: "64Mi" } : {}) } } : {});
  return {
    name: pick(rand, NAMES),
    image: pick(rand, IMAGES),
    ...(rand() < 0.6 ? { livenessProbe: pick(rand, [{}, null, { httpGet: { port: 80 } }]) } : {}),
    ...(rand() < 0.6 ? { readinessProbe: {} } : {}),
    ...(rand() < 0.8 ? { resources: { ...resources("requests"), ...resources("limits") } } : {}),
  };
}

function randomObject(rand: () => number, kind: string): Record<string, unknown> {
  const containers = Array.from({ length: Math.floor(rand() * 4) }, () => randomContainer(rand));
  // init containers (a third of them native sidecars) and ephemeral ones: each role has its own checks
  const init = rand() < 0.4 ? Array.from({ length: 1 + Math.floor(rand() * 2) }, () => ({ ...(randomContainer(rand) as object), ...(rand() < 0.35 ? { restartPolicy: "Always" } : {}) })) : undefined;
  const ephemeral = rand() < 0.2 ? [randomContainer(rand)] : undefined;
  const metadata = { name: "web", annotations: pick(rand, EXEMPTIONS), ...(rand() < 0.3 ? { ownerReferences: [{ kind: pick(rand, ["ReplicaSet", "Job", "Node"]), name: "rs", controller: rand() < 0.8 }] } : {}) };
  const restartPolicy = rand() < 0.3 ? { restartPolicy: pick(rand, ["Never", "OnFailure", "Always", 3]) } : {};
  const podSpec = rand() < 0.95 ? { ...restartPolicy, containers, ...(init ? { initContainers: init } : {}), ...(ephemeral ? { ephemeralContainers: ephemeral } : {}) } : undefined;
  if (kind === "Pod") return { kind, metadata, spec: podSpec };
  return { kind, metadata: { ...metadata, annotations: pick(rand, EXEMPTIONS) }, spec: { template: { metadata: { annotations: pick(rand, EXEMPTIONS) }, spec: podSpec } } };
}

/** `object` with its annotations (the workload's and its template's) picked again: a metadata-only update. */
function reannotated(rand: () => number, object: Record<string, any>): Record<string, unknown> {
  const metadata = { ...object.metadata, annotations: pick(rand, EXEMPTIONS) };
  if (object.kind === "Pod") return { ...object, metadata };
  return { ...object, metadata, spec: { template: { metadata: { annotations: pick(rand, EXEMPTIONS) }, spec: object.spec?.template?.spec } } };
}

describe("the hot path agrees with the plain definitions", () => {
  test("generated pods and workloads under generated policy sets: the same decision", () => {
    const rand = prng(0xad5eed);
    const indexes = Array.from({ length: 40 }, (_, n) => {
      const index = new PolicyIndex();
      const count = 1 + (n % 3);
      for (let i = 0; i < count; i++) index.upsert(compileAdmissionPolicy("prod", `p${Math.floor(rand() * 5)}-${i}`, randomSpec(rand)));
      return index;
    });
    let denied = 0;
    let warned = 0;
    for (let i = 0; i < 6_000; i++) {
      const index = pick(rand, indexes);
      const kind = pick(rand, ["Pod", "Pod", "Deployment", "Job"]);
      const operation = rand() < 0.6 ? "CREATE" : "UPDATE";
      const object = randomObject(rand, kind);
      // UPDATEs: the same object, the same spec under other (exemption) annotations, or another object
      const oldObject = operation === "UPDATE" ? (rand() < 0.2 ? object : rand() < 0.4 ? reannotated(rand, object) : randomObject(rand, kind)) : undefined;
      const username = pick(rand, ["alice", "system:kube-controller-manager", "system:serviceaccount:kube-system:replicaset-controller"]);
      const body = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: `u-${i}`, kind: { group: "", version: "v1", kind }, namespace: "prod", operation, userInfo: { username }, object, ...(oldObject ? { oldObject } : {}) } };
      const parsed = expectSameParse(JSON.parse(JSON.stringify(body)));
      if (!parsed.ok) continue;
      const options = { ownNamespace: "kube-devops", policiesFor: (ns: string) => index.forNamespace(ns), exemptions: rand() < 0.8 };
      const fast = admitRequest(parsed.request, options);
      expect(fast).toEqual(admitByPolicy(parsed.request, options));
      if (!fast.response.allowed) denied++;
      if (fast.response.warnings) warned++;
    }
    expect(denied).toBeGreaterThan(500);
    expect(warned).toBeGreaterThan(1000);
  });

  test.skipIf(!HAS_CORPUS)("corpus reviews and 10,000 mutations: the same parse, errors and decision", () => {
    const reviews = loadCorpusReviews();
    const rand = prng(0xe9e);
    const index = new PolicyIndex();
    const namespaces = new Set<string>();
    const policiesFor = (ns: string) => {
      if (!namespaces.has(ns)) {
        namespaces.add(ns);
        index.upsert(compileAdmissionPolicy(ns, "a", { forbidLatestTag: true, requireLivenessProbe: true, requireResourceLimits: true, enforcementMode: "enforce", admissionThreshold: "medium" }));
        index.upsert(compileAdmissionPolicy(ns, "b", { requireReadinessProbe: true, requireResourceRequests: true, forbidLatestTag: true, severityOverrides: { latestTag: "critical" } }));
      }
      return index.forNamespace(ns);
    };
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 10_000 + reviews.length; i++) {
      const text = i < reviews.length ? JSON.stringify(reviews[i]?.body) : mutate(pick(rand, reviews).body, rand);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = expectSameParse(body);
      if (!parsed.ok) {
        outcomes.rejected++;
        continue;
      }
      outcomes.ok++;
      const options = { ownNamespace: "kube-devops", policiesFor };
      expect(admitRequest(parsed.request, options)).toEqual(admitByPolicy(parsed.request, options));
    }
    expect(outcomes.ok).toBeGreaterThan(1000);
    expect(outcomes.rejected).toBeGreaterThan(1000);
  }, 60_000);

  test("envelope edge cases: arrays, missing group/version, undefined values, bounds", () => {
    const request = { uid: "u", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", object: { kind: "Pod" } };
    const cases: unknown[] = [
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, kind: { kind: "Pod" } } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, kind: { group: undefined, version: 1, kind: "Pod" } } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, kind: [] } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, userInfo: [] } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, userInfo: null } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, userInfo: { username: 3 } } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, object: [] } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, object: "pod" } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, oldObject: 0 } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, namespace: undefined, name: null } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, dryRun: "true" } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, uid: "x".repeat(256) } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, uid: "x".repeat(257) } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, uid: "" } },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { ...request, kind: { group: "", version: "v1", kind: "" } } },
      { apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: { ...request, operation: "PATCH" } },
      { apiVersion: "admission.k8s.io/v2", kind: "AdmissionReview", request },
      { apiVersion: "admission.k8s.io/v1", kind: "Pod", request },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: [request] },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      [request],
      null,
    ];
    for (const body of cases) expectSameParse(body);
  });
});
