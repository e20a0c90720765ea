/**
 * @module
 * Admission responses as values. Every constructor takes the request's uid, so a
 * response can never lose it; `errored` is how any failure is answered (fail open:
 * allowed, with a warning that says validation did not happen).
 */
import type { AdmissionResponse } from "./review.ts";

/** Kubernetes truncates long warning lists; keep ours readable and bounded. */
export const MAX_WARNINGS = 20;
const MAX_WARNING_LENGTH = 256;

function clip(warning: string): string {
  return warning.length > MAX_WARNING_LENGTH ? `${warning.slice(0, MAX_WARNING_LENGTH - 3)}...` : warning;
}

function boundWarnings(warnings: readonly string[]): string[] | undefined {
  if (warnings.length === 0) return undefined;
  const clipped: string[] = [];
  for (const w of warnings) clipped.push(clip(w));
  if (clipped.length <= MAX_WARNINGS) return clipped;
  return [...clipped.slice(0, MAX_WARNINGS - 1), `... and ${clipped.length - MAX_WARNINGS + 1} more DevOpsPolicy findings`];
}

function withWarnings(response: AdmissionResponse, warnings: readonly string[]): AdmissionResponse {
  const bounded = boundWarnings(warnings);
  if (bounded) response.warnings = bounded;
  return response;
}

/** Admits the request, with optional warnings (kubectl prints them). */
export function allowed(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true }, warnings);
}

/** Rejects the request; kubectl shows `message` (403 Forbidden). */
export function denied(uid: string, message: string, warnings: readonly string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: false, status: { code: 403, reason: "Forbidden", message } }, warnings);
}

/** Fails open: admits, and warns that the request was not validated. */
export function errored(uid: string, what: string): AdmissionResponse {
  return allowed(uid, [`kube-devops admission could not validate this request (${what}); it was admitted unchecked`]);
}

/** The body of an HTTP 400 for a review that is not one; still echoes the uid it could read. */
export function malformed(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: true, status: { code: 400, reason: "BadRequest", message: `malformed AdmissionReview: ${message}` } };
}
