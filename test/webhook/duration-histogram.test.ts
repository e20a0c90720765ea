/**
 * The webhook's duration histogram exports exactly what prom-client's Histogram
 * exports for the same observations: text exposition and JSON, buckets, sum,
 * count, after a reset too.
 */
import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { DurationHistogram } from "../../lib/webhook/duration-histogram.ts";
import { DURATION_BUCKETS } from "../../lib/webhook/metrics.ts";

function pair() {
  const reference = new Registry();
  const ours = new Registry();
  const config = { name: "webhook_request_duration_seconds", help: "Duration of admission webhook request processing in seconds", buckets: DURATION_BUCKETS };
  return { reference, ours, theirs: new Histogram({ ...config, registers: [reference] }), mine: new DurationHistogram({ ...config, registers: [ours] }) };
}

describe("DurationHistogram", () => {
  test("exports what prom-client's Histogram exports, bound values and overflow included", async () => {
    const { reference, ours, theirs, mine } = pair();
    expect(await ours.metrics()).toBe(await reference.metrics()); // empty
    const values = [0, 0.00005, 0.0001, 0.00010001, 0.0003, 0.001, 0.0049, 0.005, 0.2, 1, 2.5, 5, 5.0001, 60, ...DURATION_BUCKETS];
    for (const v of values) {
      theirs.observe(v);
      mine.observe(v);
    }
    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
    expect(await ours.metrics()).toContain('webhook_request_duration_seconds_bucket{le="0.0001"} 4');
  });

  test("a reset registry starts from zero, as prom-client's", async () => {
    const { reference, ours, theirs, mine } = pair();
    theirs.observe(0.3);
    mine.observe(0.3);
    reference.resetMetrics();
    ours.resetMetrics();
    theirs.observe(0.002);
    mine.observe(0.002);
    expect(await ours.metrics()).toBe(await reference.metrics());
  });
});
