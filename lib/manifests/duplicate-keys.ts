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

/** A block mapping still open: its column and keys (a Map once it has many). */
interface OpenMap {
  indent: number;
  keys: string[];
  lines: number[];
  index: Map<string, number> | undefined;
}

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
  maps: OpenMap[] = [];
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
    const maps = this.maps;
    while (maps.length > 0 && (maps[maps.length - 1] as OpenMap).indent > indent) maps.pop();
  }

  /** Records `key` at column `column` (0-based) of `lineNo`; returns the duplicate when that mapping has it. */
  addKey(key: string, column: number, lineNo: number): DuplicateKey | undefined {
    this.popDeeper(column);
    let top = this.maps[this.maps.length - 1];
    if (!top || top.indent < column) {
      top = { indent: column, keys: [], lines: [], index: undefined };
      this.maps.push(top);
    }
    const at = top.index ? (top.index.get(key) ?? -1) : top.keys.indexOf(key);
    if (at >= 0) return { key, line: lineNo, column: column + 1, firstLine: top.lines[at] as number };
    top.keys.push(key);
    top.lines.push(lineNo);
    if (top.index) top.index.set(key, top.keys.length - 1);
    else if (top.keys.length > MANY_KEYS) top.index = new Map(top.keys.map((k, n) => [k, n]));
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
      return this.addKey(unquote(t.slice(i, close)), i - lineStart, lineNo) ?? this.scanValue(after + 1, end, i - lineStart);
    }
    // A plain scalar: a key when a `:` followed by a space (or the line's end) comes before any ` #`.
    for (let j = i; j < end; j++) {
      const d = t.charCodeAt(j);
      if (d === HASH && (t.charCodeAt(j - 1) === SPACE || t.charCodeAt(j - 1) === TAB)) return undefined;
      if (d === COLON && this.isBlank(j + 1, end)) {
        let k = j;
        while (k > i && (t.charCodeAt(k - 1) === SPACE || t.charCodeAt(k - 1) === TAB)) k--;
        const key = t.slice(i, k);
        if (NON_STRING_PLAIN.test(key)) throw new Unsure();
        return this.addKey(key, i - lineStart, lineNo) ?? this.scanValue(j + 1, end, i - lineStart);
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
      this.maps = [];
      const rest = this.skipSpaces(start + 3, end);
      if (rest < end && t.charCodeAt(rest) !== HASH) throw new Unsure();
      return undefined;
    }
    if (i === start && first === PERCENT) {
      this.maps = [];
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
