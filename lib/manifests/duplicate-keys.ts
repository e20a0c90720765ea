/**
 * @module
 * Finds a repeated key in a block mapping of YAML that has already parsed, line by line,
 * without building a tree: Bun's fast parser keeps the last of two equal keys silently,
 * while kubectl's strict decoding, Helm, Flux and the `yaml` library reject them. Block
 * scalars, multi-line quoted scalars and flow collections are stepped over; what this
 * scanner does not model (a non-empty flow mapping, an explicit `? key`, an alias or
 * non-string-looking key, a document that starts on its `---` line, a tab in the
 * indentation) makes it answer "unsure", and the caller asks the `yaml` library instead.
 * It runs on every YAML input, so it works on char codes and offsets, not line strings
 * (characters: yaml-chars.ts; the keys of the open mappings: open-mappings.ts).
 */
import { HASH_START, hashRange, hashStep, OpenMappings } from "./open-mappings.ts";
import {
  CR, DQUOTE, DASH, GT, HASH, LBRACE, LBRACKET, PERCENT, PIPE, QUESTION, RBRACE, RBRACKET, SPACE, SQUOTE, STAR, TAB, COLON,
  closeQuote, isBlank, isComment, isMarker, skipProperties, skipSpaces, unquote,
} from "./yaml-chars.ts";

export interface DuplicateKey {
  key: string;
  /** 1-based line and column of the repeat. */
  line: number;
  column: number;
  /** 1-based line of the first occurrence. */
  firstLine: number;
}

export type DuplicateKeyScan = DuplicateKey | "unsure" | undefined;

/** Plain keys YAML 1.2 reads as numbers, bools or null: equal values need not be equal text. */
const NON_STRING_PLAIN = /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~|)$/;

/**
 * The regex runs only for keys that start like a NON_STRING_PLAIN one: per first character,
 * 1 for a number or `~`, or for the first letter of true, false or null their second letter
 * (lowercased), which such a key of four or five characters must have (`name` is let through).
 */
const NON_STRING_START = new Uint8Array(128);
for (const ch of "0123456789+-.~") NON_STRING_START[ch.charCodeAt(0)] = 1;
for (const pair of ["tr", "Tr", "fa", "Fa", "nu", "Nu"]) NON_STRING_START[pair.charCodeAt(0)] = pair.charCodeAt(1);

/** Whether the plain key at [start, end) may not be a string. */
function maybeNonString(t: string, start: number, end: number): boolean {
  const expect = NON_STRING_START[t.charCodeAt(start)];
  if (expect === undefined || expect === 0) return false;
  if (expect !== 1 && ((end - start !== 4 && end - start !== 5) || (t.charCodeAt(start + 1) | 0x20) !== expect)) return false;
  return NON_STRING_PLAIN.test(t.slice(start, end));
}

/** Characters a value must start with to need more than its first character looked at: properties, block scalars, flow collections, quotes. */
const VALUE_START = new Uint8Array(128);
for (const ch of "&!|>[{\"'") VALUE_START[ch.charCodeAt(0)] = 1;

class Unsure extends Error {}

/** The scanner over one text; positions are offsets into it, `end` the end of the current line. */
class Scan {
  readonly text: string;
  readonly mappings: OpenMappings;
  /** Lines indented deeper than this (or blank) belong to a block scalar; -1 when none is open. */
  blockParent = -1;
  /** The quote (char code) of a quoted scalar continuing on the next line; 0 when none. */
  quote = 0;
  /** Open `[`/`{` across lines. */
  flowDepth = 0;

  constructor(text: string) {
    this.text = text;
    this.mappings = new OpenMappings(text);
  }

  /** Records a key (see OpenMappings.addKey); the duplicate when its mapping already has it. */
  addKey(start: number, end: number, hash: number, quoted: string | undefined, column: number, lineNo: number): DuplicateKey | undefined {
    const repeat = this.mappings.addKey(start, end, hash, quoted, column, lineNo);
    return repeat && { key: repeat.key, line: lineNo, column: column + 1, firstLine: repeat.firstLine };
  }

  /** Steps through flow content from `i`; a mapping with entries is beyond this scanner. */
  scanFlow(i: number, end: number): void {
    const t = this.text;
    for (; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === DQUOTE || c === SQUOTE) {
        const close = closeQuote(t, i + 1, end, c);
        if (close < 0) {
          this.quote = c;
          return;
        }
        i = close - 1;
      } else if (isComment(t, i)) return;
      else if (c === LBRACKET) this.flowDepth++;
      else if (c === LBRACE) {
        const next = skipSpaces(t, i + 1, end);
        if (next >= end || t.charCodeAt(next) !== RBRACE) throw new Unsure();
        this.flowDepth++;
      } else if (c === RBRACKET || c === RBRACE) {
        this.flowDepth--;
        if (this.flowDepth === 0) {
          const rest = skipSpaces(t, i + 1, end);
          // A flow collection used as a key (`[a]: b`) is beyond this scanner.
          if (rest < end && t.charCodeAt(rest) === COLON && isBlank(t, rest + 1, end)) throw new Unsure();
          return;
        }
      }
    }
  }

  /** A node at `i`: a key (then its value), a scalar, a block scalar (`blockParent`: its parent's column) or a flow collection. */
  scanNode(i: number, end: number, lineStart: number, lineNo: number, blockParent: number): DuplicateKey | undefined {
    const t = this.text;
    // A key's mapping starts where its node does: an anchor or tag in front of the key (`&a key:`) is part of it.
    const column = i - lineStart;
    i = skipProperties(t, i, end);
    if (i >= end) return undefined;
    const c = t.charCodeAt(i);
    if (c === HASH) return undefined;
    if (c === QUESTION && isBlank(t, i + 1, end)) throw new Unsure();
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
      const close = closeQuote(t, i + 1, end, c);
      if (close < 0) {
        this.quote = c;
        return undefined;
      }
      const after = skipSpaces(t, close, end);
      if (after >= end || t.charCodeAt(after) !== COLON || !isBlank(t, after + 1, end)) return undefined;
      const key = unquote(t.slice(i, close));
      return this.addKey(i, close, hashRange(key, 0, key.length), key, column, lineNo) ?? this.scanValue(after + 1, end, column);
    }
    // A plain scalar: a key when a `:` followed by a space (or the line's end) comes before any ` #`;
    // the key ends at its last non-blank character, and its hash is taken on the way there.
    let hash = HASH_START;
    let keyHash = hash;
    let keyEnd = i;
    for (let j = i; j < end; j++) {
      const d = t.charCodeAt(j);
      if (d === COLON && isBlank(t, j + 1, end)) {
        if (keyEnd === i || maybeNonString(t, i, keyEnd)) throw new Unsure();
        const repeat = this.addKey(i, keyEnd, keyHash, undefined, column, lineNo);
        if (repeat) return repeat;
        const value = skipSpaces(t, j + 1, end);
        // Most values are plain scalars, which their first character tells.
        if (value < end && VALUE_START[t.charCodeAt(value)] === 1) this.scanValue(value, end, column);
        return undefined;
      }
      hash = hashStep(hash, d);
      if (d !== SPACE && d !== TAB) {
        if (d === HASH && isComment(t, j)) return undefined;
        keyHash = hash;
        keyEnd = j + 1;
      }
    }
    return undefined;
  }

  /** The value after `key:` (a block scalar's content is deeper than the key's column). */
  scanValue(i: number, end: number, keyColumn: number): undefined {
    const t = this.text;
    i = skipProperties(t, skipSpaces(t, i, end), end);
    if (i >= end) return undefined;
    const c = t.charCodeAt(i);
    if (c === PIPE || c === GT) this.blockParent = keyColumn;
    else if (c === LBRACKET || c === LBRACE) this.scanFlow(i, end);
    else if ((c === DQUOTE || c === SQUOTE) && closeQuote(t, i + 1, end, c) < 0) this.quote = c;
    // Anything else is a plain scalar or an alias: `key: other: value` is not valid YAML.
    return undefined;
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
      if (skipSpaces(t, i, end) >= end) return undefined;
      throw new Unsure();
    }
    if (i === start && isMarker(t, start, end)) {
      this.mappings.popDeeper(-1);
      const rest = skipSpaces(t, start + 3, end);
      if (rest < end && t.charCodeAt(rest) !== HASH) throw new Unsure();
      return undefined;
    }
    if (i === start && first === PERCENT) {
      this.mappings.popDeeper(-1);
      return undefined;
    }
    let dash = -1;
    while (i < end && t.charCodeAt(i) === DASH && isBlank(t, i + 1, end)) {
      dash = i - start;
      i = skipSpaces(t, i + 1, end);
    }
    // An item pops the mappings it closes, and so does a key (in addKey); a plain scalar's continuation pops none.
    if (dash >= 0) this.mappings.popDeeper(dash);
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
        const close = closeQuote(text, lineStart, end, scan.quote);
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
