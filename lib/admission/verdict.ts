/**
 * @module
 * Admission responses as values. Every constructor takes the request's uid, so a
 * response can never lose it; `errored` is how any failure is answered (fail open:
 * allowed, with a warning that says validation did not happen).
 */
import type { AdmissionResponse } from "./review.ts";

/**
 * The API server bounds the warnings of one response: past 4,096 characters in all it cuts
 * every warning to 256 and drops those that still do not fit (apiserver endpoints/filters
 * warning.go), so our last line, the "and N more" summary, would be the first to go. Ours stay
 * inside both limits, the summary included, and leave one warning's room for the API server's own.
 */
export const MAX_WARNINGS = 20;
export const MAX_WARNING_LENGTH = 256;
export const MAX_WARNINGS_TOTAL = 4096 - MAX_WARNING_LENGTH;

function clip(warning: string): string {
  if (warning.length <= MAX_WARNING_LENGTH) return warning;
  let end = MAX_WARNING_LENGTH - 3;
  const last = warning.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // never half a surrogate pair (an emoji in a container name)
  return `${warning.slice(0, end)}...`;
}

function summary(left: number): string {
  return `... and ${left} more DevOpsPolicy findings`;
}

function boundWarnings(warnings: readonly string[]): string[] | undefined {
  if (warnings.length === 0) return undefined;
  const kept: string[] = [];
  let total = 0;
  for (let i = 0; i < warnings.length; i++) {
    const w = clip(warnings[i] as string);
    const last = i === warnings.length - 1;
    // room for this one, and unless it is the last, for the summary of those after it
    const reserve = last ? 0 : summary(warnings.length - i - 1).length;
    if (kept.length + (last ? 1 : 2) > MAX_WARNINGS || total + w.length + reserve > MAX_WARNINGS_TOTAL) {
      kept.push(summary(warnings.length - i));
      return kept;
    }
    kept.push(w);
    total += w.length;
  }
  return kept;
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
