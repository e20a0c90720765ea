/**
 * @module
 * `webhook_request_duration_seconds` as plain bucket counts. prom-client's
 * Histogram builds a label object, hashes it and stringifies the bucket bound on
 * every observe; this one adds to an array and produces, when scraped, exactly
 * what prom-client's Histogram would export for the same observations (a test
 * compares the two). It registers itself like any prom-client metric.
 */
import type { Metric, Registry } from "prom-client";

/** One exported sample, shaped as prom-client's Histogram shapes them. */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export interface DurationHistogramConfig {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(config: DurationHistogramConfig) {
    this.name = config.name;
    this.help = config.help;
    this.#bounds = [...config.buckets];
    this.#counts = new Float64Array(this.#bounds.length + 1);
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Records one duration in seconds (a non-finite value, which prom-client would throw on, is dropped). */
  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#sum += seconds;
    this.#count++;
  }

  reset(): void {
    this.#counts = new Float64Array(this.#bounds.length + 1);
    this.#sum = 0;
    this.#count = 0;
  }

  /** What prom-client's Histogram.get() returns: cumulative buckets, +Inf, sum, count. */
  async get(): Promise<{ name: string; help: string; type: "histogram"; values: Sample[]; aggregator: "sum" }> {
    const values: Sample[] = [];
    let cumulative = 0;
    this.#bounds.forEach((bound, i) => {
      cumulative += this.#counts[i] ?? 0;
      values.push({ labels: { le: bound }, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
    });
    values.push({ labels: { le: "+Inf" }, value: this.#count, metricName: `${this.name}_bucket`, exemplar: null });
    values.push({ labels: {}, value: this.#sum, metricName: `${this.name}_sum`, exemplar: undefined });
    values.push({ labels: {}, value: this.#count, metricName: `${this.name}_count`, exemplar: undefined });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
