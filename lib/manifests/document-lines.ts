/**
 * @module
 * The 1-based start line of every YAML document in a text, found by scanning
 * for `---` markers (a block scalar cannot hold one at column 0), and of every
 * item of a List document, so reports can point at `file:line` without a slower
 * position-tracking parser.
 */

function hasContent(line: string): boolean {
  const t = line.trim();
  return t !== "" && !t.startsWith("#") && !t.startsWith("%") && t !== "...";
}

/** Start lines of the documents, in order: the line after each `---`, or 1 for an implicit first one. */
export function documentStartLines(text: string): number[] {
  const starts: number[] = [];
  let lineNo = 0;
  let pos = 0;
  let sawMarker = false;
  let implicitFirst = false;
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    if (text.startsWith("---", pos) && (end === pos + 3 || text.charCodeAt(pos + 3) <= 32)) {
      sawMarker = true;
      starts.push(lineNo + (hasContent(text.slice(pos + 3, end)) ? 0 : 1));
    } else if (!sawMarker && !implicitFirst && hasContent(text.slice(pos, end))) {
      implicitFirst = true;
      starts.push(lineNo);
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return starts;
}

function isItem(text: string, pos: number, end: number): boolean {
  return text.charCodeAt(pos) === 45 /* - */ && (pos + 1 === end || text.charCodeAt(pos + 1) === 32 || text.charCodeAt(pos + 1) === 9);
}

/**
 * Per document (in documentStartLines' order), the 1-based lines where the entries of a block
 * sequence under a top-level `items:` key start — a `kubectl get -o yaml` List — so each item
 * can be located on its own line. Nothing inside an item starts at the items' dash column
 * (its keys, nested sequences and block scalars are all deeper), so the column alone finds them.
 */
export function listItemLines(text: string): number[][] {
  const docs: number[][] = [];
  let lineNo = 0;
  let pos = 0;
  let sawMarker = false;
  let implicitFirst = false;
  let inItems = false;
  let dashColumn = -1;
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl < 0 ? text.length : nl;
    lineNo++;
    if (text.startsWith("---", pos) && (end === pos + 3 || text.charCodeAt(pos + 3) <= 32)) {
      sawMarker = true;
      docs.push([]);
      inItems = false;
    } else if (text.startsWith("...", pos) && (end === pos + 3 || text.charCodeAt(pos + 3) <= 32)) {
      inItems = false;
    } else {
      if (!sawMarker && !implicitFirst && hasContent(text.slice(pos, end))) {
        implicitFirst = true;
        docs.push([]);
      }
      let indent = pos;
      while (indent < end && text.charCodeAt(indent) === 32) indent++;
      const blank = indent >= end || text.charCodeAt(indent) === 35 /* # */ || (indent === end - 1 && text.charCodeAt(indent) === 13);
      const column = indent - pos;
      if (inItems && !blank) {
        if (dashColumn < 0 && isItem(text, indent, end)) dashColumn = column;
        if (column === dashColumn && isItem(text, indent, end)) docs[docs.length - 1]?.push(lineNo);
        else if (column <= dashColumn || dashColumn < 0) inItems = false;
      }
      if (!inItems && column === 0 && text.startsWith("items:", pos) && !hasContent(text.slice(pos + 6, end))) {
        inItems = true;
        dashColumn = -1;
      }
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return docs;
}
