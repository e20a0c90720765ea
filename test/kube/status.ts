/**
 * @module
 * Kubernetes `Status` errors with the reason/code/details shapes the real API server sends
 * (k8s.io/apimachinery/pkg/api/errors), thrown by the storage layer and rendered by the router.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failed API call: carries the Status body the server answers with. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  /** Sent as Warning headers with the error (admission webhooks warn on rejections too). */
  warnings: string[] = [];
  /** The Status's ListMeta (a 410 for a compacted continue token offers an inconsistent `continue`). */
  metadata: Record<string, unknown> = {};
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    const body: StatusBody = { kind: "Status", apiVersion: "v1", metadata: { ...this.metadata }, status: "Failure", message: this.message, reason: this.reason, code: this.code };
    if (this.reason === "") delete body.reason;
    if (this.details) body.details = this.details;
    return body;
  }
}

/** A group-qualified resource as the errors print it: `pods`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

const qualified = (gr: GroupResource): string => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);
const detailsFor = (gr: GroupResource, name: string): StatusDetails => ({ name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource });

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(404, "NotFound", `${qualified(gr)} "${name}" not found`, detailsFor(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(409, "AlreadyExists", `${qualified(gr)} "${name}" already exists`, detailsFor(gr, name));
}

export function conflict(gr: GroupResource, name: string, why = "the object has been modified; please apply your changes to the latest version and try again"): StatusError {
  return new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, detailsFor(gr, name));
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, "BadRequest", message);
}

export function methodNotAllowed(message = "the server does not allow this method on the requested resource"): StatusError {
  return new StatusError(405, "MethodNotAllowed", message, {});
}

export function forbidden(gr: GroupResource, name: string, message: string): StatusError {
  const target = name ? `${qualified(gr)} "${name}"` : qualified(gr);
  return new StatusError(403, "Forbidden", `${target} is forbidden: ${message}`, detailsFor(gr, name));
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${contentType}`);
}

export function expired(message: string): StatusError {
  return new StatusError(410, "Expired", message);
}

export function internalError(message: string): StatusError {
  return new StatusError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function unauthorized(): StatusError {
  return new StatusError(401, "Unauthorized", "Unauthorized");
}

/** One field error, as k8s.io/apimachinery/pkg/util/validation/field formats it. */
export interface FieldError {
  type: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueTypeInvalid" | "FieldValueTooLong" | "FieldValueTooMany" | "FieldValueForbidden" | "FieldValueDuplicate";
  field: string;
  /** The detail text after "Required value: " / "Invalid value: <v>: ". */
  detail: string;
  value?: unknown;
  hasValue?: boolean;
  /** The value exactly as Go prints it (e.g. `0x0`), instead of the JSON-ish formatting. */
  rawValue?: string;
}

/** Formats a value the way field.Error does (strings quoted, numbers bare). */
export function formatFieldValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The ErrorBody text: `Required value`, `Invalid value: "x": detail`, ... */
export function describeFieldError(e: FieldError): string {
  const val = e.rawValue ?? (e.hasValue ? formatFieldValue(e.value) : "");
  switch (e.type) {
    case "FieldValueRequired":
      return e.detail ? `Required value: ${e.detail}` : "Required value";
    case "FieldValueNotSupported":
      return `Unsupported value: ${val}${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueTooLong":
      return `Too long: ${e.detail}`;
    case "FieldValueTooMany":
      return `Too many: ${val}: ${e.detail}`;
    case "FieldValueForbidden":
      return `Forbidden: ${e.detail}`;
    case "FieldValueDuplicate":
      return `Duplicate value: ${val}`;
    default:
      return e.hasValue || e.rawValue !== undefined ? `Invalid value: ${val}${e.detail ? `: ${e.detail}` : ""}` : `Invalid value: ${e.detail}`;
  }
}

/** 422 Invalid: `Kind.group "name" is invalid: [field: msg, ...]`. */
export function invalid(kind: { group: string; kind: string }, name: string, errors: FieldError[]): StatusError {
  const lines = errors.map((e) => `${e.field}: ${describeFieldError(e)}`);
  const what = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const joined = lines.length === 1 ? lines[0] : `[${lines.join(", ")}]`;
  return new StatusError(422, "Invalid", `${what} "${name}" is invalid: ${joined}`, {
    name,
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes: errors.map((e) => ({ reason: e.type, message: describeFieldError(e), field: e.field })),
  });
}
