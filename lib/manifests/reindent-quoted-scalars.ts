/**
 * @module
 * A leniency kubectl has and spec-strict parsers lack: a multi-line quoted
 * scalar whose continuation lines are not indented past their key, as in
 *
 *     annotations:
 *       example: '[
 *       {"a": 1}
 *       ]'
 *
 * go-yaml (kubectl) accepts it; Bun's parser and the `yaml` library reject it.
 * Leading whitespace of continuation lines is folded away inside quoted
 * scalars, so indenting those lines past the key changes no value. Used only
 * as a retry after a parse failure.
 */

const QUOTED_VALUE = /^(\s*)(?:-\s+)?[^\s#'"][^:]*:\s+(['"])(.*)$/;

/** Index just past the closing quote in `text` from `from`, or -1 when the scalar continues. */
function closingQuote(text: string, quote: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'" && ch === "'") {
      if (text[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
    if (quote === '"') {
      if (ch === "\\") {
        i++;
        continue;
      }
      if (ch === '"') return i + 1;
    }
  }
  return -1;
}

/** Returns the text with under-indented quoted-scalar continuation lines indented, or undefined if none were. */
export function reindentQuotedScalars(text: string): string | undefined {
  const lines = text.split("\n");
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const m = QUOTED_VALUE.exec(lines[i] as string);
    if (!m) continue;
    const keyIndent = (m[1] as string).length;
    const quote = m[2] as string;
    if (closingQuote(m[3] as string, quote, 0) >= 0) continue;
    const pad = " ".repeat(keyIndent + 2);
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j] as string;
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== "" && indent <= keyIndent) {
        lines[j] = pad + line.trimStart();
        changed = true;
      }
      if (closingQuote(line, quote, 0) >= 0) {
        i = j;
        break;
      }
    }
  }
  return changed ? lines.join("\n") : undefined;
}
