/**
 * @module
 * Character-level steps of the YAML line scanner (lib/manifests/duplicate-keys.ts): char codes,
 * blanks, quoted scalars, node properties and document markers. Positions are offsets into the
 * text; `end` is the end of the current line, its line break excluded.
 */

export const TAB = 9;
export const CR = 13;
export const SPACE = 32;
const BANG = 33;
export const DQUOTE = 34;
export const HASH = 35;
export const PERCENT = 37;
const AMP = 38;
export const SQUOTE = 39;
export const STAR = 42;
export const DASH = 45;
const DOT = 46;
export const COLON = 58;
export const GT = 62;
export const QUESTION = 63;
export const LBRACKET = 91;
const BACKSLASH = 92;
export const RBRACKET = 93;
export const LBRACE = 123;
export const PIPE = 124;
export const RBRACE = 125;

/** A space or tab at `i`, or the end of the line. */
export function isBlank(t: string, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = t.charCodeAt(i);
  return c === SPACE || c === TAB;
}

/** Past the spaces and tabs from `i`. */
export function skipSpaces(t: string, i: number, end: number): number {
  while (i < end) {
    const c = t.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** A ` #` comment starts at `i` (a `#` after a blank). */
export function isComment(t: string, i: number): boolean {
  const before = t.charCodeAt(i - 1);
  return t.charCodeAt(i) === HASH && (before === SPACE || before === TAB);
}

/** Offset just past the closing quote of a scalar whose body starts at `i`, or -1 when it continues on the next line. */
export function closeQuote(t: string, i: number, end: number, quote: number): number {
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (quote === DQUOTE && c === BACKSLASH) {
      i++;
      continue;
    }
    if (c !== quote) continue;
    if (quote === SQUOTE && i + 1 < end && t.charCodeAt(i + 1) === SQUOTE) {
      i++;
      continue;
    }
    return i + 1;
  }
  return -1;
}

/** Past anchors (`&a`) and tags (`!t`) in front of a node. */
export function skipProperties(t: string, i: number, end: number): number {
  while (i < end && (t.charCodeAt(i) === AMP || t.charCodeAt(i) === BANG)) {
    while (i < end && t.charCodeAt(i) !== SPACE && t.charCodeAt(i) !== TAB) i++;
    i = skipSpaces(t, i, end);
  }
  return i;
}

/** A document marker (`---`, `...`) at `start`, alone or followed by a blank. */
export function isMarker(t: string, start: number, end: number): boolean {
  const c = t.charCodeAt(start);
  if ((c !== DASH && c !== DOT) || t.charCodeAt(start + 1) !== c || t.charCodeAt(start + 2) !== c) return false;
  return isBlank(t, start + 3, end);
}

/** The value of a quoted scalar's text (`'it''s'`, `"a\tb"`); YAML escapes JSON lacks leave it as written. */
export function unquote(raw: string): string {
  if (raw.charCodeAt(0) === SQUOTE) return raw.slice(1, -1).replaceAll("''", "'");
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw;
  }
}
