/**
 * @module
 * The webhook's Prometheus metrics on its own registry: the reference's three
 * (same names, labels and help) plus warnings, exemptions, fail-open errors, certificate
 * expiry and build info. Label values are bounded: operations are the four
 * Kubernetes verbs or UNKNOWN; violations are check ids. The per-request counters
 * are counted in plain maps and handed to prom-client when it is scraped: a
 * labelled `inc` hashes its label set on every call, which showed in the
 * webhook's per-request cost; the duration histogram is plain bucket counts for
 * the same reason (duration-histogram.ts). The finding counters of every namespace
 * with a policy start at 0 (`expectedFindings`), so rate() sees its first denial.
 * Dry runs persist nothing: they count in webhook_dry_run_requests_total, never in
 * the finding counters (decision 0033); webhook_requests_total counts every request.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { METRICS } from "../metrics/names.ts";
import { COMMIT, VERSION } from "../version.ts";
import { DurationHistogram } from "./duration-histogram.ts";

/** From 100 µs (a cached verdict) to 5 s (beyond any API server timeout). */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OPERATIONS = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

/** Why a request was let through unchecked: not an AdmissionReview, or a failure while judging it. */
export const ERROR_REASONS = ["malformed", "internal"] as const;

export interface WebhookMetrics {
  registry: Registry;
  requests: Counter<"operation" | "allowed">;
  dryRunRequests: Counter<"operation" | "allowed">;
  denials: Counter<"namespace" | "violation">;
  warnings: Counter<"namespace" | "violation">;
  exemptions: Counter<"namespace" | "violation">;
  /** Started at 0 for every reason: a series born at 1 hides the first error from rate() and the fail-open alert. */
  errors: Counter<"reason">;
  certificateReloadErrors: Counter;
  duration: DurationHistogram;
  certificateExpiry: Gauge<"certificate">;
  /**
   * `webhook_requests_total{operation, allowed}` += 1, and `webhook_dry_run_requests_total` too for
   * a dry run (the hot path; exported at scrape time).
   */
  countRequest(operation: unknown, allowed: boolean, dryRun: boolean): void;
  /**
   * `webhook_denials_total`, `webhook_warnings_total` and `webhook_exemptions_total{namespace, violation}`
   * += 1 per check id (exported at scrape time). Only for a request that is not a dry run: the caller decides.
   */
  countFindings(namespace: string, denials: readonly string[], warnings: readonly string[], exempted?: readonly string[]): void;
}

interface Tally {
  labels: Record<string, string>;
  count: number;
  /** What prom-client holds; undefined until the series exists there. */
  pushed: number | undefined;
}

/**
 * Counts by two label values in plain maps; `flush` adds what is new to the prom-client counter.
 * A series that counted something is never removed: one that vanished and came back would read
 * to rate() as a counter reset, and the increase before it would be lost. A series declared at 0
 * that is no longer expected (its namespace lost its policies) goes: it lost no increase, and
 * namespaces that come and go (preview environments) must not grow the series for good.
 */
class PendingCounts {
  #byFirst = new Map<string, Map<string, Tally>>();

  constructor(private readonly names: readonly [string, string]) {}

  #tally(first: string, second: string): Tally {
    let inner = this.#byFirst.get(first);
    if (!inner) {
      inner = new Map();
      this.#byFirst.set(first, inner);
    }
    let tally = inner.get(second);
    if (!tally) {
      tally = { labels: { [this.names[0]]: first, [this.names[1]]: second }, count: 0, pushed: undefined };
      inner.set(second, tally);
    }
    return tally;
  }

  add(first: string, second: string): void {
    this.#tally(first, second).count++;
  }

  /** Makes the series exist (at 0 until something is added): two map lookups once it does. */
  declare(first: string, second: string): void {
    this.#tally(first, second);
  }

  /** Removes the series still at 0 that `expected` (first → seconds) no longer names. */
  retire(expected: ReadonlyMap<string, ReadonlySet<string>>, counter: Counter<string>): void {
    for (const [first, inner] of this.#byFirst) {
      const wanted = expected.get(first);
      for (const [second, tally] of inner) {
        if (tally.count !== 0 || wanted?.has(second)) continue;
        if (tally.pushed !== undefined) counter.remove(tally.labels);
        inner.delete(second);
      }
      if (inner.size === 0) this.#byFirst.delete(first);
    }
  }

  flush(counter: Counter<string>): void {
    for (const inner of this.#byFirst.values()) {
      for (const tally of inner.values()) {
        if (tally.count === tally.pushed) continue;
        counter.inc(tally.labels, tally.count - (tally.pushed ?? 0));
        tally.pushed = tally.count;
      }
    }
  }
}

function help(name: keyof typeof METRICS): { name: string; help: string } {
  return { name, help: METRICS[name].help };
}

/** The finding series a namespace's policies can move (check ids per counter). */
export interface ExpectedFindings {
  namespace: string;
  denials: readonly string[];
  warnings: readonly string[];
  exemptions: readonly string[];
}

/** What the metrics read when scraped. */
export interface WebhookMetricSources {
  /** webhook_policy_cache_age_seconds (exported only when given). */
  policyCacheAgeSeconds?: () => number;
  /**
   * The series to create at 0 before their first finding: a counter born at 1 hides that
   * finding from rate() and increase() (and so from the dashboard and alerts). Read at scrape
   * time, not per request. When the policy goes away, a series that counted something stays
   * and one still at 0 goes (see PendingCounts).
   */
  expectedFindings?: () => Iterable<ExpectedFindings>;
}

type FindingKind = "denials" | "warnings" | "exemptions";

/** Creates the metrics on `registry` (a fresh one by default). */
export function createWebhookMetrics(registry = new Registry(), sources: WebhookMetricSources = {}): WebhookMetrics {
  const registers = [registry];
  const buildInfo = new Gauge({ ...help("kube_devops_build_info"), labelNames: ["component", "version", "commit"], registers });
  buildInfo.set({ component: "webhook", version: VERSION, commit: COMMIT }, 1);
  const pending = { requests: new PendingCounts(["operation", "allowed"]), dryRunRequests: new PendingCounts(["operation", "allowed"]), denials: new PendingCounts(["namespace", "violation"]), warnings: new PendingCounts(["namespace", "violation"]), exemptions: new PendingCounts(["namespace", "violation"]) };
  const errors = new Counter({ ...help("webhook_errors_total"), labelNames: ["reason"], registers });
  for (const reason of ERROR_REASONS) errors.inc({ reason }, 0);
  const requests = new Counter({ ...help("webhook_requests_total"), labelNames: ["operation", "allowed"], registers, collect() { pending.requests.flush(this); } });
  // the verdicts of what the generated VWC sends start at 0: an idle webhook's request panels show
  // 0 rather than "No data", and rate() sees the first request of each kind
  const dryRunRequests = new Counter({ ...help("webhook_dry_run_requests_total"), labelNames: ["operation", "allowed"], registers, collect() { pending.dryRunRequests.flush(this); } });
  for (const operation of ["CREATE", "UPDATE"]) {
    for (const allowed of ["true", "false"]) {
      requests.inc({ operation, allowed }, 0);
      dryRunRequests.inc({ operation, allowed }, 0);
    }
  }
  const { policyCacheAgeSeconds, expectedFindings } = sources;
  /** Declares the expected series of one counter, then hands it what was counted. */
  function collectFindings(kind: FindingKind, counter: Counter<string>): void {
    const counts = pending[kind];
    if (expectedFindings) {
      const wanted = new Map<string, Set<string>>();
      for (const expected of expectedFindings()) {
        wanted.set(expected.namespace, new Set(expected[kind]));
        for (const violation of expected[kind]) counts.declare(expected.namespace, violation);
      }
      counts.retire(wanted, counter);
    }
    counts.flush(counter);
  }
  if (policyCacheAgeSeconds) new Gauge({ ...help("webhook_policy_cache_age_seconds"), registers, collect() { this.set(policyCacheAgeSeconds()); } });
  return {
    registry,
    requests,
    dryRunRequests,
    countRequest(operation, allowed, dryRun) {
      const label = operationLabel(operation);
      const verdict = allowed ? "true" : "false";
      pending.requests.add(label, verdict);
      if (dryRun) pending.dryRunRequests.add(label, verdict);
    },
    countFindings(namespace, denials, warnings, exempted = []) {
      for (const violation of denials) pending.denials.add(namespace, violation);
      for (const violation of warnings) pending.warnings.add(namespace, violation);
      for (const violation of exempted) pending.exemptions.add(namespace, violation);
    },
    denials: new Counter({ ...help("webhook_denials_total"), labelNames: ["namespace", "violation"], registers, collect() { collectFindings("denials", this); } }),
    warnings: new Counter({ ...help("webhook_warnings_total"), labelNames: ["namespace", "violation"], registers, collect() { collectFindings("warnings", this); } }),
    exemptions: new Counter({ ...help("webhook_exemptions_total"), labelNames: ["namespace", "violation"], registers, collect() { collectFindings("exemptions", this); } }),
    errors,
    certificateReloadErrors: new Counter({ ...help("webhook_certificate_reload_errors_total"), registers }),
    duration: new DurationHistogram({ ...help("webhook_request_duration_seconds"), buckets: DURATION_BUCKETS, registers }),
    certificateExpiry: new Gauge({ ...help("webhook_certificate_expiration_timestamp_seconds"), labelNames: ["certificate"], registers }),
  };
}

/** The operation label: one of the four verbs, else UNKNOWN (bounded cardinality). */
export function operationLabel(operation: unknown): string {
  return typeof operation === "string" && OPERATIONS.has(operation) ? operation : "UNKNOWN";
}
