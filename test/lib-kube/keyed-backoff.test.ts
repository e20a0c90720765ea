/**
 * Per-key backoff (a failing key waits longer, others are not slowed; a success ends the streak)
 * and the log gate (first line passes, then one per window with the count held back).
 */
import { expect, test } from "bun:test";
import { KeyedBackoff } from "../../lib/kube/keyed-backoff.ts";
import { LogGate } from "../../lib/log-gate.ts";

test("KeyedBackoff: each key's delay doubles up to the cap, independently, until forgotten", () => {
  const backoff = new KeyedBackoff({ minMs: 100, baseMs: 1_000, maxMs: 5_000 }, () => 0.5);
  expect([1, 2, 3, 4, 5].map(() => backoff.fail("a").delayMs)).toEqual([500, 1_000, 2_000, 2_500, 2_500]);
  expect(backoff.fail("b")).toEqual({ delayMs: 500, failures: 1 });
  expect(backoff.size).toBe(2);
  expect(backoff.forget("a")).toBe(5);
  expect(backoff.failures("a")).toBe(0);
  expect(backoff.fail("a").delayMs).toBe(500);
  // the floor holds even when the jitter draws 0
  expect(new KeyedBackoff({ minMs: 100, baseMs: 1_000, maxMs: 5_000 }, () => 0).fail("x").delayMs).toBe(100);
});

test("LogGate: the first line passes, then one per window, carrying how many were held back", () => {
  const gate = new LogGate(60_000);
  expect([0, 2_000, 30_000, 59_999, 60_000, 61_000, 200_000].map((t) => gate.pass(t))).toEqual([
    { pass: true, suppressed: 0 },
    { pass: false, suppressed: 1 },
    { pass: false, suppressed: 2 },
    { pass: false, suppressed: 3 },
    { pass: true, suppressed: 3 },
    { pass: false, suppressed: 1 },
    { pass: true, suppressed: 1 },
  ]);
});
