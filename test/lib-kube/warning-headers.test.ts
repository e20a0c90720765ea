/**
 * `Warning` headers as the API server writes them (one `299 - "<text>"` per warning, `"` and `\`
 * escaped) and as fetch joins them (", "), parsed back into texts.
 */
import { describe, expect, test } from "bun:test";
import { parseWarningHeaders } from "../../lib/kube/warning-headers.ts";

describe("parseWarningHeaders", () => {
  test("none", () => {
    expect(parseWarningHeaders(null)).toEqual([]);
    expect(parseWarningHeaders("")).toEqual([]);
  });

  test("several joined warnings, commas and escaped quotes inside the texts", () => {
    const joined = ['299 - "image uses :latest, pin it"', '299 - "say \\"hi\\" \\\\ back"', '299 - "plain"'].join(", ");
    expect(parseWarningHeaders(joined)).toEqual(["image uses :latest, pin it", 'say "hi" \\ back', "plain"]);
  });

  test("non-ASCII passes through as Go writes it (unescaped); a warn-date is skipped; other codes are dropped", () => {
    expect(parseWarningHeaders('299 - "conteneur « app »", 199 agent "misc", 299 kube "x" "Sat, 25 Aug 2012 23:34:45 GMT"')).toEqual(["conteneur « app »", "x"]);
  });

  test("a malformed tail keeps what came before it", () => {
    expect(parseWarningHeaders('299 - "ok", garbage')).toEqual(["ok"]);
    expect(parseWarningHeaders('299 - "unterminated')).toEqual([]);
  });
});
