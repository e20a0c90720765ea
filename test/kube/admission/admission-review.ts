/**
 * @module
 * AdmissionReview v1 on the wire: the request the API server sends, the checks it
 * applies to the answer (webhookrequest.VerifyAdmissionResponse), and the Status
 * shapes of a rejection (webhookerrors.ToStatusErr) and of a failed call.
 */
import type { StatusBody } from "../auth/forbidden-status.ts";
import type { AdmissionAttributes, GroupVersionResource } from "./webhook-matching.ts";

export interface AdmissionReviewRequest {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  request: Record<string, unknown>;
}

/** The review for one webhook; `asResource` is the (possibly equivalent) resource it matched. */
export function buildAdmissionReview(attrs: AdmissionAttributes, uid: string, asResource: GroupVersionResource): AdmissionReviewRequest {
  const converted = asResource.group !== attrs.resource.group || asResource.version !== attrs.resource.version;
  const kind = { group: asResource.group, version: asResource.version, kind: attrs.kind.kind };
  const apiVersion = asResource.group ? `${asResource.group}/${asResource.version}` : asResource.version;
  const convert = (o: Record<string, unknown> | null | undefined) => (o && converted ? { ...o, apiVersion } : (o ?? null));
  const request: Record<string, unknown> = {
    uid,
    kind,
    resource: asResource,
    ...(attrs.subResource ? { subResource: attrs.subResource } : {}),
    requestKind: attrs.kind,
    requestResource: attrs.resource,
    ...(attrs.subResource ? { requestSubResource: attrs.subResource } : {}),
    name: attrs.name,
    namespace: attrs.namespace,
    operation: attrs.operation,
    userInfo: {
      username: attrs.userInfo.username,
      ...(attrs.userInfo.uid ? { uid: attrs.userInfo.uid } : {}),
      groups: attrs.userInfo.groups,
      ...(attrs.userInfo.extra ? { extra: attrs.userInfo.extra } : {}),
    },
    object: attrs.operation === "DELETE" ? null : convert(attrs.object),
    oldObject: attrs.operation === "CREATE" ? null : convert(attrs.oldObject),
    dryRun: attrs.dryRun,
    options: attrs.options ?? null,
  };
  if (!request.namespace) delete request.namespace;
  if (!request.name) delete request.name;
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

export interface WebhookResult {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string; status?: string; details?: unknown };
  warnings: string[];
}

/** VerifyAdmissionResponse for a validating webhook: returns the result or the error text. */
export function verifyAdmissionResponse(uid: string, body: unknown): WebhookResult | { invalid: string } {
  const review = body as { apiVersion?: string; kind?: string; response?: Record<string, unknown> } | null;
  if (!review || typeof review !== "object" || !review.response || typeof review.response !== "object") return { invalid: "webhook response was absent" };
  const r = review.response;
  if (r.uid !== uid) return { invalid: `expected response.uid="${uid}", got "${typeof r.uid === "string" ? r.uid : ""}"` };
  if (review.apiVersion !== "admission.k8s.io/v1" || review.kind !== "AdmissionReview") {
    const got = `${review.apiVersion ?? ""}, Kind=${review.kind ?? ""}`;
    return { invalid: `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${got}` };
  }
  if (r.patch !== undefined || r.patchType !== undefined) return { invalid: "validating webhook may not return patches" };
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === "string") : [];
  // `allowed` is a plain bool on the server: absent decodes as false, i.e. a denial.
  return { allowed: r.allowed === true, status: (r.status as WebhookResult["status"]) ?? undefined, warnings };
}

/** ToStatusErr: the rejection as the client sees it. */
export function rejectionStatus(webhookName: string, result: WebhookResult["status"]): StatusBody {
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  const r = result ?? {};
  const code = typeof r.code === "number" && r.code >= 400 ? r.code : 400;
  let message: string;
  if (r.message) message = `${deniedBy}: ${r.message}`;
  else if (r.reason) message = `${deniedBy}: ${r.reason}`;
  else message = `${deniedBy} without explanation`;
  const out: StatusBody = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, code };
  if (r.reason) out.reason = r.reason;
  if (r.details && typeof r.details === "object") out.details = r.details as StatusBody["details"];
  return out;
}

/** apierrors.NewInternalError(ErrCallingWebhook): how a failed call looks under failurePolicy Fail. */
export function callFailureStatus(webhookName: string, reason: string): StatusBody {
  const err = `failed calling webhook "${webhookName}": ${reason}`;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${err}`,
    reason: "InternalError",
    details: { causes: [{ message: err }] },
    code: 500,
  };
}

