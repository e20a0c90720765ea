/**
 * @module
 * RFC 6901 JSON Pointer escaping for the patch paths enforcement builds.
 */

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins tokens into a pointer: `pointer("spec", "template", 0)` → `/spec/template/0`. */
export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapePointerToken(String(t))}`).join("");
}

/** The value at `path` in `doc`, or undefined when a step is missing. */
export function valueAt(doc: unknown, path: string): unknown {
  let at = doc;
  for (const raw of path.split("/").slice(1)) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(at)) at = /^\d+$/.test(token) ? at[Number(token)] : undefined;
    else if (at !== null && typeof at === "object") at = (at as Record<string, unknown>)[token];
    else return undefined;
  }
  return at;
}
