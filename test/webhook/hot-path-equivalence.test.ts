/**
 * The webhook's hot path agrees with the plain definitions it replaced: the
 * hand-written envelope check with the valibot schema (same accept/reject, same
 * error text, same request) over the corpus, its mutations and edge cases.
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { parseAdmissionReview, ReviewSchema, type AdmissionRequest, type ParsedReview } from "../../lib/admission/review.ts";
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

describe("the hot path agrees with the plain definitions", () => {
  test.skipIf(!HAS_CORPUS)("corpus reviews and 10,000 mutations: the same parse and errors", () => {
    const reviews = loadCorpusReviews();
    const rand = prng(0xe9e);
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
