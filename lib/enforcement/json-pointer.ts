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
