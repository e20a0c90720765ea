/** Which status fields an older CRD prunes, learnt from what the server stored. */
import { describe, expect, test } from "bun:test";
import { PrunedStatusFields } from "../../lib/operator/pruned-status.ts";

describe("PrunedStatusFields", () => {
  test("a field written but not stored is named once and left out of later comparisons", () => {
    const pruned = new PrunedStatusFields();
    expect(pruned.observe({ healthScore: 90, enforcementMode: "audit" }, { healthScore: 90 })).toEqual(["enforcementMode"]);
    expect(pruned.observe({ healthScore: 80, enforcementMode: "audit" }, { healthScore: 80 })).toEqual([]);
    expect(pruned.strip<Record<string, unknown>>({ healthScore: 80, enforcementMode: "audit" })).toEqual({ healthScore: 80 });
  });

  test("cleared fields and an answer without a status prove nothing", () => {
    const pruned = new PrunedStatusFields();
    expect(pruned.observe({ healthScore: 90, unresolved: undefined }, { healthScore: 90 })).toEqual([]);
    expect(pruned.observe({ healthScore: 90 }, undefined)).toEqual([]);
    const status = { healthScore: 90 };
    expect(pruned.strip(status)).toBe(status);
  });

  test("a field the server stores again (the CRD was updated) is compared again", () => {
    const pruned = new PrunedStatusFields();
    pruned.observe({ healthScore: 90, enforcementMode: "audit" }, { healthScore: 90 });
    expect(pruned.observe({ healthScore: 90, enforcementMode: "audit" }, { healthScore: 90, enforcementMode: "audit" })).toEqual([]);
    expect(pruned.strip<Record<string, unknown>>({ healthScore: 90, enforcementMode: "audit" })).toEqual({ healthScore: 90, enforcementMode: "audit" });
  });
});
