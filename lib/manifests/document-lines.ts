/**
 * @module
 * The 1-based start line of every YAML document in a text, found by scanning
 * for `---` markers (a block scalar cannot hold one at column 0), and of every
 * item of a List document, so reports can point at `file:line` without a slower
 * position-tracking parser. One pass over the lines finds both: it runs on every
 * YAML input, so it works on char codes, and slices a line only until the first
 * document has begun.
 */

const DASH = 45;
const DOT = 46;
const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const LOWER_I = 105;

export interface DocumentLines {
  /** Start lines of the documents, in order: the line after each `---`, or 1 for an implicit first one. */
  starts: number[];
  /**
   * Per document, the lines where the entries of a block sequence under a top-level `items:`
   * key start (a `kubectl get -o yaml` List).
   */
  items: number[][];
}

function hasContent(line: string): boolean {
  const t = line.trim();
  return t !== "" && !t.startsWith("#") && !t.startsWith("%") && t !== "...";
}

/** `---` or `...` at `pos`, alone or followed by whitespace. */
function isMarker(text: string, pos: number, end: number, c: number): boolean {
  return text.charCodeAt(pos + 1) === c && text.charCodeAt(pos + 2) === c && (end === pos + 3 || text.charCodeAt(pos + 3) <= 32);
}

function isItem(text: string, pos: number, end: number): boolean {
  return text.charCodeAt(pos) === DASH && (pos + 1 === end || text.charCodeAt(pos + 1) === SPACE || text.charCodeAt(pos + 1) === TAB);
}

/**
 * Document start lines and List item lines in one pass. Items: nothing inside an item starts
 * at the items' dash column (its keys, nested sequences and block scalars are all deeper), so
 * the column alone finds them. A `...` line ends a List's items but starts no document.
 */
export function documentLines(text: string): DocumentLines {
  const starts: number[] = [];
  const items: number[][] = [];
  let lineNo = 0;
  let pos = 0;
  let sawMarker = false;
  /** The implicit first document, as each list counts it (`... # note` is content to `starts` only). */
  let startsFirst = false;
  let itemsFirst = false;
  let inItems = false;
  let dashColumn = -1;
  let current: number[] | undefined;
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    const first = text.charCodeAt(pos);
    if (first === DASH && isMarker(text, pos, end, DASH)) {
      sawMarker = true;
      starts.push(lineNo + (hasContent(text.slice(pos + 3, end)) ? 0 : 1));
      items.push((current = []));
      inItems = false;
    } else {
      if (!sawMarker && !startsFirst && hasContent(text.slice(pos, end))) {
        startsFirst = true;
        starts.push(lineNo);
      }
      if (first === DOT && isMarker(text, pos, end, DOT)) inItems = false;
      else {
        if (!sawMarker && !itemsFirst && startsFirst && hasContent(text.slice(pos, end))) {
          itemsFirst = true;
          items.push((current = []));
        }
        // The indentation matters up to one past the items' dash column (deeper lines change
        // nothing), and outside a List only whether there is any.
        const stop = inItems && dashColumn < 0 ? end : Math.min(end, pos + (inItems ? dashColumn + 1 : 1));
        let indent = pos;
        while (indent < stop && text.charCodeAt(indent) === SPACE) indent++;
        const column = indent - pos;
        if (inItems && !(indent >= end || text.charCodeAt(indent) === HASH || (indent === end - 1 && text.charCodeAt(indent) === CR))) {
          if (dashColumn < 0 && isItem(text, indent, end)) dashColumn = column;
          if (column === dashColumn && isItem(text, indent, end)) current?.push(lineNo);
          else if (column <= dashColumn || dashColumn < 0) inItems = false;
        }
        if (!inItems && column === 0 && first === LOWER_I && text.startsWith("items:", pos) && !hasContent(text.slice(pos + 6, end))) {
          inItems = true;
          dashColumn = -1;
        }
      }
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return { starts, items };
}

/** Start lines of the documents, in order: the line after each `---`, or 1 for an implicit first one. */
export function documentStartLines(text: string): number[] {
  return documentLines(text).starts;
}

/** Per document (in documentStartLines' order), the start lines of a List document's items. */
export function listItemLines(text: string): number[][] {
  return documentLines(text).items;
}
