/**
 * @module
 * Template hashing and naming as the workload controllers do it: a 32-bit FNV-1a of the
 * template (plus collisionCount) rendered with rand.SafeEncodeString, and deep equality of
 * templates that ignores the pod-template-hash label (EqualIgnoreHash).
 */

const SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** JSON with sorted keys, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: every character mapped into a vowel-free alphabet. */
export function safeEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** controller.ComputeHash(template, collisionCount). */
export function computeTemplateHash(template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount > 0 ? String(collisionCount) : "");
  return safeEncode(String(fnv32a(text)));
}

/** The template without the pod-template-hash label. */
function withoutHash(template: unknown): unknown {
  const t = structuredClone((template ?? {}) as { metadata?: { labels?: Record<string, string> } });
  if (t.metadata?.labels) {
    delete t.metadata.labels["pod-template-hash"];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/** EqualIgnoreHash: whether a ReplicaSet's template is the Deployment's template. */
export function templatesEqualIgnoringHash(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

/** A 5-character suffix like the ones generateName produces. */
export function randomSuffix(n = 5): string {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) s += SAFE_ALPHANUMS[b % SAFE_ALPHANUMS.length];
  return s;
}
