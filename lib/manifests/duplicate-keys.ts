/**
 * @module
 * Finds a repeated key in a block mapping of YAML that has already parsed, line by line,
 * without building a tree: Bun's fast parser keeps the last of two equal keys silently,
 * while kubectl's strict decoding, Helm, Flux and the `yaml` library reject them. Block
 * scalars, multi-line quoted scalars and flow collections are stepped over; what this
 * scanner does not model (a non-empty flow mapping, an explicit `? key`, an alias or
 * non-string-looking key, a document that starts on its `---` line, a tab in the
 * indentation) makes it answer "unsure", and the caller asks the `yaml` library instead.
 * It runs on every YAML input, so it works on char codes and offsets, not line strings.
 */

export interface DuplicateKey {
  key: string;
  /** 1-based line and column of the repeat. */
  line: number;
  column: number;
  /** 1-based line of the first occurrence. */
  firstLine: number;
}

export type DuplicateKeyScan = DuplicateKey | "unsure" | undefined;

const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DOT = 46;
const PERCENT = 37;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const AMP = 38;
const BANG = 33;
const STAR = 42;
const QUESTION = 63;
const PIPE = 124;
const GT = 62;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const MANY_KEYS = 16;

/** Plain keys YAML 1.2 reads as numbers, bools or null: equal values need not be equal text. */
const NON_STRING_PLAIN = /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|)$/;

/** First characters a NON_STRING_PLAIN key can start with (the regex runs only for those). */
const MAYBE_NON_STRING = new Uint8Array(128);
for (const ch of "0123456789+-.tTfFnN~") MAYBE_NON_STRING[ch.charCodeAt(0)] = 1;

class Unsure extends Error {}

function unquote(raw: string): string {
  if (raw.charCodeAt(0) === SQUOTE) return raw.slice(1, -1).replaceAll("''", "'");
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw;
  }
}

/** The scanner over one text; positions are offsets into it, `end` the end of the current line. */
class Scan {
  readonly text: string;
  /**
   * The open block mappings, innermost last: column, index of the first key in the flat key
   * arrays below, and a Map once a mapping has many keys. A plain key is kept as its offsets
   * in the text (no string per key line), a quoted one as its value. Flat arrays, so a mapping
   * costs no allocation: a pod dump opens about fifteen per pod.
   */
  mapIndent: number[] = [];
  mapFirst: number[] = [];
  mapIndex: (Map<string, number> | undefined)[] = [];
  keyStart: number[] = [];
  keyEnd: number[] = [];
  keyQuoted: (string | undefined)[] = [];
  keyLine: number[] = [];
  /** Lines indented deeper than this (or blank) belong to a block scalar; -1 when none is open. */
  blockParent = -1;
  /** The quote (char code) of a quoted scalar continuing on the next line; 0 when none. */
  quote = 0;
  /** Open `[`/`{` across lines. */
  flowDepth = 0;

  constructor(text: string) {
    this.text = text;
  }

  isBlank(i: number, end: number): boolean {
    return i >= end || this.text.charCodeAt(i) === SPACE || this.text.charCodeAt(i) === TAB;
  }

  skipSpaces(i: number, end: number): number {
    const t = this.text;
    while (i < end) {
      const c = t.charCodeAt(i);
      if (c !== SPACE && c !== TAB) break;
      i++;
    }
    return i;
  }

  /** Offset just past the closing quote of a scalar whose body starts at `i`, or -1 when it continues. */
  closeQuote(i: number, end: number, quote: number): number {
    const t = this.text;
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
  skipProperties(i: number, end: number): number {
    const t = this.text;
    while (i < end && (t.charCodeAt(i) === AMP || t.charCodeAt(i) === BANG)) {
      while (i < end && t.charCodeAt(i) !== SPACE && t.charCodeAt(i) !== TAB) i++;
      i = this.skipSpaces(i, end);
    }
    return i;
  }

  popDeeper(indent: number): void {
    let depth = this.mapIndent.length;
    while (depth > 0 && (this.mapIndent[depth - 1] as number) > indent) depth--;
    if (depth === this.mapIndent.length) return;
    const keys = this.mapFirst[depth] as number;
    this.mapIndent.length = depth;
    this.mapFirst.length = depth;
    this.mapIndex.length = depth;
    this.keyStart.length = keys;
    this.keyEnd.length = keys;
    this.keyQuoted.length = keys;
    this.keyLine.length = keys;
  }

  /** Closes every mapping (a new document). */
  reset(): void {
    this.popDeeper(-1);
  }

  /** The n-th key (flat index) as a string. */
  keyOf(n: number): string {
    return this.keyQuoted[n] ?? this.text.slice(this.keyStart[n], this.keyEnd[n]);
  }

  /** Whether the n-th key equals the plain key at [start, end) or the quoted key `quoted`. */
  sameKey(n: number, start: number, end: number, quoted: string | undefined): boolean {
    if (quoted !== undefined || this.keyQuoted[n] !== undefined) return (quoted ?? this.text.slice(start, end)) === this.keyOf(n);
    const from = this.keyStart[n] as number;
    if ((this.keyEnd[n] as number) - from !== end - start) return false;
    const t = this.text;
    for (let k = 0; k < end - start; k++) if (t.charCodeAt(from + k) !== t.charCodeAt(start + k)) return false;
    return true;
  }

  /**
   * Records the key at [start, end) of the text (its value `quoted` when it was quoted) at
   * column `column` of `lineNo`; returns the duplicate when that mapping already has it.
   */
  addKey(start: number, end: number, quoted: string | undefined, column: number, lineNo: number): DuplicateKey | undefined {
    this.popDeeper(column);
    let depth = this.mapIndent.length;
    if (depth === 0 || (this.mapIndent[depth - 1] as number) < column) {
      this.mapIndent.push(column);
      this.mapFirst.push(this.keyLine.length);
      this.mapIndex.push(undefined);
      depth++;
    }
    const first = this.mapFirst[depth - 1] as number;
    const count = this.keyLine.length;
    let index = this.mapIndex[depth - 1];
    let at = -1;
    if (index) at = index.get(quoted ?? this.text.slice(start, end)) ?? -1;
    else for (let n = first; n < count && at < 0; n++) if (this.sameKey(n, start, end, quoted)) at = n;
    if (at >= 0) return { key: this.keyOf(at), line: lineNo, column: column + 1, firstLine: this.keyLine[at] as number };
    this.keyStart.push(start);
    this.keyEnd.push(end);
    this.keyQuoted.push(quoted);
    this.keyLine.push(lineNo);
    if (index) index.set(this.keyOf(count), count);
    else if (count + 1 - first > MANY_KEYS) {
      index = new Map();
      for (let n = first; n <= count; n++) index.set(this.keyOf(n), n);
      this.mapIndex[depth - 1] = index;
    }
    return undefined;
  }

  /** Steps through flow content from `i`; a mapping with entries is beyond this scanner. */
  scanFlow(i: number, end: number): void {
    const t = this.text;
    for (; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === DQUOTE || c === SQUOTE) {
        const close = this.closeQuote(i + 1, end, c);
        if (close < 0) {
          this.quote = c;
          return;
        }
        i = close - 1;
      } else if (c === HASH && (t.charCodeAt(i - 1) === SPACE || t.charCodeAt(i - 1) === TAB)) return;
      else if (c === LBRACKET) this.flowDepth++;
      else if (c === LBRACE) {
        const next = this.skipSpaces(i + 1, end);
        if (next >= end || t.charCodeAt(next) !== RBRACE) throw new Unsure();
        this.flowDepth++;
      } else if (c === RBRACKET || c === RBRACE) {
        this.flowDepth--;
        if (this.flowDepth === 0) {
          const rest = this.skipSpaces(i + 1, end);
          // A flow collection used as a key (`[a]: b`) is beyond this scanner.
          if (rest < end && t.charCodeAt(rest) === COLON && this.isBlank(rest + 1, end)) throw new Unsure();
          return;
        }
      }
    }
  }

  /** A node at `i`: a key (then its value), a scalar, a block scalar (`blockParent`: its parent's column) or a flow collection. */
  scanNode(i: number, end: number, lineStart: number, lineNo: number, blockParent: number): DuplicateKey | undefined {
    const t = this.text;
    i = this.skipProperties(i, end);
    if (i >= end) return undefined;
    const c = t.charCodeAt(i);
    if (c === HASH) return undefined;
    if (c === QUESTION && this.isBlank(i + 1, end)) throw new Unsure();
    if (c === PIPE || c === GT) {
      if (blockParent < 0) throw new Unsure();
      this.blockParent = blockParent;
      return undefined;
    }
    if (c === LBRACKET || c === LBRACE) {
      this.scanFlow(i, end);
      return undefined;
    }
    if (c === STAR) {
      if (/^\*\S+[ \t]*:(?:[ \t]|$)/.test(t.slice(i, end))) throw new Unsure();
      return undefined;
    }
    if (c === DQUOTE || c === SQUOTE) {
      const close = this.closeQuote(i + 1, end, c);
      if (close < 0) {
        this.quote = c;
        return undefined;
      }
      const after = this.skipSpaces(close, end);
      if (after >= end || t.charCodeAt(after) !== COLON || !this.isBlank(after + 1, end)) return undefined;
      return this.addKey(i, close, unquote(t.slice(i, close)), i - lineStart, lineNo) ?? this.scanValue(after + 1, end, i - lineStart);
    }
    // A plain scalar: a key when a `:` followed by a space (or the line's end) comes before any ` #`.
    for (let j = i; j < end; j++) {
      const d = t.charCodeAt(j);
      if (d === HASH && (t.charCodeAt(j - 1) === SPACE || t.charCodeAt(j - 1) === TAB)) return undefined;
      if (d === COLON && this.isBlank(j + 1, end)) {
        let k = j;
        while (k > i && (t.charCodeAt(k - 1) === SPACE || t.charCodeAt(k - 1) === TAB)) k--;
        if (k === i || (MAYBE_NON_STRING[t.charCodeAt(i)] === 1 && NON_STRING_PLAIN.test(t.slice(i, k)))) throw new Unsure();
        return this.addKey(i, k, undefined, i - lineStart, lineNo) ?? this.scanValue(j + 1, end, i - lineStart);
      }
    }
    return undefined;
  }

  /** The value after `key:` (a block scalar's content is deeper than the key's column). */
  scanValue(i: number, end: number, keyColumn: number): undefined {
    const t = this.text;
    i = this.skipProperties(this.skipSpaces(i, end), end);
    if (i >= end) return undefined;
    const c = t.charCodeAt(i);
    if (c === PIPE || c === GT) this.blockParent = keyColumn;
    else if (c === LBRACKET || c === LBRACE) this.scanFlow(i, end);
    else if ((c === DQUOTE || c === SQUOTE) && this.closeQuote(i + 1, end, c) < 0) this.quote = c;
    // Anything else is a plain scalar or an alias: `key: other: value` is not valid YAML.
    return undefined;
  }

  /** A document marker (`---`, `...`) at `start`? */
  isMarker(start: number, end: number): boolean {
    const t = this.text;
    const c = t.charCodeAt(start);
    if ((c !== DASH && c !== DOT) || t.charCodeAt(start + 1) !== c || t.charCodeAt(start + 2) !== c) return false;
    return start + 3 >= end || t.charCodeAt(start + 3) === SPACE || t.charCodeAt(start + 3) === TAB;
  }

  /** One line outside block scalars, quoted scalars and flow collections. */
  scanLine(start: number, end: number, lineNo: number): DuplicateKey | undefined {
    const t = this.text;
    let i = start;
    while (i < end && t.charCodeAt(i) === SPACE) i++;
    if (i >= end) return undefined;
    const first = t.charCodeAt(i);
    if (first === HASH) return undefined;
    if (first === TAB) {
      if (this.skipSpaces(i, end) >= end) return undefined;
      throw new Unsure();
    }
    if (i === start && this.isMarker(start, end)) {
      this.reset();
      const rest = this.skipSpaces(start + 3, end);
      if (rest < end && t.charCodeAt(rest) !== HASH) throw new Unsure();
      return undefined;
    }
    if (i === start && first === PERCENT) {
      this.reset();
      return undefined;
    }
    let dash = -1;
    while (i < end && t.charCodeAt(i) === DASH && this.isBlank(i + 1, end)) {
      dash = i - start;
      i = this.skipSpaces(i + 1, end);
    }
    // An item pops the mappings it closes, and so does a key (in addKey); a plain scalar's continuation pops none.
    if (dash >= 0) this.popDeeper(dash);
    return this.scanNode(i, end, start, lineNo, dash);
  }

  /** Whether the line at `start` is inside the open block scalar. */
  inBlockScalar(start: number, end: number): boolean {
    let i = start;
    while (i < end && this.text.charCodeAt(i) === SPACE) i++;
    return i >= end || i - start > this.blockParent;
  }
}

/** The first repeated key of a block mapping, "unsure" when the text needs a real parser, else undefined. */
export function findDuplicateKey(text: string): DuplicateKeyScan {
  const scan = new Scan(text);
  const length = text.length;
  let start = 0;
  let lineNo = 0;
  try {
    while (start <= length) {
      let next = text.indexOf("\n", start);
      if (next < 0) next = length;
      const end = next > start && text.charCodeAt(next - 1) === CR ? next - 1 : next;
      lineNo++;
      const lineStart = start;
      start = next + 1;
      if (scan.blockParent >= 0) {
        if (scan.inBlockScalar(lineStart, end)) continue;
        scan.blockParent = -1;
      }
      if (scan.quote !== 0) {
        const close = scan.closeQuote(lineStart, end, scan.quote);
        if (close < 0) continue;
        scan.quote = 0;
        if (scan.flowDepth > 0) scan.scanFlow(close, end);
        continue;
      }
      if (scan.flowDepth > 0) {
        scan.scanFlow(lineStart, end);
        continue;
      }
      const found = scan.scanLine(lineStart, end, lineNo);
      if (found) return found;
    }
  } catch (err) {
    if (err instanceof Unsure) return "unsure";
    throw err;
  }
  return undefined;
}
