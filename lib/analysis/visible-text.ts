/**
 * @module
 * Names from offline input can hold any character. Printed raw, a control character
 * rewrites the terminal (ESC sequences) or breaks the table's rows, and XML 1.0 forbids
 * most of them outright, so a JUnit report holding one is rejected whole. They are shown
 * as visible escapes (`\x1b`, `\u2028`) instead.
 */

/** C0 controls (but tab and line feed, when kept), DEL, C1 controls, line/paragraph separators, lone surrogates, U+FFFE/U+FFFF. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CONTROL_OR_BREAK = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** One line of text: every control character, tab and line break included, as a visible escape. */
export function visibleLine(text: string): string {
  return text.replace(CONTROL_OR_BREAK, visible);
}

/** Text that may span lines: tabs and line feeds kept, every other control character escaped. */
export function visibleText(text: string): string {
  return text.replace(CONTROL, visible);
}
