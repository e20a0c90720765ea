/** Backoff with full jitter, Retry-After parsing and the token bucket, on a manual clock. */
import { describe, expect, test } from "bun:test";
import { Backoff, computeBackoff, parseRetryAfter } from "../../lib/kube/backoff.ts";
import { ManualClock } from "../../lib/kube/clock.ts";
import { TokenBucket } from "../../lib/kube/rate-limiter.ts";

describe("computeBackoff (full jitter)", () => {
  const policy = { baseMs: 100, maxMs: 5_000 };
  test("the ceiling doubles per attempt and is capped", () => {
    const top = (attempt: number) => computeBackoff(attempt, policy, () => 0.999999);
    expect([0, 1, 2, 3].map(top)).toEqual([99, 199, 399, 799]);
    expect(top(10)).toBe(4_999);
    expect(top(1_000)).toBe(4_999);
  });
  test("jitter spans down to zero", () => {
    expect(computeBackoff(5, policy, () => 0)).toBe(0);
    expect(computeBackoff(5, policy, () => 0.5)).toBe(1_600);
  });
  test("a Backoff never returns less than its floor, and reset starts over", () => {
    const b = new Backoff({ ...policy, minMs: 50 }, () => 0);
    expect(b.next()).toBe(50);
    const c = new Backoff(policy, () => 0.999999);
    c.next();
    c.next();
    expect(c.failures).toBe(2);
    c.reset();
    expect(c.next()).toBe(99);
  });
  test("with resetAfterMs it starts over only once the previous failure is that old (client-go's backoff manager)", () => {
    const b = new Backoff({ ...policy, resetAfterMs: 120_000 }, () => 0.999999);
    // failures 2 min apart at most keep growing, however long each took
    expect([0, 60_000, 180_000, 300_000].map((t) => b.next(t))).toEqual([99, 199, 399, 799]);
    // more than 2 min since the previous one: the first delay again
    expect(b.next(420_001)).toBe(99);
    expect(b.next(420_002)).toBe(199);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  test("delta seconds and HTTP dates", () => {
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });
  test("absent or garbage is undefined", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-1", now)).toBeUndefined();
  });
});

describe("TokenBucket", () => {
  test("allows a burst, then one request per 1/qps", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(100);
    expect(bucket.reserve()).toBe(200); // queued behind the previous reservation
  });
  test("refills while idle, up to the burst only", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 2, burst: 2 }, clock);
    bucket.reserve();
    bucket.reserve();
    expect(bucket.reserve()).toBe(500);
    await clock.advance(60_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 500]);
  });
  test("take() waits on the clock", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 1, burst: 1 }, clock);
    await bucket.take();
    let done = false;
    const p = bucket.take().then(() => (done = true));
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
  });
  test("qps 0 disables the limit; nonsense is rejected", () => {
    const bucket = new TokenBucket({ qps: 0, burst: 1 }, new ManualClock());
    for (let i = 0; i < 100; i++) expect(bucket.reserve()).toBe(0);
    expect(() => new TokenBucket({ qps: 5, burst: 0 }, new ManualClock())).toThrow(RangeError);
    expect(() => new TokenBucket({ qps: Number.NaN, burst: 1 }, new ManualClock())).toThrow(RangeError);
  });
});
