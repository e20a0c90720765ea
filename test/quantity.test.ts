import { describe, expect, test } from "bun:test";
import { compareQuantities, parseQuantity } from "../lib/quantity.ts";

describe("parseQuantity()", () => {
  test.each([
    ["100m", 0.1],
    ["1", 1],
    ["1.5", 1.5],
    ["128Mi", 128 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["2e3", 2000],
    ["1k", 1000],
    ["500M", 5e8],
    [".5", 0.5],
  ])("%s", (input, expected) => {
    expect(parseQuantity(input)).toBeCloseTo(expected, 9);
  });

  test("rejects what is not a quantity", () => {
    for (const bad of ["", "abc", "1Xi", "1 Gi", "--1", null, {}]) expect(parseQuantity(bad)).toBeUndefined();
  });

  test("compareQuantities() orders mixed units", () => {
    expect(compareQuantities("256Mi", "1Gi")).toBe(-1);
    expect(compareQuantities("1000m", "1")).toBe(0);
    expect(compareQuantities("2", "500m")).toBe(1);
    expect(compareQuantities("x", "1")).toBeUndefined();
  });
});
