/**
 * @module
 * The AdmissionReview boundary: `parseAdmissionReview` accepts what an API server
 * sends (admission.k8s.io v1, or v1beta1 from older callers) and names what is
 * wrong with anything else; `toAdmissionReview` wraps a response in the request's
 * apiVersion. Only the envelope is validated here; the object is read defensively.
 */
import * as v from "valibot";

export const ADMISSION_API_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];
export const OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"] as const;
export type Operation = (typeof OPERATIONS)[number];

const objectOrNull = v.nullish(v.record(v.string(), v.unknown()));

const RequestSchema = v.looseObject({
  uid: v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(256, "is too long")),
  kind: v.looseObject({ group: v.optional(v.string(), ""), version: v.optional(v.string(), ""), kind: v.pipe(v.string(), v.minLength(1)) }),
  namespace: v.optional(v.string()),
  name: v.optional(v.string()),
  operation: v.picklist(OPERATIONS, "must be CREATE, UPDATE, DELETE or CONNECT"),
  userInfo: v.optional(v.looseObject({ username: v.optional(v.string()) })),
  object: objectOrNull,
  oldObject: objectOrNull,
  dryRun: v.optional(v.boolean()),
});

const ReviewSchema = v.looseObject({
  apiVersion: v.picklist(ADMISSION_API_VERSIONS, "must be admission.k8s.io/v1"),
  kind: v.literal("AdmissionReview", "must be AdmissionReview"),
  request: RequestSchema,
});

export type AdmissionRequest = v.InferOutput<typeof RequestSchema>;

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: AdmissionApiVersion;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export type ParsedReview =
  | { ok: true; apiVersion: AdmissionApiVersion; request: AdmissionRequest }
  | { ok: false; apiVersion: AdmissionApiVersion; uid: string; message: string };

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => String(p.key)).join(".") ?? "";
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Best-effort uid of a review that failed validation, so even a 400 echoes it. */
function salvageUid(body: unknown): string {
  const request = (body as { request?: unknown } | null)?.request;
  const uid = typeof request === "object" && request !== null ? (request as { uid?: unknown }).uid : undefined;
  return typeof uid === "string" && uid.length <= 256 ? uid : "";
}

function salvageApiVersion(body: unknown): AdmissionApiVersion {
  const apiVersion = (body as { apiVersion?: unknown } | null)?.apiVersion;
  return apiVersion === "admission.k8s.io/v1beta1" ? apiVersion : "admission.k8s.io/v1";
}

/** Validates a decoded JSON body as an AdmissionReview request. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, apiVersion: "admission.k8s.io/v1", uid: "", message: "the body is not a JSON object" };
  }
  const result = v.safeParse(ReviewSchema, body, { abortEarly: true });
  if (!result.success) {
    const first = result.issues[0];
    return { ok: false, apiVersion: salvageApiVersion(body), uid: salvageUid(body), message: first ? describeIssue(first) : "invalid AdmissionReview" };
  }
  const request = result.output.request;
  if ((request.operation === "CREATE" || request.operation === "UPDATE") && !request.object) {
    return { ok: false, apiVersion: result.output.apiVersion, uid: request.uid, message: `request.object: required for ${request.operation}` };
  }
  if (request.operation === "UPDATE" && !request.oldObject) {
    return { ok: false, apiVersion: result.output.apiVersion, uid: request.uid, message: "request.oldObject: required for UPDATE" };
  }
  return { ok: true, apiVersion: result.output.apiVersion, request };
}

/** Wraps a response in an AdmissionReview of the request's apiVersion. */
export function toAdmissionReview(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReviewOut {
  return { apiVersion, kind: "AdmissionReview", response };
}
