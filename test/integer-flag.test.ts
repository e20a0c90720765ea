/**
 * Whole-number flags refuse what `Number()` would quietly accept ("" is 0, "0x10" is 16).
 */
import { describe, expect, test } from "bun:test";
import { parseDeployArgs } from "../gen/deploy-args.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseRateLimit } from "../lib/kube/connect.ts";
import { parseReconcileFlags } from "../lib/operator/settings.ts";

describe("integerFlag", () => {
  test("decimal digits within bounds", () => {
    expect(integerFlag("--n", "0", { min: 0 })).toBe(0);
    expect(integerFlag("--n", "042", { min: 0 })).toBe(42);
    expect(integerFlag("--n", "100", { min: 0, max: 100 })).toBe(100);
  });

  test("blank, signed, fractional, exponent, hex and huge values are usage errors naming flag and value", () => {
    for (const text of ["", " ", " 5", "5 ", "+5", "-1", "1.5", "5.0", "1e3", "0x10", "Infinity"]) {
      expect(() => integerFlag("--n", text, { min: 0 })).toThrow(`Invalid --n "${text}": expected an integer >= 0`);
    }
  });

  test("a whole number beyond the largest exact one is too large, with the maximum, not 'expected an integer'", () => {
    expect(integerFlag("--n", String(Number.MAX_SAFE_INTEGER), { min: 0 })).toBe(Number.MAX_SAFE_INTEGER);
    expect(integerFlag("--n", `${"0".repeat(20)}7`, { min: 0 })).toBe(7);
    for (const text of ["9007199254740992", "9".repeat(16), "9".repeat(40)]) {
      expect(() => integerFlag("--n", text, { min: 0, expected: "a non-negative integer" })).toThrow(`Invalid --n "${text}": too large, the maximum is 9007199254740991`);
    }
    // A caller's own maximum keeps its wording, which names the range.
    expect(() => integerFlag("--n", "9".repeat(20), { min: 0, max: 100 })).toThrow(`Invalid --n "${"9".repeat(20)}": expected an integer from 0 to 100`);
  });

  test("bounds, and the caller's wording", () => {
    expect(() => integerFlag("--n", "101", { min: 0, max: 100 })).toThrow('Invalid --n "101": expected an integer from 0 to 100');
    expect(() => integerFlag("--n", "0", { min: 1, expected: "a positive integer" })).toThrow('Invalid --n "0": expected a positive integer');
  });

  test("deploy --replicas, --qps and --burst refuse what Number() would have read as 0 or hex", () => {
    expect(() => parseDeployArgs({ replicas: "" }, "1.0.0")).toThrow('Invalid --replicas "": expected an integer from 0 to 100');
    expect(() => parseDeployArgs({ replicas: "0x10" }, "1.0.0")).toThrow('Invalid --replicas "0x10"');
    expect(parseDeployArgs({ replicas: "3" }, "1.0.0").replicas.webhook).toBe(3);
    const defaults = { qps: 20, burst: 30 };
    expect(() => parseRateLimit({ qps: " " }, defaults)).toThrow('Invalid --qps " ": expected a number >= 0');
    expect(() => parseRateLimit({ burst: "0x10" }, defaults)).toThrow('Invalid --burst "0x10": expected an integer >= 1');
    expect(parseRateLimit({ qps: "2.5", burst: "7" }, defaults)).toEqual({ qps: 2.5, burst: 7 });
    expect(parseRateLimit({}, defaults)).toEqual(defaults);
  });

  test("reconcile --audit-retention \"\" no longer turns audit history off", () => {
    expect(() => parseReconcileFlags({ "audit-retention": "" })).toThrow('Invalid --audit-retention "": expected an integer >= 0');
  });
});
