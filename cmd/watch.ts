/**
 * @module
 * `kube-devops watch`: keeps namespace and cluster governance health live for
 * Prometheus (leader-elected; standbys export only their role and stay Ready),
 * on --metrics-addr: /healthz, /readyz, /metrics. SIGTERM/SIGINT stop it cleanly.
 */
import { hostname } from "node:os";
import { defineCommand } from "citty";
import { Registry } from "prom-client";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { durationFlag } from "../lib/duration.ts";
import { usageError } from "../lib/errors.ts";
import { systemClock } from "../lib/kube/clock.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { leaderElection, type LeaderElector } from "../lib/kube/leader-election.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { DEFAULT_OBJECT_NAMES } from "../lib/rbac/permissions.ts";
import { createProbeApp, type Readiness } from "../lib/server/probe-app.ts";
import { serveHttp } from "../lib/server/serve-http.ts";
import { WatchController } from "../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../lib/watch/watch-metrics.ts";

export default defineCommand({
  meta: { name: "watch", description: "Keep namespace and cluster governance health live for Prometheus (leader-elected)" },
  args: {
    "metrics-addr": { type: "string", default: ":8080", description: "Listen address of /healthz, /readyz and /metrics", valueHint: "host:port" },
    "leader-elect": { type: "boolean", default: true, description: "Elect a leader through a Lease (--no-leader-elect for a single replica)" },
    "lease-name": { type: "string", default: DEFAULT_OBJECT_NAMES.watchLease, description: "Name of the leader election Lease", valueHint: "name" },
    "lease-namespace": { type: "string", description: "Namespace of the Lease (default: $POD_NAMESPACE, else the context's namespace)", valueHint: "ns" },
    "lease-duration": { type: "string", default: "15s", description: "How long a standby waits before taking over from a silent leader", valueHint: "duration" },
    "renew-deadline": { type: "string", default: "10s", description: "How long the leader retries renewing before it steps down", valueHint: "duration" },
    "retry-period": { type: "string", default: "2s", description: "Interval of lease acquire and renew attempts", valueHint: "duration" },
    identity: { type: "string", description: "This replica's identity in the Lease (default: $POD_NAME, else hostname_pid)", valueHint: "id" },
    "ready-staleness": { type: "string", default: "2m", description: "Not Ready when no watch is open and nothing was received for this long", valueHint: "duration" },
    "page-size": { type: "string", default: "500", description: "Pods per list page", valueHint: "n" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const lease = {
      leaseDurationMs: durationFlag("--lease-duration", args["lease-duration"], { min: 1000 }),
      renewDeadlineMs: durationFlag("--renew-deadline", args["renew-deadline"], { min: 500 }),
      retryPeriodMs: durationFlag("--retry-period", args["retry-period"], { min: 100 }),
    };
    if (!(lease.leaseDurationMs > lease.renewDeadlineMs && lease.renewDeadlineMs > lease.retryPeriodMs * 1.2)) {
      throw usageError("Leader election needs --lease-duration > --renew-deadline > 1.2 × --retry-period");
    }
    const maxStalenessMs = durationFlag("--ready-staleness", args["ready-staleness"], { min: 1000 });
    const pageSize = Number(args["page-size"]);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw usageError(`Invalid --page-size "${args["page-size"]}": expected a positive integer`);
    const { globals, env, logger } = cliRuntime();
    const rateLimit = parseRateLimit(args, CONTROLLER_RATE_LIMIT);
    const { client, namespace } = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit, onRetry: (e) => logger.debug("api_retry", { ...e }) });
    const registry = new Registry();
    const metrics = createWatchMetrics(registry);
    const controller = new WatchController({ client, clock: systemClock, logger, metrics, maxStalenessMs, pageSize, collectGarbage: () => Bun.gc(true) });
    const identity = args.identity ?? env.POD_NAME ?? `${hostname()}_${process.pid}`;
    const leaseNamespace = args["lease-namespace"] ?? env.POD_NAMESPACE ?? namespace;
    let leading = !args["leader-elect"];
    let elector: LeaderElector | undefined;
    let holder = "";

    const readiness = (): Readiness => {
      if (leading) return controller.readiness();
      // A standby is Ready while it can read the Lease: it is able to take over. Measured from the
      // last successful read (not the last error: one read retrying through an outage reports
      // its error only at the end, and readiness would flap to Ready meanwhile).
      const seen = elector?.lastObservedAt ?? 0;
      if (seen === 0 || systemClock.now() - seen > 2 * lease.leaseDurationMs) return { ready: false, reasons: ["standby: cannot reach the leader election Lease"] };
      return { ready: true, reasons: [`standby: ${holder || "another replica"} leads`] };
    };

    logger.info("controller_starting", { identity, leader_elect: args["leader-elect"], lease: `${leaseNamespace}/${args["lease-name"]}` });
    await runUntilSignal(
      "watch",
      async (ctx) => {
        const server = serveHttp(createProbeApp({ registry, readiness }), { addr: args["metrics-addr"], flag: "--metrics-addr" });
        ctx.onShutdown("metrics server", () => server.stop());
        logger.info("http_server_started", { addr: server.url });
        ctx.signal.addEventListener("abort", () => logger.info("shutdown_signal_received"), { once: true });
        const lead = async (signal: AbortSignal): Promise<void> => {
          leading = true;
          metrics.leader.set({ component: "watch" }, 1);
          metrics.leaderTransitions.inc({ component: "watch" });
          logger.info("leader_acquired", { identity });
          try {
            await controller.run(signal);
          } finally {
            leading = false;
            metrics.leader.set({ component: "watch" }, 0);
          }
        };
        if (!args["leader-elect"]) return lead(ctx.signal);
        logger.info("not_leader_waiting", { lease: `${leaseNamespace}/${args["lease-name"]}` });
        elector = leaderElection({
          client,
          namespace: leaseNamespace,
          name: args["lease-name"],
          identity,
          ...lease,
          onStartedLeading: lead,
          onStoppedLeading: () => logger.info("leader_stopped", { identity }),
          onNewLeader: (id) => {
            holder = id;
            logger.info("leader_observed", { holder: id });
          },
          onError: (err, phase) => {
            logger.warn(phase === "renew" ? "lease_renewal_failed" : "leader_election_error", { phase, error: err instanceof Error ? err.message : String(err) });
          },
        });
        await elector.run(ctx.signal);
      },
      { logger },
    );
    logger.info("controller_stopped");
  },
});
