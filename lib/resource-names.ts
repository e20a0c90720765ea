/**
 * @module
 * Names the API server would refuse, refused at the flag instead: a namespace is an RFC 1123
 * label, a Service name an RFC 1035 label (it must start with a letter, as Service DNS names do),
 * most other objects' names (a DevOpsPolicy's) an RFC 1123 subdomain.
 * Pure: a bad value is a usage error naming the flag.
 */
import { usageError } from "./errors.ts";

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_SUBDOMAIN = 253;
const MAX_LABEL = 63;

/** `value` if it is a valid namespace name, else a usage error naming `flag`. */
export function parseNamespaceFlag(value: string, flag = "--namespace"): string {
  if (!RFC1123_LABEL.test(value) || value.length > MAX_LABEL) {
    throw usageError(`${flag} "${value}" is not a valid namespace name (lowercase letters, digits and '-', at most 63)`);
  }
  return value;
}

/** `value` if it is a valid Service name, else a usage error naming `flag`. */
export function parseServiceNameFlag(value: string, flag = "--service-name"): string {
  if (!RFC1035_LABEL.test(value) || value.length > MAX_LABEL) {
    throw usageError(`${flag} "${value}" is not a valid Service name (a lowercase letter first, then lowercase letters, digits and '-', at most 63)`);
  }
  return value;
}

/** `value` if it is a valid object name (RFC 1123 subdomain, e.g. a DevOpsPolicy's), else a usage error naming `flag`. */
export function parseObjectNameFlag(value: string, flag: string): string {
  if (!RFC1123_SUBDOMAIN.test(value) || value.length > MAX_SUBDOMAIN) {
    throw usageError(`${flag} "${value}" is not a valid object name (lowercase letters, digits, '-' and '.', at most 253)`);
  }
  return value;
}
