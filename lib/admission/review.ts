/**
 * @module
 * The AdmissionReview boundary: `parseAdmissionReview` accepts what an API server
 * sends (admission.k8s.io v1, or v1beta1 from older callers) and names what is
 * wrong with anything else; `toAdmissionReview` wraps a response in the request's
 * apiVersion. Only the envelope is validated here; the object is read defensively.
 * The valibot schema is the definition; `acceptEnvelope` is a hand-written check
 * for the hot path that accepts a subset of what the schema accepts (anything it
 * is unsure of goes through valibot, which also words every error).
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

/** The AdmissionReview envelope (what the hand-written hot path must agree with; a test compares). */
export const ReviewSchema = v.looseObject({
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

type Loose = Record<string, unknown>;

/** A plain (non-array) object; arrays, which the schema would also take, are left to valibot. */
function isPlainObject(value: unknown): value is Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

function isOptionalObject(value: unknown): boolean {
  return value === undefined || value === null || isPlainObject(value);
}

/**
 * The hot path of `parseAdmissionReview`: the request itself when the envelope
 * certainly passes ReviewSchema (only subsets: `kind.group`/`kind.version` present,
 * no arrays where objects go), else undefined and valibot decides. The request is
 * returned as decoded, not copied: the schema's output differs from it only by
 * dropping `__proto__`/`constructor`/`prototype` keys of the objects, which no
 * reader looks at.
 */
function acceptEnvelope(body: Loose): { apiVersion: AdmissionApiVersion; request: AdmissionRequest } | undefined {
  const apiVersion = body.apiVersion;
  if ((apiVersion !== "admission.k8s.io/v1" && apiVersion !== "admission.k8s.io/v1beta1") || body.kind !== "AdmissionReview") return undefined;
  const request = body.request;
  if (!isPlainObject(request)) return undefined;
  const { uid, kind, operation, userInfo } = request;
  if (typeof uid !== "string" || uid.length < 1 || uid.length > 256) return undefined;
  if (!isPlainObject(kind) || typeof kind.group !== "string" || typeof kind.version !== "string" || typeof kind.kind !== "string" || kind.kind.length < 1) return undefined;
  if (!isOptionalString(request.namespace) || !isOptionalString(request.name)) return undefined;
  if (operation !== "CREATE" && operation !== "UPDATE" && operation !== "DELETE" && operation !== "CONNECT") return undefined;
  if (userInfo !== undefined && !(isPlainObject(userInfo) && isOptionalString(userInfo.username))) return undefined;
  if (!isOptionalObject(request.object) || !isOptionalObject(request.oldObject)) return undefined;
  if (request.dryRun !== undefined && typeof request.dryRun !== "boolean") return undefined;
  return { apiVersion, request: request as AdmissionRequest };
}

function validateEnvelope(body: Loose): { apiVersion: AdmissionApiVersion; request: AdmissionRequest } | { issue: string } {
  const accepted = acceptEnvelope(body);
  if (accepted) return accepted;
  const result = v.safeParse(ReviewSchema, body, { abortEarly: true });
  if (result.success) return result.output;
  const first = result.issues[0];
  return { issue: first ? describeIssue(first) : "invalid AdmissionReview" };
}

/** Validates a decoded JSON body as an AdmissionReview request. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isPlainObject(body)) {
    return { ok: false, apiVersion: "admission.k8s.io/v1", uid: "", message: "the body is not a JSON object" };
  }
  const envelope = validateEnvelope(body);
  if ("issue" in envelope) return { ok: false, apiVersion: salvageApiVersion(body), uid: salvageUid(body), message: envelope.issue };
  const { apiVersion, request } = envelope;
  if ((request.operation === "CREATE" || request.operation === "UPDATE") && !request.object) {
    return { ok: false, apiVersion, uid: request.uid, message: `request.object: required for ${request.operation}` };
  }
  if (request.operation === "UPDATE" && !request.oldObject) {
    return { ok: false, apiVersion, uid: request.uid, message: "request.oldObject: required for UPDATE" };
  }
  return { ok: true, apiVersion, request };
}

/** Wraps a response in an AdmissionReview of the request's apiVersion. */
export function toAdmissionReview(apiVersion: AdmissionApiVersion, response: AdmissionResponse): AdmissionReviewOut {
  return { apiVersion, kind: "AdmissionReview", response };
}
