/**
 * @module
 * What every leader-elected component (watch, reconcile) shares: the leader
 * election flags and their validation, and a runner that leads (work + leader
 * metrics) or stands by, with the standby's readiness — Ready only while it can
 * read the Lease, since a replica that cannot reach the API server could never
 * take over and must not count as a working one in a rollout.
 */
import { hostname } from "node:os";
import type { ArgsDef } from "citty";
import type { Counter, Gauge } from "prom-client";
import { durationFlag } from "../duration.ts";
import { usageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Readiness } from "../server/probe-app.ts";
import type { KubeClient } from "./client.ts";
import { systemClock, type Clock } from "./clock.ts";
import { leaderElection, type LeaderElector } from "./leader-election.ts";
import { leaseIdentity } from "./lease-record.ts";

/** The leader election flags, with the component's default Lease name. */
export function leaderElectionArgs(defaultLeaseName: string) {
  return {
    "leader-elect": { type: "boolean", default: true, description: "Elect a leader through a Lease (--no-leader-elect for a single replica)" },
    "lease-name": { type: "string", default: defaultLeaseName, description: "Name of the leader election Lease", valueHint: "name" },
    "lease-namespace": { type: "string", description: "Namespace of the Lease (default: $POD_NAMESPACE, else the context's namespace)", valueHint: "ns" },
    "lease-duration": { type: "string", default: "15s", description: "How long a standby waits before taking over from a silent leader", valueHint: "duration" },
    "renew-deadline": { type: "string", default: "10s", description: "How long the leader retries renewing before it steps down", valueHint: "duration" },
    "retry-period": { type: "string", default: "2s", description: "Interval of lease acquire and renew attempts", valueHint: "duration" },
    identity: { type: "string", description: "This replica's identity in the Lease (default: $POD_NAME, else hostname_<random hex>)", valueHint: "id" },
  } as const satisfies ArgsDef;
}

export interface ElectionSettings {
  enabled: boolean;
  name: string;
  namespace: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface ElectionArgValues {
  "leader-elect"?: boolean;
  "lease-name": string;
  "lease-namespace"?: string | undefined;
  "lease-duration": string;
  "renew-deadline": string;
  "retry-period": string;
  identity?: string | undefined;
}

/**
 * Validates the flags (usage errors name them, before any connection is made). The Lease
 * namespace is the flag's, else the pod's; undefined means "the context's", which the caller
 * fills in once it has connected.
 */
export function parseLeaderElectionArgs(args: ElectionArgValues, env: Record<string, string | undefined>): Omit<ElectionSettings, "namespace"> & { namespace: string | undefined } {
  const leaseDurationMs = durationFlag("--lease-duration", args["lease-duration"], { min: 1000 });
  const renewDeadlineMs = durationFlag("--renew-deadline", args["renew-deadline"], { min: 500 });
  const retryPeriodMs = durationFlag("--retry-period", args["retry-period"], { min: 100 });
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs * 1.2)) {
    throw usageError("Leader election needs --lease-duration > --renew-deadline > 1.2 × --retry-period");
  }
  return {
    enabled: args["leader-elect"] !== false,
    name: args["lease-name"],
    namespace: args["lease-namespace"] ?? env.POD_NAMESPACE,
    identity: args.identity ?? leaseIdentity(env, hostname(), Math.random),
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
  };
}

export interface ElectedComponentOptions {
  component: string;
  client: KubeClient;
  settings: ElectionSettings;
  logger: Logger;
  leaderGauge: Gauge<string>;
  transitions: Counter<string>;
  /** The leader's work; resolves when `signal` aborts (or rejects: the lease is released). */
  work: (signal: AbortSignal) => Promise<void>;
  clock?: Clock;
}

/** Leads or stands by; `readiness()` reports either side. */
export class ElectedComponent {
  #leading: boolean;
  #elector: LeaderElector | undefined;
  readonly #options: ElectedComponentOptions;
  readonly #clock: Clock;

  constructor(options: ElectedComponentOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#leading = !options.settings.enabled;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** The leader's readiness (`leaderReadiness`), or the standby's. */
  readiness(leaderReadiness: () => Readiness): Readiness {
    if (this.#leading) return leaderReadiness();
    const seen = this.#elector?.lastObservedAt ?? 0;
    const age = this.#clock.now() - seen;
    if (seen > 0 && age <= 2 * this.#options.settings.leaseDurationMs) {
      const holder = this.#elector?.observedHolder ?? "";
      // After a failed renewal the lease still names this replica until it expires: it leads nothing.
      if (holder === this.#options.settings.identity) return { ready: true, reasons: ["standby: its lease renewal failed; re-acquiring the lease it held"] };
      // A released lease (holder cleared on graceful shutdown) names nobody: the last leader is gone.
      if (holder === "") return { ready: true, reasons: ["standby: the lease is free (released, or not taken yet); acquiring it"] };
      return { ready: true, reasons: [`standby: ${holder} leads`] };
    }
    return { ready: false, reasons: [seen > 0 ? `standby: the lease could not be read for ${Math.round(age / 1000)} s` : "standby: the lease has not been read yet"] };
  }

  /** Runs until `signal` aborts: the work directly without election, else elect and lead. */
  async run(signal: AbortSignal): Promise<void> {
    const { component, client, settings, logger, leaderGauge, transitions, work } = this.#options;
    const lead = async (leaderSignal: AbortSignal): Promise<void> => {
      this.#leading = true;
      leaderGauge.set({ component }, 1);
      transitions.inc({ component });
      logger.info("leader_acquired", { identity: settings.identity });
      try {
        await work(leaderSignal);
      } finally {
        this.#leading = false;
        leaderGauge.set({ component }, 0);
      }
    };
    if (!settings.enabled) return lead(signal);
    logger.info("not_leader_waiting", { lease: `${settings.namespace}/${settings.name}` });
    this.#elector = leaderElection({
      client,
      namespace: settings.namespace,
      name: settings.name,
      identity: settings.identity,
      leaseDurationMs: settings.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
      onStartedLeading: lead,
      onStoppedLeading: () => logger.info("leader_lost", { identity: settings.identity }),
      onNewLeader: (holder) => logger.info("leader_observed", { holder }),
      onError: (err, phase) => logger.warn(phase === "renew" ? "lease_renewal_failed" : "leader_election_error", { phase, error: err instanceof Error ? err.message : String(err) }),
    });
    await this.#elector.run(signal);
  }
}
