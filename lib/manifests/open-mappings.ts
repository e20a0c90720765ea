/**
 * @module
 * The block mappings open at the current line of a YAML scan, innermost last, with the keys each
 * has so far: adding a key says whether its mapping already has it. Built for a scan over every
 * line of a 100k-pod dump (about fifteen mappings and sixty keys per pod): typed arrays used as
 * stacks, a plain key kept as its offsets in the text (no string per key), a hash per key and
 * a 64-bit filter per mapping, so a new key is usually known new without comparing it to any.
 */

/** A repeat: the key, and the 1-based line of its first occurrence. */
export interface RepeatedKey {
  key: string;
  firstLine: number;
}

/** Above this many keys a mapping gets a Map (a ConfigMap's data can hold thousands). */
const MANY_KEYS = 16;

/** The hash of an empty key: FNV-1a's offset basis. */
export const HASH_START = 0x811c9dc5 | 0;

/** One character (its code) into a key's hash: an FNV-1a step. */
export function hashStep(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}

/** The hash of the characters of `text` from `start` to `end`. */
export function hashRange(text: string, start: number, end: number): number {
  let h = HASH_START;
  for (let i = start; i < end; i++) h = hashStep(h, text.charCodeAt(i));
  return h;
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

export class OpenMappings {
  private readonly text: string;
  /** Per open mapping: its column, the index of its first key, its filter (two 32-bit words) and, once large, its Map. */
  private depth = 0;
  private mapIndent = new Int32Array(32);
  private mapFirst = new Int32Array(32);
  private mapBitsLow = new Int32Array(32);
  private mapBitsHigh = new Int32Array(32);
  private readonly mapIndex: (Map<string, number> | undefined)[] = [];
  /** Per key of the open mappings: offsets of a plain key, or the value of a quoted one; hash; line. */
  private count = 0;
  private keyStart = new Int32Array(256);
  private keyEnd = new Int32Array(256);
  private keyHash = new Int32Array(256);
  private keyLine = new Int32Array(256);
  private readonly keyQuoted: (string | undefined)[] = [];

  constructor(text: string) {
    this.text = text;
  }

  /** Closes the mappings indented deeper than `indent` (-1: every one, as a new document does). */
  popDeeper(indent: number): void {
    let depth = this.depth;
    while (depth > 0 && (this.mapIndent[depth - 1] as number) > indent) depth--;
    if (depth === this.depth) return;
    this.depth = depth;
    this.count = this.mapFirst[depth] as number;
  }

  /** The n-th key as a string. */
  private keyOf(n: number): string {
    return this.keyQuoted[n] ?? this.text.slice(this.keyStart[n], this.keyEnd[n]);
  }

  /** Whether the n-th key equals the plain key at [start, end) or the quoted key `quoted`. */
  private sameKey(n: number, start: number, end: number, quoted: string | undefined): boolean {
    if (quoted !== undefined || this.keyQuoted[n] !== undefined) return (quoted ?? this.text.slice(start, end)) === this.keyOf(n);
    const from = this.keyStart[n] as number;
    if ((this.keyEnd[n] as number) - from !== end - start) return false;
    const t = this.text;
    for (let k = 0; k < end - start; k++) if (t.charCodeAt(from + k) !== t.charCodeAt(start + k)) return false;
    return true;
  }

  private openMapping(column: number): void {
    if (this.depth === this.mapIndent.length) {
      this.mapIndent = grow(this.mapIndent);
      this.mapFirst = grow(this.mapFirst);
      this.mapBitsLow = grow(this.mapBitsLow);
      this.mapBitsHigh = grow(this.mapBitsHigh);
    }
    const m = this.depth++;
    this.mapIndent[m] = column;
    this.mapFirst[m] = this.count;
    this.mapBitsLow[m] = 0;
    this.mapBitsHigh[m] = 0;
    this.mapIndex[m] = undefined;
  }

  private storeKey(start: number, end: number, hash: number, quoted: string | undefined, lineNo: number): number {
    if (this.count === this.keyStart.length) {
      this.keyStart = grow(this.keyStart);
      this.keyEnd = grow(this.keyEnd);
      this.keyHash = grow(this.keyHash);
      this.keyLine = grow(this.keyLine);
    }
    const n = this.count++;
    this.keyStart[n] = start;
    this.keyEnd[n] = end;
    this.keyHash[n] = hash;
    this.keyLine[n] = lineNo;
    this.keyQuoted[n] = quoted;
    return n;
  }

  /**
   * Records the key at [start, end) of the text (`hash`: hashRange of its value; `quoted`: its
   * value when it was quoted) at `column` of line `lineNo`, closing the mappings it ends and
   * opening one where it starts deeper; returns the repeat when that mapping already has it.
   */
  addKey(start: number, end: number, hash: number, quoted: string | undefined, column: number, lineNo: number): RepeatedKey | undefined {
    this.popDeeper(column);
    if (this.depth === 0 || (this.mapIndent[this.depth - 1] as number) < column) this.openMapping(column);
    const m = this.depth - 1;
    const low = 1 << (hash & 31);
    const high = 1 << (hash >>> 27);
    const first = this.mapFirst[m] as number;
    const index = this.mapIndex[m];
    let at = -1;
    if (index) at = index.get(quoted ?? this.text.slice(start, end)) ?? -1;
    else if (((this.mapBitsLow[m] as number) & low) !== 0 && ((this.mapBitsHigh[m] as number) & high) !== 0) {
      for (let n = first; n < this.count; n++) {
        if (this.keyHash[n] === hash && this.sameKey(n, start, end, quoted)) {
          at = n;
          break;
        }
      }
    }
    if (at >= 0) return { key: this.keyOf(at), firstLine: this.keyLine[at] as number };
    const n = this.storeKey(start, end, hash, quoted, lineNo);
    this.mapBitsLow[m] = (this.mapBitsLow[m] as number) | low;
    this.mapBitsHigh[m] = (this.mapBitsHigh[m] as number) | high;
    if (index) index.set(this.keyOf(n), n);
    else if (this.count - first > MANY_KEYS) {
      const built = new Map<string, number>();
      for (let k = first; k < this.count; k++) built.set(this.keyOf(k), k);
      this.mapIndex[m] = built;
    }
    return undefined;
  }
}
