/**
 * `Warning` headers as the API server writes them (one `299 - "<text>"` per warning, `"` and `\`
 * escaped) and as fetch joins them (", "), parsed back into texts.
 */
import { describe, expect, test } from "bun:test";
import { parseWarningHeaderValues, parseWarningHeaders } from "../../lib/kube/warning-headers.ts";

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

/**
 * One malformed value (a proxy's `110 proxy Response is stale`, not RFC 7234's quoted form) must not
 * cost the well-formed warnings of the other values: client-go's ParseWarningHeaders parses each
 * header value on its own, skips the rest of a malformed one and keeps its error aside.
 */
describe("a malformed Warning value among good ones", () => {
  const ours = "kube-devops webhook reachable: nonce 6f1c answered by kube-devops-webhook-x1";

  test("joined by fetch: the malformed value is skipped, the good ones before and after it are kept", () => {
    expect(parseWarningHeaders(`299 - "first", 110 proxy Response is stale, 299 - "${ours}"`)).toEqual(["first", ours]);
    // first of all, as a proxy that appends its own header ahead of the API server's would
    expect(parseWarningHeaders(`199 gateway unquoted note, 299 - "${ours}"`)).toEqual([ours]);
    // an unterminated quote swallows what follows it up to the next warning's start
    expect(parseWarningHeaders(`299 - "a", 199 proxy "unterminated, 299 - "b \\"c\\", d"`)).toEqual(["a", 'b "c", d']);
    // a code outside 100-299 and a doubled space are malformed in client-go too
    expect(parseWarningHeaders(`399 - "bad code", 299  - "two spaces", 299 - "${ours}"`)).toEqual([ours]);
  });

  test("the errors are kept aside, one per malformed value", () => {
    const { texts, errors } = parseWarningHeaderValues([`299 - "a", 110 proxy stale`, `299 - "${ours}"`]);
    expect(texts).toEqual(["a", ours]);
    expect(errors).toEqual(["invalid warning header: invalid quoted string: missing initial quote"]);
  });

  test("separate values, as client-go gets them: each parsed on its own; a malformed value loses only its own tail", () => {
    const values = ['299 - "one", 299 - "two \\"quoted\\", with a comma"', "110 proxy stale, 299 - \"lost with its value\"", '299 kube-apiserver "three" "Sat, 25 Aug 2012 23:34:45 GMT"'];
    const { texts, errors } = parseWarningHeaderValues(values);
    expect(texts).toEqual(["one", 'two "quoted", with a comma', "three"]);
    expect(errors).toHaveLength(1);
  });

  test("a text holding what looks like another warning stays one warning", () => {
    expect(parseWarningHeaders('299 - "see \\"299 - x\\", 299 - \\"y\\"", 299 - "z"')).toEqual(['see "299 - x", 299 - "y"', "z"]);
  });
});
