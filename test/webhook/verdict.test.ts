/**
 * Warning bounds of admission responses: each warning, their number and their total stay
 * inside what the API server relays in full, and the summary of what was left out survives.
 */
import { describe, expect, test } from "bun:test";
import { allowed, denied, MAX_WARNING_LENGTH, MAX_WARNINGS, MAX_WARNINGS_TOTAL } from "../../lib/admission/verdict.ts";

const total = (warnings: readonly string[] | undefined) => (warnings ?? []).reduce((n, w) => n + w.length, 0);
const findings = (n: number, length: number) => Array.from({ length: n }, (_, i) => `DevOpsPolicy p: finding ${i} `.padEnd(length, "x"));

describe("admission warnings", () => {
  test("a few short warnings pass unchanged; none leaves the field out", () => {
    expect(allowed("u", ["a", "b"]).warnings).toEqual(["a", "b"]);
    expect("warnings" in allowed("u")).toBe(false);
  });

  test("a warning longer than 256 characters is cut with an ellipsis", () => {
    const [w] = allowed("u", ["y".repeat(1000)]).warnings ?? [];
    expect(w?.length).toBe(MAX_WARNING_LENGTH);
    expect(w?.endsWith("...")).toBe(true);
  });

  test("cutting a long warning never splits a surrogate pair", () => {
    const [w] = allowed("u", [`${"y".repeat(MAX_WARNING_LENGTH - 4)}😀 and more after it`]).warnings ?? [];
    expect(w).toBe(`${"y".repeat(MAX_WARNING_LENGTH - 4)}...`);
  });

  test("exactly 20 warnings are all kept; 21 keep 19 and say how many more", () => {
    expect(allowed("u", findings(MAX_WARNINGS, 40)).warnings).toHaveLength(MAX_WARNINGS);
    const w = allowed("u", findings(MAX_WARNINGS + 1, 40)).warnings ?? [];
    expect(w).toHaveLength(MAX_WARNINGS);
    expect(w.at(-1)).toBe("... and 2 more DevOpsPolicy findings");
  });

  test("long warnings stop at the total the API server relays in full, the summary inside it", () => {
    const w = denied("u", "Denied by DevOpsPolicy: x", findings(30, 300)).warnings ?? [];
    expect(total(w)).toBeLessThanOrEqual(MAX_WARNINGS_TOTAL);
    expect(MAX_WARNINGS_TOTAL).toBeLessThanOrEqual(4096);
    const shown = w.length - 1;
    expect(shown).toBeGreaterThan(10);
    expect(w.at(-1)).toBe(`... and ${30 - shown} more DevOpsPolicy findings`);
    expect(w.slice(0, -1).every((x) => x.length === MAX_WARNING_LENGTH)).toBe(true);
  });

  test("whatever the mix, every finding is either shown or counted in the summary", () => {
    for (const [n, length] of [[1, 300], [14, 256], [15, 256], [16, 256], [25, 10], [200, 256]] as const) {
      const w = allowed("u", findings(n, length)).warnings ?? [];
      const summary = /^\.\.\. and (\d+) more DevOpsPolicy findings$/.exec(w.at(-1) ?? "");
      const shown = summary ? w.length - 1 : w.length;
      expect({ n, accounted: shown + Number(summary?.[1] ?? 0) }).toEqual({ n, accounted: n });
      expect(w.length).toBeLessThanOrEqual(MAX_WARNINGS);
      expect(total(w)).toBeLessThanOrEqual(MAX_WARNINGS_TOTAL);
    }
  });
});
