/**
 * @module
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm:
 * contend every retryPeriod (jittered); once leader, renew every retryPeriod
 * and step down when no renewal succeeded within renewDeadline (or another
 * holder shows up); then keep contending. Every write carries the
 * resourceVersion read just before (optimistic concurrency). On graceful stop
 * the leader releases the lease (holder cleared, 1 s duration) so a standby
 * takes over at once.
 */
import { isAlreadyExists, isConflict, isNotFound } from "./api-errors.ts";
import { systemClock, type Clock, type Random } from "./clock.ts";
import type { KubeClient } from "./client.ts";
import { decideLease, recordFingerprint, releasedSpec, type LeaseObject } from "./lease-record.ts";
import { LEASES } from "./resources.ts";

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /**
   * Called when this replica becomes leader; `signal` aborts when it stops
   * leading. The returned promise is awaited before the lease is released, so
   * it must settle soon after `signal` aborts.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost, or released on shutdown). */
  onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  /** Clear the lease on graceful stop so a standby takes over at once (default true). */
  releaseOnCancel?: boolean;
  /** Failed attempts (for logs); leader election itself never stops on errors. */
  onError?: (error: unknown, phase: "acquire" | "renew" | "release") => void;
  clock?: Clock;
  random?: Random;
}

export const LEASE_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const JITTER_FACTOR = 1.2; // client-go's wait.JitterUntil factor for the acquire loop

export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { fingerprint: string; at: number; lease: LeaseObject | undefined } = { fingerprint: "\u0000", at: 0, lease: undefined };
  private leading = false;
  private lastHolder = "";
  /** Local time at which the last successful write was *started* (safe side of the deadline). */
  private lastWriteStart = 0;
  private lastRead = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.leaseDurationMs = options.leaseDurationMs ?? LEASE_DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? LEASE_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? LEASE_DEFAULTS.retryPeriodMs;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs * JITTER_FACTOR)) {
      throw new RangeError("leader election needs leaseDuration > renewDeadline > retryPeriod × 1.2");
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Local time of the last successful read of the lease (0 before any): a standby's proof that it reaches the API server. */
  get lastObservedAt(): number {
    return this.lastRead;
  }

  /** The holder named by the last lease read or written ("" when the lease is free: released, or none yet). */
  get observedHolder(): string {
    return this.observed.lease?.spec?.holderIdentity ?? "";
  }

  /**
   * Contends, leads, steps down and contends again until `signal` aborts; then
   * releases. `onStartedLeading` may return at once or run until its signal
   * aborts; if it *fails* while leading, the elector steps down, releases the
   * lease so a standby takes over at once, and `run` rejects with that error:
   * a leader whose work died must not keep the lease.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      const leadership = new AbortController();
      const workEnded = new AbortController();
      let workFailure: { error: unknown } | undefined;
      this.leading = true;
      const work = Promise.resolve()
        .then(() => this.options.onStartedLeading(leadership.signal))
        .then(
          () => undefined, // returning is fine (client-go semantics): leadership continues
          (error: unknown) => {
            workFailure = { error };
            workEnded.abort();
          },
        );
      await this.renewUntilLost(AbortSignal.any([signal, workEnded.signal]));
      const failedWhileLeading = workEnded.signal.aborted && !signal.aborted;
      // Stop the leader's work first, then let go of the lease: never two workers at once.
      this.leading = false;
      leadership.abort();
      this.options.onStoppedLeading?.();
      await work;
      if ((signal.aborted || failedWhileLeading) && this.options.releaseOnCancel !== false) await this.release();
      if (failedWhileLeading && workFailure) throw workFailure.error;
    }
  }

  /** One attempt; true when this replica holds the lease afterwards. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    let lease: LeaseObject | undefined;
    try {
      lease = await client.get<LeaseObject>(LEASES, name, { namespace, signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const start = this.clock.now();
    const now = start;
    this.lastRead = now;
    const fingerprint = recordFingerprint(lease?.spec);
    if (fingerprint !== this.observed.fingerprint) this.observed = { fingerprint, at: now, lease };
    this.observed.lease = lease;
    this.noteHolder(lease?.spec?.holderIdentity ?? "");
    const decision = decideLease({ lease, observedAt: this.observed.at, identity, now, leaseDurationMs: this.leaseDurationMs });
    if (decision.action === "wait") return false;
    try {
      const written =
        decision.action === "create"
          ? await client.create<LeaseObject>(LEASES, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: decision.spec }, { signal })
          : await client.update<LeaseObject>(LEASES, { ...(lease as LeaseObject), spec: decision.spec }, { signal });
      this.observed = { fingerprint: recordFingerprint(written.spec), at: this.clock.now(), lease: written };
      this.noteHolder(identity);
      this.lastWriteStart = start;
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return false; // someone else wrote first
      throw err;
    }
  }

  private noteHolder(holder: string): void {
    if (holder !== "" && holder !== this.lastHolder) {
      this.lastHolder = holder;
      this.options.onNewLeader?.(holder);
    }
  }

  /** Retries every retryPeriod (jittered) until leader; false if stopped first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew(signal)) return true;
      } catch (err) {
        if (!signal.aborted) this.options.onError?.(err, "acquire");
      }
      await this.clock.sleep(this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renewal cannot succeed before the deadline, another holder appears, or `signal` aborts. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    // Measured from when the last successful write started: others observe it no earlier.
    let lastRenew = this.lastWriteStart;
    while (!signal.aborted) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      for (;;) {
        const remaining = lastRenew + this.renewDeadlineMs - this.clock.now();
        if (remaining <= 0) return; // step down: the lease may be taken from now on
        const attempt = AbortSignal.any([signal, AbortSignal.timeout(remaining)]);
        try {
          if (await this.tryAcquireOrRenew(attempt)) {
            lastRenew = this.lastWriteStart;
            break;
          }
          if (this.lastHolder !== this.options.identity) return; // someone else holds it now
        } catch (err) {
          if (signal.aborted) return;
          this.options.onError?.(err, "renew");
        }
        await this.clock.sleep(Math.min(this.retryPeriodMs, Math.max(0, lastRenew + this.renewDeadlineMs - this.clock.now())), signal);
        if (signal.aborted) return;
      }
    }
  }

  /** Clears the holder so a standby need not wait out the lease (best effort, bounded). */
  private async release(): Promise<void> {
    const lease = this.observed.lease;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    try {
      const spec = releasedSpec(lease.spec, this.clock.now());
      await this.options.client.update<LeaseObject>(LEASES, { ...lease, spec }, { signal: AbortSignal.timeout(this.retryPeriodMs * 2) });
    } catch (err) {
      this.options.onError?.(err, "release");
    }
  }
}

/** Creates an elector; call `run(signal)`. */
export function leaderElection(options: LeaderElectionOptions): LeaderElector {
  return new LeaderElector(options);
}
