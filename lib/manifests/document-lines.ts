/**
 * @module
 * The 1-based start line of every YAML document in a text, found by scanning
 * for `---` markers (a block scalar cannot hold one at column 0), so reports can
 * point at `file:line` without a slower position-tracking parser.
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
