/**
 * @module
 * Reads the API server's `Warning` response headers (RFC 7234 §5.5: `299 - "text"`, one header per
 * warning, which fetch joins with ", "): admission webhooks' warnings and deprecations arrive this
 * way. Parsed as client-go's ParseWarningHeaders (apimachinery util/net/http.go): a malformed value
 * — a proxy's `110 proxy Response is stale` — is skipped and its error kept aside, and the other
 * values' warnings are kept. Only code 299 is returned, as client-go's warning handler keeps.
 */

export interface WarningHeader {
  code: number;
  agent: string;
  text: string;
}

/** The texts of the 299 warnings, and why each malformed value was skipped. */
export interface ParsedWarnings {
  texts: string[];
  errors: string[];
}

type Parsed = { warning: WarningHeader; remainder: string } | { error: string };

/** A quoted-string (`\` escapes the next character) and what follows it, leading space trimmed (client-go parseQuotedString; trimming only the start keeps the rest a suffix of the header, for parseJoinedWarnings). */
function parseQuotedString(s: string): { text: string; remainder: string } | { error: string } {
  if (s.length === 0) return { error: "invalid quoted string: 0-length" };
  if (s[0] !== '"') return { error: "invalid quoted string: missing initial quote" };
  let text = "";
  let escaping = false;
  for (let i = 1; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '"' && !escaping) return { text, remainder: s.slice(i + 1).trimStart() };
    if (ch === "\\" && !escaping) escaping = true;
    else {
      text += ch;
      escaping = false;
    }
  }
  return { error: "invalid quoted string: missing closing quote" };
}

/**
 * The first warning-value of `header` (`code SP agent SP "text" [SP "date"]`) and what follows its
 * comma (client-go ParseWarningHeader, with its error texts).
 */
export function parseWarningHeader(header: string): Parsed {
  const firstSpace = header.indexOf(" ");
  const secondSpace = firstSpace < 0 ? -1 : header.indexOf(" ", firstSpace + 1);
  if (secondSpace < 0) return { error: "invalid warning header: fewer than 3 segments" };
  const code = header.slice(0, firstSpace);
  const agent = header.slice(firstSpace + 1, secondSpace);
  const rest = header.slice(secondSpace + 1);
  if (!/^[1-2][0-9]{2}$/.test(code)) return { error: "invalid warning header: code segment is not 3 digits between 100-299" };
  if (agent.length === 0) return { error: "invalid warning header: empty agent segment" };
  if (/[\u0000-\u001f\u007f-\u009f]/.test(agent)) return { error: "invalid warning header: invalid agent" };
  if (rest.length === 0) return { error: "invalid warning header: empty text segment" };
  const quoted = parseQuotedString(rest);
  if ("error" in quoted) return { error: `invalid warning header: ${quoted.error}` };
  let remainder = quoted.remainder;
  if (remainder.startsWith('"')) {
    // an optional warn-date
    const end = remainder.indexOf('"', 1);
    if (end < 0) return { error: "invalid warning header: unterminated date segment" };
    remainder = remainder.slice(end + 1).trimStart();
  }
  if (remainder.length > 0) {
    if (remainder[0] !== ",") return { error: "invalid warning header: unexpected token after warn-date" };
    remainder = remainder.slice(1).trimStart();
  }
  return { warning: { code: Number(code), agent, text: quoted.text }, remainder };
}

/** Each header value parsed on its own, as client-go does: a malformed one loses its own tail only. */
export function parseWarningHeaderValues(values: readonly string[]): ParsedWarnings {
  const parsed: ParsedWarnings = { texts: [], errors: [] };
  for (let value of values) {
    while (value.length > 0) {
      const result = parseWarningHeader(value);
      if ("error" in result) {
        parsed.errors.push(result.error);
        break;
      }
      if (result.warning.code === 299) parsed.texts.push(result.warning.text);
      value = result.remainder;
    }
  }
  return parsed;
}

/**
 * Where, after a malformed warning starting at `from`, the next warning-value starts: a comma, then
 * `code SP agent SP "`. Inside a well-formed quoted text every `"` is escaped, so `SP "` marks the
 * start of a text, never its middle.
 */
function nextWarningStart(value: string, from: number): number | undefined {
  const next = /,[ \t]*(?=[1-2][0-9]{2} [^ ]+ ")/g;
  next.lastIndex = from + 1;
  const match = next.exec(value);
  return match ? match.index + match[0].length : undefined;
}

/**
 * The warnings of fetch's joined `Warning` value. The join hides where one header value ended, so
 * after a malformed warning parsing resumes at the next warning's start: client-go, which sees the
 * values apart, would also drop the good warnings that followed it within its own value.
 */
export function parseJoinedWarnings(value: string | null): ParsedWarnings {
  const parsed: ParsedWarnings = { texts: [], errors: [] };
  let at = 0;
  const n = value?.length ?? 0;
  while (value && at < n) {
    const result = parseWarningHeader(value.slice(at));
    if ("error" in result) {
      parsed.errors.push(result.error);
      const next = nextWarningStart(value, at);
      if (next === undefined) break;
      at = next;
      continue;
    }
    if (result.warning.code === 299) parsed.texts.push(result.warning.text);
    at = n - result.remainder.length;
  }
  return parsed;
}

/** The texts of every well-formed 299 warning in a (joined) `Warning` header value. */
export function parseWarningHeaders(value: string | null): string[] {
  return parseJoinedWarnings(value).texts;
}
