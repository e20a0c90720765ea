/**
 * The emulator's `Warning` headers follow kube-apiserver's warning recorder
 * (endpoints/filters/warning.go and its TestTruncation): distinct texts, whole while they fit in
 * 4096 runes; past that every text cut to 256 runes and the rest dropped once 4096 are written.
 */
import { expect, test } from "bun:test";
import { warningHeaders } from "./router.ts";

const text = (c: string, n = 300) => c.repeat(n);
const unquote = (h: string) => h.replace(/^299 - "/, "").replace(/"$/, "");

test("under the cap every distinct text is whole; quotes and backslashes escaped", () => {
  expect(warningHeaders(["a", "a", 'say "hi" \\ x', ""])).toEqual(['299 - "a"', '299 - "say \\"hi\\" \\\\ x"']);
  expect(warningHeaders([text("a"), text("b"), text("c")]).map(unquote)).toEqual([text("a"), text("b"), text("c")]);
});

test("over the cap: what came is replayed cut to 256 runes, more is added cut until 4096 are written, then dropped", () => {
  const letters = "abcdefghijklmnopqrstu".split("");
  const kept = warningHeaders(letters.slice(0, 17).map((c) => text(c))).map(unquote);
  // 13 whole (3900), the 14th overflows: 14 cut (3584), the 15th and 16th cut (4096), the 17th dropped
  expect(kept).toEqual(letters.slice(0, 16).map((c) => text(c, 256)));
  // a short text after the cap is reached is dropped too; one before it is kept whole (shorter than 256)
  expect(warningHeaders(["short", ...letters.slice(0, 17).map((c) => text(c))]).map(unquote)[0]).toBe("short");
  expect(warningHeaders([...letters.slice(0, 16).map((c) => text(c)), "late"]).map(unquote)).not.toContain("late");
});
