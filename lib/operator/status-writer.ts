/**
 * @module
 * The status writes of one reconcile, with optimistic concurrency: every write carries the
 * resourceVersion of the object its status was computed from, so one computed from a stale copy
 * is a 409 and is computed again from a fresh read, instead of overwriting a condition or a total
 * another writer stored meanwhile. In enforce mode each workload patch is recorded in status before
 * it is sent, so a cycle cut short by the end of the leader term still shows its patches
 * (decision 0038).
 */
import { ConflictError, mayHaveCommitted } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { DEVOPS_POLICIES } from "../kube/resources.ts";
import type { Logger } from "../log.ts";
import type { DevOpsPolicyStatus } from "../policy/schema.ts";
import type { PrunedStatusFields } from "./pruned-status.ts";
import { FIELD_MANAGER, StaleObjectError, type PolicyObject } from "./reconcile-policy.ts";
import { boundWorkloadKeys, statusMergePatch, statusNeedsWrite, type EnforcementOutcome } from "./status.ts";

/** Conflicts in a row before the reconcile gives up and runs again from the watch's copy. */
const MAX_ATTEMPTS = 3;

export interface StatusWriterDeps {
  client: KubeClient;
  logger: Logger;
  options: { statusHeartbeatMs: number };
  prunedStatus?: PrunedStatusFields | undefined;
  /** The leader term: once aborted, nothing more is written. */
  signal?: AbortSignal | undefined;
}

/** The patches of one enforcement cycle as they will stand once the next one lands. */
export interface PatchIntent {
  applied: number;
  /** One key per patch (a workload is patched at most once a cycle): what the writer counts. */
  workloads: readonly string[];
}

export class PolicyStatusWriter {
  private current: PolicyObject;
  /** This cycle's patches (workload keys) that the stored status already counts: each recorded before it was sent. */
  private recorded: readonly string[] = [];
  /** Of those, the ones a total another writer stored since took in: never added again, never taken back. */
  private readonly settled = new Set<string>();
  /** The `remediationsApplied` this writer last stored, or read when the cycle began: any other value is another writer's. */
  private ownTotal: number;
  /** The workloads the status listed before this cycle: a record taken back never takes one of them out. */
  private readonly listedBefore: ReadonlySet<string>;
  /**
   * The writes of the current write or record whose outcome was unknown (a 504: "may still be
   * processing"): one can commit after it was read back as not stored, and the resend's 409 is then
   * our own write, not another writer's.
   */
  private unsure: { resourceVersion: string; status: Record<string, unknown> }[] = [];

  constructor(private readonly deps: StatusWriterDeps, policy: PolicyObject, private readonly namespace: string, private readonly name: string) {
    this.current = policy;
    this.ownTotal = policy.status?.remediationsApplied ?? 0;
    this.listedBefore = new Set(policy.status?.remediatedWorkloads ?? []);
  }

  /** The status as last read or written. */
  get previous(): DevOpsPolicyStatus | undefined {
    return this.current.status;
  }

  /**
   * Writes `build(previous)` when it differs from `previous` (or the heartbeat is due), guarded by
   * the resourceVersion `previous` was read at; on a conflict reads again and rebuilds. Returns the
   * status it was built on and the one it built (for the Events that compare the two).
   */
  async write(build: (previous: DevOpsPolicyStatus | undefined) => DevOpsPolicyStatus, now: Date): Promise<{ previous: DevOpsPolicyStatus | undefined; next: DevOpsPolicyStatus }> {
    this.unsure = [];
    for (let attempt = 1; ; attempt++) {
      const previous = this.current.status;
      const next = build(previous);
      // What an older CRD prunes is not compared, or every evaluation would write again; it is still
      // written, so once the CRD is updated the next write (a change or the heartbeat) stores it.
      const known = this.deps.prunedStatus;
      const changed = known ? statusNeedsWrite(known.strip(previous), known.strip(next), now, this.deps.options.statusHeartbeatMs) : statusNeedsWrite(previous, next, now, this.deps.options.statusHeartbeatMs);
      if (!changed) return { previous, next };
      if (await this.patch(statusMergePatch(previous, next).status, attempt)) {
        this.deps.logger.debug("status_updated", { namespace: this.namespace, policy: this.name });
        const pruned = known?.observe(next, this.current.status as Record<string, unknown> | undefined) ?? [];
        if (pruned.length > 0) {
          this.deps.logger.warn("crd_outdated", { fields: pruned.map((f) => `status.${f}`).join(","), policy: `${this.namespace}/${this.name}`, hint: "the installed DevOpsPolicy CRD is older than this operator and the API server drops these fields; run kube-devops crd install" });
        }
        return { previous, next };
      }
    }
  }

  /**
   * Records a workload patch before it is sent: `remediationsApplied` and `remediatedWorkloads` as
   * they will be once it lands. Throws (and the patch is not sent) once the leader term has ended
   * or after repeated conflicts: a patch is only sent while its record can be written.
   */
  async recordIntent(intent: PatchIntent): Promise<void> {
    this.unsure = [];
    for (let attempt = 1; ; attempt++) {
      const previous = this.current.status;
      const status = { remediationsApplied: this.total(previous, intent.workloads), remediatedWorkloads: this.listed(previous, intent.workloads) };
      if (await this.patch(status, attempt)) {
        this.recorded = [...intent.workloads];
        return;
      }
    }
  }

  /**
   * `outcome` (totals computed from the copy the cycle started with) on top of `previous` (the
   * stored status now): the running total is what `previous` counts plus this cycle's patches it
   * does not count yet; a workload recorded before a patch that did not land is taken out again.
   */
  rebase(outcome: EnforcementOutcome, previous: DevOpsPolicyStatus | undefined): EnforcementOutcome {
    const patched = outcome.patched ?? [];
    return { ...outcome, totalApplied: this.total(previous, patched), workloads: this.listed(previous, patched) };
  }

  /**
   * The stored total with this cycle's `patched` (landed, or about to be sent) counted in place of
   * what it recorded so far. A total another writer stored since our last write (a human's reset to
   * 0, another leader's count) is the new base: the patches recorded before it are what it says —
   * not added again, not taken back (which took a reset total below 0) — and only those recorded
   * after it are counted on top (decision 0038). Never below 0, whatever was stored.
   */
  private total(previous: DevOpsPolicyStatus | undefined, patched: readonly string[]): number {
    const stored = previous?.remediationsApplied ?? 0;
    if (stored !== this.ownTotal) for (const key of this.recorded) this.settled.add(key);
    const mine = (keys: readonly string[]) => keys.filter((key) => !this.settled.has(key)).length;
    return Math.max(0, stored + mine(patched) - mine(this.recorded));
  }

  /**
   * The stored list with this cycle's `patched` in it, and without a workload recorded this cycle
   * whose patch did not land (unless listed before the cycle). One settled by another writer's
   * total is not added back: a list reset with the total stays reset.
   */
  private listed(previous: DevOpsPolicyStatus | undefined, patched: readonly string[]): string[] {
    const unsent = this.recorded.filter((key) => !patched.includes(key) && !this.listedBefore.has(key));
    return mergeKeys(previous?.remediatedWorkloads, unsent, patched.filter((key) => !this.settled.has(key)));
  }

  /** One guarded merge patch of status; false after a conflict (the object was read again), true once stored. */
  private async patch(status: Record<string, unknown>, attempt: number): Promise<boolean> {
    const term = this.deps.signal;
    if (term?.aborted) throw new StaleObjectError(`${this.namespace}/${this.name}: the leader term ended; status is left to the next leader`);
    const resourceVersion = this.current.metadata?.resourceVersion;
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    try {
      // Not repeated by the client once it may have committed: the repeat would carry a stale
      // resourceVersion, and its 409 would make a record count its patch a second time.
      this.current = await this.deps.client.patch<PolicyObject>(DEVOPS_POLICIES, this.name, { type: "merge", patch: body }, { namespace: this.namespace, subresource: "status", fieldManager: FIELD_MANAGER, idempotent: false });
      this.ownTotal = this.current.status?.remediationsApplied ?? 0;
      return true;
    } catch (err) {
      if (err instanceof ConflictError) {
        if (attempt >= MAX_ATTEMPTS || term?.aborted) throw new StaleObjectError(`${this.namespace}/${this.name} kept changing during the status write`, { cause: err });
        this.deps.logger.debug("status_conflict", { namespace: this.namespace, policy: this.name, attempt });
        this.current = await this.reread();
        // A write of ours answered 504 and read back as not stored may have committed since: then
        // this conflict is our own write, and counting it again from the new total would count the
        // patch twice.
        return this.adoptOwnWrite(this.current);
      }
      if (!mayHaveCommitted(err)) throw err;
      // The server failed or the answer was lost after the request was sent (kube-apiserver's 504
      // "may still be processing the request"): the write may have committed. The stored policy
      // says which: a status holding everything we sent, at another resourceVersion, is our write.
      const fresh = await this.reread().catch(() => {
        throw err;
      });
      if (resourceVersion) this.unsure.push({ resourceVersion, status });
      if (this.adoptOwnWrite(fresh)) return true;
      if (attempt >= MAX_ATTEMPTS || term?.aborted) throw err;
      this.deps.logger.debug("status_write_failed", { namespace: this.namespace, policy: this.name, attempt, error: (err as Error).message });
      this.current = fresh;
      return false;
    }
  }

  /**
   * Whether `fresh` is one of this write's or record's writes whose outcome was unknown, committed:
   * a status holding all one sent, at another resourceVersion than it was guarded by (each is guarded
   * by the resourceVersion it was built on: once one commits, no other can). Then it is taken as what
   * this writer stored.
   */
  private adoptOwnWrite(fresh: PolicyObject): boolean {
    if (!this.unsure.some((u) => fresh.metadata?.resourceVersion !== u.resourceVersion && this.holds(fresh.status, u.status))) return false;
    this.current = fresh;
    this.ownTotal = fresh.status?.remediationsApplied ?? 0;
    this.unsure = [];
    return true;
  }

  /** Whether `stored` has every field of the merge patch `sent` (null: absent), fields an older CRD prunes aside. */
  private holds(stored: DevOpsPolicyStatus | undefined, sent: Record<string, unknown>): boolean {
    const known = this.deps.prunedStatus;
    const want = JSON.parse(JSON.stringify(known ? known.strip(sent) : sent)) as Record<string, unknown>;
    const have = (stored ?? {}) as Record<string, unknown>;
    return Object.entries(want).every(([key, value]) => (value === null ? have[key] === undefined : Bun.deepEquals(have[key], value)));
  }

  /**
   * The stored policy, read as a list of one: the operator's RBAC grants list (its watch) and not
   * get on devopspolicies, and a list at no resourceVersion is as fresh as a get (a quorum read).
   */
  private async reread(): Promise<PolicyObject> {
    const { items } = await this.deps.client.listPage<PolicyObject>(DEVOPS_POLICIES, { namespace: this.namespace, fieldSelector: `metadata.name=${this.name}` });
    const [fresh] = items;
    if (!fresh) throw new StaleObjectError(`${this.namespace}/${this.name} was deleted during the status write`);
    return fresh;
  }
}

/** `stored` without `drop`, with `add` last: bounded, the oldest making room (boundWorkloadKeys). */
function mergeKeys(stored: readonly string[] | undefined, drop: readonly string[], add: readonly string[]): string[] {
  return boundWorkloadKeys((stored ?? []).filter((k) => !drop.includes(k)), add);
}
