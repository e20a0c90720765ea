/**
 * @module
 * `kube-devops reconcile`: the DevOpsPolicy operator. Elects a leader (only the
 * leader reconciles; standbys stay Ready), serves /healthz, /readyz and /metrics
 * on --metrics-addr (plain HTTP, or HTTPS with /metrics behind --metrics-auth kubernetes), and
 * stops cleanly on SIGTERM/SIGINT (lease released).
 */
import { defineCommand } from "citty";
import { Registry } from "prom-client";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { usageError } from "../lib/errors.ts";
import { createKubeClient } from "../lib/kube/client.ts";
import { systemClock } from "../lib/kube/clock.ts";
import { currentNamespace, loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { ElectedComponent, leaderElectionArgs, parseLeaderElectionArgs } from "../lib/kube/elected-component.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { listWatch } from "../lib/kube/list-watch.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { createEnforceStep } from "../lib/enforcement/operator-step.ts";
import { isProtectedNamespace } from "../lib/namespaces.ts";
import { createOperatorMetrics } from "../lib/operator/metrics.ts";
import { PolicyOperator, type WatchFactory } from "../lib/operator/operator.ts";
import { ReportWriter } from "../lib/operator/report-writer.ts";
import { parseReconcileFlags, reconcileSettingArgs } from "../lib/operator/settings.ts";
import { REPORTS_SETTINGS, type ReportsSetting } from "../lib/reports/policy-report.ts";
import { DEFAULT_OBJECT_NAMES } from "../lib/rbac/permissions.ts";
import { metricsListenerArgs, parseMetricsListenerArgs, startMetricsListener } from "../lib/server/metrics-listener.ts";
import { parseListenAddress } from "../lib/server/listen-address.ts";
import { componentName } from "../gen/options.ts";

export default defineCommand({
  meta: { name: "reconcile", description: "Run the DevOpsPolicy operator (status, audit history, metrics; leader-elected)" },
  args: {
    "metrics-addr": { type: "string", default: ":9090", description: "Listen address of /healthz, /readyz and /metrics", valueHint: "host:port" },
    ...metricsListenerArgs,
    ...reconcileSettingArgs(),
    ...leaderElectionArgs(DEFAULT_OBJECT_NAMES.reconcileLease),
    ...defineExemptionsArg("score, remediate and report"),
    reports: { type: "string", default: "none", description: "Write one PolicyReport per policy: wgpolicyk8s (wgpolicyk8s.io/v1alpha2), openreports (openreports.io/v1alpha1) or none", valueHint: "format" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    parseListenAddress(args["metrics-addr"], "--metrics-addr"); // a usage error before any cluster access
    const metricsSettings = parseMetricsListenerArgs(args);
    const { maxPatchesPerCycle, ...options } = parseReconcileFlags(args);
    const reportsMode = args.reports as ReportsSetting;
    if (!REPORTS_SETTINGS.includes(reportsMode)) throw usageError(`Invalid --reports "${args.reports}": expected one of ${REPORTS_SETTINGS.join(", ")}`);
    const parsedElection = parseLeaderElectionArgs(args, cliRuntime().env);
    const { globals, env, logger } = cliRuntime();
    const kc = loadKubeConfig({ kubeconfig: globals.kubeconfig, context: globals.context, env });
    const client = createKubeClient(kc, { rateLimit: parseRateLimit(args, CONTROLLER_RATE_LIMIT), onRetry: (e) => logger.debug("api_retry", { ...e }) });
    const registry = new Registry();
    const metrics = createOperatorMetrics(registry);
    const watch: WatchFactory = (o) => listWatch({ client, ...o });
    const ownNamespace = env.POD_NAMESPACE ?? currentNamespace(kc);
    const enforce = createEnforceStep({ client, logger, metrics, maxPatchesPerCycle, isProtectedNamespace: (ns) => isProtectedNamespace(ns) || ns === ownNamespace, exemptions: args.exemptions !== false });
    const reports = reportsMode === "none" ? undefined : new ReportWriter({ client, logger, metrics, format: reportsMode, recheckMs: options.statusHeartbeatMs });
    const operator = new PolicyOperator({ client, clock: systemClock, logger, metrics, options: { ...options, exemptions: args.exemptions !== false }, watch, enforce, reports });
    const election = { ...parsedElection, namespace: parsedElection.namespace ?? currentNamespace(kc) };
    const elected = new ElectedComponent({
      component: "reconcile",
      client,
      settings: election,
      logger,
      leaderGauge: metrics.leader,
      transitions: metrics.leaderTransitions,
      work: (signal) => operator.run(signal),
    });

    await runUntilSignal(
      "reconcile",
      async (ctx) => {
        const server = await startMetricsListener({
          addr: args["metrics-addr"],
          flag: "--metrics-addr",
          settings: metricsSettings,
          probe: { registry, readiness: () => elected.readiness(() => operator.readiness()) },
          client,
          logger,
          serviceName: componentName("reconcile"),
          namespace: ownNamespace,
          now: () => new Date(),
        });
        ctx.onShutdown("metrics server", () => server.stop());
        logger.info("operator_started", { metrics: server.url, metrics_auth: metricsSettings.mode, tls: server.tls, requeue_ms: options.requeueMs, identity: election.identity, leader_elect: election.enabled, reports: reportsMode });
        await elected.run(ctx.signal);
      },
      { logger },
    );
    logger.info("operator_stopped");
  },
});
