/**
 * @module
 * Reads the API server's `Warning` response headers (RFC 7234 §5.5: `299 - "text"`, one header per
 * warning, which fetch joins with ", "): admission webhooks' warnings and deprecations arrive this
 * way. Parsed as client-go's ParseWarningHeaders does; only code 299 is kept, as client-go does.
 */

/** The texts of every well-formed 299 warning in a (joined) `Warning` header value. */
export function parseWarningHeaders(value: string | null): string[] {
  if (!value) return [];
  const texts: string[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = () => {
    while (i < n && (value[i] === " " || value[i] === "\t")) i++;
  };
  const quoted = (): string | undefined => {
    if (value[i] !== '"') return undefined;
    let out = "";
    for (i++; i < n; i++) {
      const ch = value[i] as string;
      if (ch === "\\" && i + 1 < n) out += value[++i];
      else if (ch === '"') {
        i++;
        return out;
      } else out += ch;
    }
    return undefined; // unterminated
  };
  while (i < n) {
    skipSpace();
    const code = /^(\d{3}) +(\S+) +/.exec(value.slice(i, i + 300));
    if (!code) break; // malformed: keep what was read (client-go drops the rest too)
    i += code[0].length;
    const text = quoted();
    if (text === undefined) break;
    skipSpace();
    if (value[i] === '"') {
      // an optional warn-date
      if (quoted() === undefined) break;
      skipSpace();
    }
    if (code[1] === "299") texts.push(text);
    if (i >= n) break;
    if (value[i] !== ",") break;
    i++;
  }
  return texts;
}
