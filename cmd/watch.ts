/**
 * @module
 * `kube-devops watch`: keeps namespace and cluster governance health live for
 * Prometheus (leader-elected; standbys export only their leader status, leader
 * transitions and build info, and stay Ready), on --metrics-addr: /healthz, /readyz,
 * /metrics (plain HTTP, or HTTPS with /metrics behind --metrics-auth kubernetes). SIGTERM/SIGINT
 * stop it cleanly.
 */
import { defineCommand } from "citty";
import { Registry } from "prom-client";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { durationFlag } from "../lib/duration.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { systemClock } from "../lib/kube/clock.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { ElectedComponent, leaderElectionArgs, parseLeaderElectionArgs } from "../lib/kube/elected-component.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEFAULT_OBJECT_NAMES } from "../lib/rbac/permissions.ts";
import { metricsListenerArgs, parseMetricsListenerArgs, startMetricsListener } from "../lib/server/metrics-listener.ts";
import { parseListenAddress } from "../lib/server/listen-address.ts";
import type { Readiness } from "../lib/server/probe-app.ts";
import { WatchController } from "../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../lib/watch/watch-metrics.ts";
import { componentName } from "../gen/options.ts";

export default defineCommand({
  meta: { name: "watch", description: "Keep namespace and cluster governance health live for Prometheus (leader-elected)" },
  args: {
    "metrics-addr": { type: "string", default: ":8080", description: "Listen address of /healthz, /readyz and /metrics", valueHint: "host:port" },
    ...metricsListenerArgs,
    ...leaderElectionArgs(DEFAULT_OBJECT_NAMES.watchLease),
    "ready-staleness": { type: "string", default: "2m", description: "Not Ready when the pod watch delivered no list page, event or bookmark for this long (servers send a bookmark a minute: keep it above 1m)", valueHint: "duration" },
    "page-size": { type: "string", default: "500", description: "Pods per list page", valueHint: "n" },
    ...defineExemptionsArg("score"),
    ...rateLimitArgs,
  },
  async run({ args }) {
    parseListenAddress(args["metrics-addr"], "--metrics-addr"); // usage errors before any cluster access
    const metricsSettings = parseMetricsListenerArgs(args);
    const parsedElection = parseLeaderElectionArgs(args, cliRuntime().env);
    const maxStalenessMs = durationFlag("--ready-staleness", args["ready-staleness"], { min: 1000 });
    const pageSize = integerFlag("--page-size", args["page-size"], { min: 1, expected: "a positive integer" });
    const { globals, env, logger } = cliRuntime();
    const rateLimit = parseRateLimit(args, CONTROLLER_RATE_LIMIT);
    const { client, namespace } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit, onRetry: (e) => logger.debug("api_retry", { ...e }) });
    const registry = new Registry();
    const metrics = createWatchMetrics(registry);
    const controller = new WatchController({ client, clock: systemClock, logger, metrics, maxStalenessMs, pageSize, exemptions: args.exemptions !== false, collectGarbage: () => Bun.gc(true) });
    const election = { ...parsedElection, namespace: parsedElection.namespace ?? namespace };
    const elected = new ElectedComponent({
      component: "watch",
      client,
      settings: election,
      logger,
      leaderGauge: metrics.leader,
      transitions: metrics.leaderTransitions,
      work: (signal) => controller.run(signal),
    });
    const readiness = (): Readiness => elected.readiness(() => controller.readiness());

    logger.info("controller_starting", { identity: election.identity, leader_elect: election.enabled, lease: `${election.namespace}/${election.name}` });
    await runUntilSignal(
      "watch",
      async (ctx) => {
        const server = await startMetricsListener({
          addr: args["metrics-addr"],
          flag: "--metrics-addr",
          settings: metricsSettings,
          probe: { registry, readiness },
          client,
          logger,
          serviceName: componentName("watch"),
          namespace: env.POD_NAMESPACE ?? namespace,
          now: () => new Date(),
        });
        ctx.onShutdown("metrics server", () => server.stop());
        logger.info("http_server_started", { addr: server.url, metrics_auth: metricsSettings.mode, tls: server.tls });
        ctx.signal.addEventListener("abort", () => logger.info("shutdown_signal_received"), { once: true });
        await elected.run(ctx.signal);
      },
      { logger },
    );
    logger.info("controller_stopped");
  },
});
