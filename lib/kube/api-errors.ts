/**
 * @module
 * Typed API errors, classified from the Status body's `reason` (falling back
 * to the HTTP status code) — never from message text. Each names the request
 * (verb, resource, namespace, name) so a user sees what was refused.
 */
import { KubeDevopsError } from "../errors.ts";
import { KubeTransportError } from "./transport-errors.ts";

/** The `Status` object the API server returns with every error. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  metadata?: { continue?: string; resourceVersion?: string };
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** What was asked, for messages: `list pods in namespace "a"`. */
export interface RequestContext {
  verb: string;
  /** `pods`, `deployments.apps`, `devopspolicies.devops.stochastic.io/status`. */
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  server: string;
  context?: string | undefined;
}

export type KubeReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Forbidden"
  | "Unauthorized"
  | "Gone"
  | "Invalid"
  | "Unavailable"
  | "Timeout"
  | "TooManyRequests"
  | "BadRequest"
  | "Internal"
  | "Other";

export interface FieldCause {
  field?: string | undefined;
  reason?: string | undefined;
  message?: string | undefined;
}

/** Any error status from the API server. Subclasses per reason allow `instanceof`. */
export class KubeApiError extends KubeDevopsError {
  readonly reason: KubeReason;
  readonly httpStatus: number;
  readonly status: KubeStatus | undefined;
  readonly request: RequestContext;
  /** Field causes of an Invalid error (and any other Status with causes). */
  readonly causes: FieldCause[];
  /** From Retry-After or details.retryAfterSeconds, ms. */
  readonly retryAfterMs: number | undefined;
  /**
   * The error response's `Warning: 299` texts: the API server sends them on a refusal too (an
   * admission webhook that allowed and warned while another check refused the request).
   */
  readonly warnings: string[];

  constructor(init: { reason: KubeReason; httpStatus: number; status: KubeStatus | undefined; request: RequestContext; retryAfterMs?: number | undefined; message: string; hint?: string | undefined; warnings?: string[] | undefined }) {
    super("KUBE", init.message, init.hint === undefined ? {} : { hint: init.hint });
    this.name = `${init.reason}Error`;
    this.reason = init.reason;
    this.httpStatus = init.httpStatus;
    this.status = init.status;
    this.request = init.request;
    this.causes = init.status?.details?.causes ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.warnings = init.warnings ?? [];
  }
}

export class NotFoundError extends KubeApiError {}
export class AlreadyExistsError extends KubeApiError {}
export class ConflictError extends KubeApiError {}
export class ForbiddenError extends KubeApiError {}
export class UnauthorizedError extends KubeApiError {}
/** 410: a watch's resourceVersion or a list's continue token is too old. */
export class GoneError extends KubeApiError {}
export class InvalidError extends KubeApiError {}
export class UnavailableError extends KubeApiError {}
export class TimeoutError extends KubeApiError {}
export class TooManyRequestsError extends KubeApiError {}

const CLASSES: Record<KubeReason, typeof KubeApiError> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  Conflict: ConflictError,
  Forbidden: ForbiddenError,
  Unauthorized: UnauthorizedError,
  Gone: GoneError,
  Invalid: InvalidError,
  Unavailable: UnavailableError,
  Timeout: TimeoutError,
  TooManyRequests: TooManyRequestsError,
  BadRequest: KubeApiError,
  Internal: KubeApiError,
  Other: KubeApiError,
};

const BY_REASON: Record<string, KubeReason> = {
  NotFound: "NotFound",
  AlreadyExists: "AlreadyExists",
  Conflict: "Conflict",
  Forbidden: "Forbidden",
  Unauthorized: "Unauthorized",
  Gone: "Gone",
  Expired: "Gone",
  Invalid: "Invalid",
  ServiceUnavailable: "Unavailable",
  Timeout: "Timeout",
  ServerTimeout: "Timeout",
  TooManyRequests: "TooManyRequests",
  BadRequest: "BadRequest",
  InternalError: "Internal",
};

const BY_CODE: Record<number, KubeReason> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Gone",
  422: "Invalid",
  429: "TooManyRequests",
  500: "Internal",
  503: "Unavailable",
  504: "Timeout",
};

/** The reason of a Status (its `reason` first, then the code). */
export function classifyStatus(httpStatus: number, status: KubeStatus | undefined): KubeReason {
  const byReason = status?.reason ? BY_REASON[status.reason] : undefined;
  return byReason ?? BY_CODE[status?.code ?? httpStatus] ?? BY_CODE[httpStatus] ?? "Other";
}

function describeTarget(req: RequestContext): string {
  const name = req.name ? ` "${req.name}"` : "";
  const ns = req.namespace ? ` in namespace "${req.namespace}"` : "";
  return `${req.resource}${name}${ns}`;
}

function describeCauses(causes: FieldCause[]): string {
  return causes.map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason ?? "invalid"}` : (c.message ?? c.reason ?? "invalid"))).join("; ");
}

/** What the API server serves at an unknown path: a resource type it does not know (e.g. a CRD not installed). */
const UNKNOWN_RESOURCE = "the server could not find the requested resource";

/**
 * A 404 names what is missing: the object asked for, or — when the server names something else,
 * such as the namespace of a create — that; or the resource type itself, when the server does
 * not serve it (our CRDs not installed).
 */
function notFoundMessage(status: KubeStatus | undefined, req: RequestContext, target: string): { message: string; hint?: string } {
  const details = status?.details;
  const asked = req.resource.split("/")[0]!.split(".")[0];
  if (details?.name && details.kind && (details.name !== req.name || details.kind !== asked) && status?.message) {
    return { message: `${status.message} (${req.verb} ${target})` };
  }
  if (!details?.name && status?.message === UNKNOWN_RESOURCE) {
    const resource = req.resource.split("/")[0]!;
    const ours = resource.endsWith(".devops.stochastic.io");
    return {
      message: `${target} not found: the API server at ${req.server} does not serve ${resource}`,
      hint: ours ? "install the CRDs first: kube-devops crd install (or helm install the chart)" : `is its API installed? check with: kubectl api-resources | grep ${resource.split(".")[0]}`,
    };
  }
  return { message: `${target} not found` };
}

function composeMessage(reason: KubeReason, httpStatus: number, status: KubeStatus | undefined, req: RequestContext): { message: string; hint?: string } {
  const target = describeTarget(req);
  const server = status?.message ? `: ${status.message}` : "";
  const ctx = req.context ? `context "${req.context}"` : "these credentials";
  switch (reason) {
    case "NotFound":
      return notFoundMessage(status, req, target);
    case "AlreadyExists":
      return { message: `${target} already exists` };
    case "Conflict":
      return { message: `Conflict on ${req.verb} ${target}: it was changed by someone else${server}`, hint: "Re-read the object and retry" };
    case "Forbidden": {
      const scope = req.namespace ? ` -n ${req.namespace}` : req.verb === "list" || req.verb === "watch" ? " --all-namespaces" : "";
      return {
        message: `Forbidden: ${ctx} may not ${req.verb} ${target}${server}`,
        hint: `Grant RBAC "${req.verb}" on "${req.resource}"; check with: kubectl auth can-i ${req.verb} ${req.resource}${scope}`,
      };
    }
    case "Unauthorized":
      return {
        message: `Unauthorized: the API server at ${req.server} rejected the credentials of ${ctx} (while trying to ${req.verb} ${target})`,
        hint: "The token or client certificate is missing, expired or revoked; log in again or check the exec plugin",
      };
    case "Gone":
      return { message: `Gone: ${req.verb} ${target}: the resource version or continue token is too old${server}` };
    case "Invalid": {
      const causes = describeCauses(status?.details?.causes ?? []);
      const kind = status?.details?.kind ? `${status.details.kind} ` : "";
      const name = status?.details?.name ?? req.name;
      return { message: `Invalid ${kind}${name ? `"${name}"` : target}: ${causes || status?.message || "rejected by validation"}` };
    }
    case "TooManyRequests":
      return { message: `The API server at ${req.server} is throttling requests (${req.verb} ${target})${server}` };
    case "Unavailable":
      return { message: `The API server at ${req.server} is unavailable (${req.verb} ${target})${server}` };
    case "Timeout":
      return { message: `The API server at ${req.server} timed out (${req.verb} ${target})${server}` };
    default:
      return { message: `${req.verb} ${target} failed: HTTP ${httpStatus}${status?.reason ? ` ${status.reason}` : ""}${server}` };
  }
}

/** Builds the typed error for an error response with (maybe) a Status body. */
export function toApiError(httpStatus: number, status: KubeStatus | undefined, req: RequestContext, retryAfterMs?: number, warnings?: string[]): KubeApiError {
  const reason = classifyStatus(httpStatus, status);
  const { message, hint } = composeMessage(reason, httpStatus, status, req);
  const retry = retryAfterMs ?? (status?.details?.retryAfterSeconds !== undefined ? status.details.retryAfterSeconds * 1000 : undefined);
  return new CLASSES[reason]({ reason, httpStatus, status, request: req, retryAfterMs: retry, message, hint, warnings });
}

/** Parses an error body as a Status when it is one. */
export function parseStatus(body: string): KubeStatus | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === "object" && (parsed as KubeStatus).kind === "Status") return parsed as KubeStatus;
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  return undefined;
}

export const isNotFound = (err: unknown): err is NotFoundError => err instanceof NotFoundError;
export const isConflict = (err: unknown): err is ConflictError => err instanceof ConflictError;
export const isAlreadyExists = (err: unknown): err is AlreadyExistsError => err instanceof AlreadyExistsError;
export const isGone = (err: unknown): err is GoneError => err instanceof GoneError;
export const isForbidden = (err: unknown): err is ForbiddenError => err instanceof ForbiddenError;

/** The namespace a 404 says does not exist (a write into it), from the Status details; undefined for any other error. */
export function missingNamespaceOf(err: unknown): string | undefined {
  const details = err instanceof NotFoundError ? err.status?.details : undefined;
  return details?.kind === "namespaces" && !details.group ? details.name : undefined;
}

/** A 404 for the resource type itself, not an object of it: the API server does not serve it (a CRD not installed). */
export function isUnservedResource(err: unknown): boolean {
  return err instanceof NotFoundError && !err.status?.details?.name && err.status?.message === UNKNOWN_RESOURCE;
}

/**
 * Whether a write that failed with `err` may still have been carried out: the API server answered
 * 5xx (kube-apiserver's 504 Timeout "may still be processing the request") or the answer was lost
 * after the request was sent. A 4xx, or a connection never made, means it was not. The caller
 * reads the object again to know (lib/operator/status-writer.ts, lib/enforcement/apply-remediation.ts).
 */
export function mayHaveCommitted(err: unknown): boolean {
  if (err instanceof KubeTransportError) return !err.notSent;
  return err instanceof KubeApiError && err.httpStatus >= 500;
}
