/**
 * @module
 * `kube-devops reconcile`: the DevOpsPolicy operator. Elects a leader (only the
 * leader reconciles; standbys stay Ready), serves /healthz, /readyz and /metrics
 * on --metrics-addr, and stops cleanly on SIGTERM/SIGINT (lease released).
 */
import { hostname } from "node:os";
import { defineCommand } from "citty";
import { Registry } from "prom-client";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { durationFlag } from "../lib/duration.ts";
import { usageError } from "../lib/errors.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { systemClock } from "../lib/kube/clock.ts";
import { currentNamespace, loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { leaderElection, type LeaderElector } from "../lib/kube/leader-election.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { listWatch } from "../lib/kube/list-watch.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { createEnforceStep } from "../lib/enforcement/operator-step.ts";
import { isProtectedNamespace } from "../lib/namespaces.ts";
import { createOperatorMetrics } from "../lib/operator/metrics.ts";
import { PolicyOperator, type WatchFactory } from "../lib/operator/operator.ts";
import { ReportWriter } from "../lib/operator/report-writer.ts";
import { REPORTS_SETTINGS, type ReportsSetting } from "../lib/reports/policy-report.ts";
import { DEFAULT_OBJECT_NAMES } from "../lib/rbac/permissions.ts";
import { createProbeApp } from "../lib/server/probe-app.ts";
import { parseListenAddress } from "../lib/server/listen-address.ts";
import { serveHttp } from "../lib/server/serve-http.ts";

function positiveInt(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw usageError(`Invalid ${flag} "${text}": expected an integer >= ${min}`);
  return n;
}

export default defineCommand({
  meta: { name: "reconcile", description: "Run the DevOpsPolicy operator (status, audit history, metrics; leader-elected)" },
  args: {
    "metrics-addr": { type: "string", default: ":9090", description: "Listen address of /healthz, /readyz and /metrics", valueHint: "host:port" },
    "requeue-interval": { type: "string", default: "30s", description: "Re-evaluate every policy at least this often", valueHint: "duration" },
    "pod-debounce": { type: "string", default: "2s", description: "Coalesce pod changes of a policy's namespace over this window", valueHint: "duration" },
    "audit-interval": { type: "string", default: "1h", description: "Record an unchanged result at most this often (changes are recorded at once)", valueHint: "duration" },
    "audit-retention": { type: "string", default: "10", description: "PolicyAuditResults kept per policy (0 disables audit history)", valueHint: "count" },
    "status-heartbeat": { type: "string", default: "10m", description: "Rewrite an unchanged status (lastEvaluated), and re-read an unchanged --reports report, at most this often", valueHint: "duration" },
    "max-patches-per-cycle": { type: "string", default: "5", description: "Enforcement patches at most this many workloads per policy per cycle", valueHint: "count" },
    workers: { type: "string", default: "4", description: "Policies reconciled concurrently", valueHint: "count" },
    "leader-elect": { type: "boolean", default: true, description: "Elect a leader through a Lease (--no-leader-elect for a single replica)" },
    "lease-name": { type: "string", default: DEFAULT_OBJECT_NAMES.reconcileLease, description: "Name of the leader election Lease", valueHint: "name" },
    "lease-namespace": { type: "string", description: "Namespace of the Lease (default: $POD_NAMESPACE, else the context's namespace)", valueHint: "ns" },
    "lease-duration": { type: "string", default: "15s", description: "How long a standby waits before taking over from a silent leader", valueHint: "duration" },
    "renew-deadline": { type: "string", default: "10s", description: "How long the leader retries renewing before it steps down", valueHint: "duration" },
    "retry-period": { type: "string", default: "2s", description: "Interval of lease acquire and renew attempts", valueHint: "duration" },
    reports: { type: "string", default: "none", description: "Write one PolicyReport per policy: wgpolicyk8s (wgpolicyk8s.io/v1alpha2), openreports (openreports.io/v1alpha1) or none", valueHint: "format" },
    identity: { type: "string", description: "This replica's identity in the Lease (default: $POD_NAME, else hostname_pid)", valueHint: "id" },
  },
  async run({ args }) {
    parseListenAddress(args["metrics-addr"], "--metrics-addr"); // a usage error before any cluster access
    const options = {
      requeueMs: durationFlag("--requeue-interval", args["requeue-interval"], { min: 1000 }),
      podDebounceMs: durationFlag("--pod-debounce", args["pod-debounce"], { min: 0 }),
      auditIntervalMs: durationFlag("--audit-interval", args["audit-interval"], { min: 1000 }),
      auditRetention: positiveInt("--audit-retention", args["audit-retention"], 0),
      statusHeartbeatMs: durationFlag("--status-heartbeat", args["status-heartbeat"], { min: 1000 }),
      workers: positiveInt("--workers", args.workers, 1),
    };
    const reportsMode = args.reports as ReportsSetting;
    if (!REPORTS_SETTINGS.includes(reportsMode)) throw usageError(`Invalid --reports "${args.reports}": expected one of ${REPORTS_SETTINGS.join(", ")}`);
    const maxPatchesPerCycle = positiveInt("--max-patches-per-cycle", args["max-patches-per-cycle"], 0);
    const lease = {
      leaseDurationMs: durationFlag("--lease-duration", args["lease-duration"], { min: 1000 }),
      renewDeadlineMs: durationFlag("--renew-deadline", args["renew-deadline"], { min: 500 }),
      retryPeriodMs: durationFlag("--retry-period", args["retry-period"], { min: 100 }),
    };
    if (!(lease.leaseDurationMs > lease.renewDeadlineMs && lease.renewDeadlineMs > lease.retryPeriodMs * 1.2)) {
      throw usageError("Leader election needs --lease-duration > --renew-deadline > 1.2 × --retry-period");
    }
    const { globals, env, logger } = cliRuntime();
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
    const client = createKubeClient(kc, { rateLimit: CONTROLLER_RATE_LIMIT, onRetry: (e) => logger.debug("api_retry", { ...e }) });
    const registry = new Registry();
    const metrics = createOperatorMetrics(registry);
    const watch: WatchFactory = (o) => listWatch({ client, ...o });
    const ownNamespace = env.POD_NAMESPACE ?? currentNamespace(kc);
    const enforce = createEnforceStep({ client, logger, metrics, maxPatchesPerCycle, isProtectedNamespace: (ns) => isProtectedNamespace(ns) || ns === ownNamespace });
    const reports = reportsMode === "none" ? undefined : new ReportWriter({ client, logger, metrics, format: reportsMode, recheckMs: options.statusHeartbeatMs });
    const operator = new PolicyOperator({ client, clock: systemClock, logger, metrics, options, watch, enforce, reports });
    const identity = args.identity ?? env.POD_NAME ?? `${hostname()}_${process.pid}`;
    let leading = !args["leader-elect"];
    let elector: LeaderElector | undefined;
    // A standby is Ready only while it can read the lease: one that cannot reach the API
    // server (outage, broken RBAC or network policy) could never take over, and a rollout
    // must not count it as a working replica.
    const standbyReadiness = (): { ready: boolean; reasons: string[] } => {
      const seen = elector?.lastObservedAt ?? 0;
      if (seen > 0 && systemClock.now() - seen <= 2 * lease.leaseDurationMs) return { ready: true, reasons: ["standby: another replica leads"] };
      return { ready: false, reasons: [seen > 0 ? `standby: the lease could not be read for ${Math.round((systemClock.now() - seen) / 1000)} s` : "standby: the lease has not been read yet"] };
    };

    await runUntilSignal(
      "reconcile",
      async (ctx) => {
        const app = createProbeApp({
          registry,
          readiness: () => (leading ? operator.readiness() : standbyReadiness()),
        });
        const server = serveHttp(app, { addr: args["metrics-addr"], flag: "--metrics-addr" });
        ctx.onShutdown("metrics server", () => server.stop());
        logger.info("operator_started", { metrics: server.url, requeue_ms: options.requeueMs, identity, leader_elect: args["leader-elect"], reports: reportsMode });
        const lead = async (signal: AbortSignal): Promise<void> => {
          leading = true;
          metrics.leader.set({ component: "reconcile" }, 1);
          metrics.leaderTransitions.inc({ component: "reconcile" });
          logger.info("leader_acquired", { identity });
          try {
            await operator.run(signal);
          } finally {
            leading = false;
            metrics.leader.set({ component: "reconcile" }, 0);
          }
        };
        if (!args["leader-elect"]) return lead(ctx.signal);
        elector = leaderElection({
          client,
          namespace: args["lease-namespace"] ?? env.POD_NAMESPACE ?? currentNamespace(kc),
          name: args["lease-name"],
          identity,
          ...lease,
          onStartedLeading: lead,
          onStoppedLeading: () => logger.info("leader_lost", { identity }),
          onNewLeader: (holder) => logger.info("leader_observed", { holder }),
          onError: (err, phase) => logger.warn("leader_election_error", { phase, error: (err as Error).message }),
        });
        await elector.run(ctx.signal);
      },
      { logger },
    );
    logger.info("operator_stopped");
  },
});
