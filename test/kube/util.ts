/**
 * @module
 * Small helpers shared by the emulator modules: deep equality, timestamps, generated names.
 */

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** The 5-character suffix the server appends to generateName (k8s.io/apiserver names.go). */
export function randomSuffix(n = 5): string {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) s += ALPHANUMS[b % ALPHANUMS.length];
  return s;
}

export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The object without metadata and status: what counts as "spec" for generation. */
export function specPart(obj: Record<string, unknown>): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}
