/**
 * @module
 * The reachability ping `kube-devops check` sends through the API server: a server-side dry-run
 * CREATE of a Pod carrying REACHABILITY_ANNOTATION is answered allowed, with one warning naming
 * the nonce and the replica that answered, and is never judged. Only a dry run is a ping: a real
 * pod with the annotation is judged like any other (the annotation is no exemption).
 */
import { asRecord } from "../k8s-objects.ts";
import type { AdmissionRequest, AdmissionResponse } from "./review.ts";
import { allowed } from "./verdict.ts";

/** The annotation check puts on its dry-run pod; its value is the nonce echoed back. */
export const REACHABILITY_ANNOTATION = "devops.stochastic.io/check-reachability";

/** A nonce is short and header-safe: it travels back in a `Warning` header. */
const NONCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A replica name as the warning carries it (a pod name, a hostname). */
const REPLICA = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

const WARNING_PREFIX = "kube-devops webhook reachable: nonce ";

/** The ping's nonce, or undefined when the request is not a ping (then it is judged as usual). */
export function reachabilityNonce(request: AdmissionRequest): string | undefined {
  if (request.dryRun !== true || request.operation !== "CREATE") return undefined;
  if (request.kind.kind !== "Pod" || (request.kind.group ?? "") !== "") return undefined;
  const value = asRecord(asRecord(asRecord(request.object)?.metadata)?.annotations)?.[REACHABILITY_ANNOTATION];
  return typeof value === "string" && NONCE.test(value) ? value : undefined;
}

/** The warning that answers a ping; `replica` is this pod's name (anything odd is replaced). */
export function reachabilityWarning(nonce: string, replica: string): string {
  return `${WARNING_PREFIX}${nonce} answered by ${REPLICA.test(replica) ? replica : "unknown"}`;
}

/** The response to a ping: allowed, one warning, nothing judged. */
export function answerReachability(uid: string, nonce: string, replica: string): AdmissionResponse {
  return allowed(uid, [reachabilityWarning(nonce, replica)]);
}

/** The replica that answered `nonce`, read back from a response's warnings; undefined when none did. */
export function findReachabilityAnswer(warnings: readonly string[], nonce: string): { replica: string } | undefined {
  const prefix = `${WARNING_PREFIX}${nonce} answered by `;
  for (const w of warnings) if (w.startsWith(prefix)) return { replica: w.slice(prefix.length) };
  return undefined;
}
