/**
 * @module
 * The watch controller's state, pure: one contribution per pod, running tallies per
 * namespace and for the cluster (pod-weighted: the score `analyze` prints), the check
 * set of each namespace, open violations per check, pending deadlines, and the
 * appear/resolve transitions of each pod's violations (logged once each, not per event).
 */
import { DEFAULT_CHECK_SET, type CheckSet } from "../checks/check-set.ts";
import type { Finding } from "../checks/evaluate.ts";
import { CHECK_IDS, type CheckId } from "../checks/registry.ts";
import type { PodLike } from "../k8s-objects.ts";
import { isSystemNamespace } from "../namespaces.ts";
import type { Severity } from "../policy/schema.ts";
import { addTallyInto, emptyTally, scoreTally, subtractTallyInto, type Tally } from "../score.ts";
import { DeadlineHeap } from "./deadline-heap.ts";
import { checksOf, contributionOf, type PodContribution, type PodState } from "./pod-contribution.ts";
import { PodTable } from "./pod-table.ts";

export interface NamespaceHealth {
  readonly name: string;
  readonly tally: Tally;
  /** Pods tracked in the namespace (scored or not). */
  pods: number;
  /** Open violations per check. */
  readonly counts: Record<CheckId, number>;
}

export type ChangeReason = "changed" | "deleted" | "pending-deadline" | "policy-changed";

export interface ViolationChange {
  key: string;
  namespace: string;
  owner: string | undefined;
  appeared: CheckId[];
  resolved: CheckId[];
  reason: ChangeReason;
  /** The findings behind `appeared`, when the pod was just evaluated. */
  findings: Finding[] | undefined;
}

export interface AggregatorOptions {
  /** The checks of namespaces without policies (default: the reference's fixed checks). */
  defaultSet?: CheckSet;
  onViolationChange?: (change: ViolationChange) => void;
  /** Honour exemption annotations (default true; `watch --no-exemptions` sets false). */
  exemptions?: boolean;
}

/** Returned for pods in system namespaces: not tracked, not scored. */
export const IGNORED = Object.freeze({ ignored: true }) as unknown as PodContribution;

function zeroCounts(): Record<CheckId, number> {
  return Object.fromEntries(CHECK_IDS.map((id) => [id, 0])) as Record<CheckId, number>;
}

export class HealthAggregator {
  /** What is kept of each tracked pod (columnar: a few numbers a pod, no object). */
  readonly pods = new PodTable();
  private readonly namespaces = new Map<string, NamespaceHealth>();
  private readonly sets = new Map<string, { set: CheckSet; generation: number }>();
  private readonly total = emptyTally();
  private readonly deadlines = new DeadlineHeap();
  private liveDeadlines = 0;
  private generationSeq = 0;
  private readonly defaultSet: CheckSet;
  /** Log transitions (off during the initial sync: a summary is logged instead). */
  reporting = false;

  constructor(private readonly options: AggregatorOptions = {}) {
    this.defaultSet = options.defaultSet ?? DEFAULT_CHECK_SET;
  }

  /** The check set of a namespace and its generation (0: the default set). */
  checkSetOf(namespace: string): { set: CheckSet; generation: number } {
    return this.sets.get(namespace) ?? { set: this.defaultSet, generation: 0 };
  }

  /** Installs a namespace's check set (undefined: back to the default); true when it changed. */
  setCheckSet(namespace: string, set: CheckSet | undefined): boolean {
    const current = this.checkSetOf(namespace).set;
    const target = set ?? this.defaultSet;
    if (sameCheckSet(current, target)) return false;
    // A new generation even when going back to the default, so pods scored before are found stale.
    this.sets.set(namespace, { set: target, generation: ++this.generationSeq });
    return true;
  }

  /** Scores a pod with its namespace's current checks; IGNORED for system namespaces. */
  project(pod: PodLike, now: number): PodContribution {
    const raw = pod.metadata?.namespace;
    const namespace = typeof raw === "string" && raw !== "" ? raw : "default";
    if (isSystemNamespace(namespace)) return IGNORED;
    const { set, generation } = this.checkSetOf(namespace);
    return contributionOf(pod, { set, generation, now, intern: (ns) => this.namespaces.get(ns)?.name ?? ns, keepFindings: this.reporting, exemptions: this.options.exemptions !== false });
  }

  /** Records a pod's new contribution (added or modified). */
  apply(key: string, next: PodContribution, now: number, reason: ChangeReason = "changed"): void {
    const prev = this.pods.read(key);
    if (next === IGNORED) {
      if (prev) this.remove(key);
      return;
    }
    if (prev) this.subtract(prev);
    this.pods.write(key, next);
    this.add(next);
    if (next.next) {
      this.deadlines.push({ at: next.next.at, key });
      this.liveDeadlines++;
    }
    if (prev?.next) this.liveDeadlines--;
    this.report(key, next, prev?.mask ?? 0, reason, next.findings);
    if (next.next && next.next.at <= now) this.advance(now);
  }

  /** Forgets a pod (deleted, or gone at a relist). */
  remove(key: string): void {
    const prev = this.pods.read(key);
    if (!prev) return;
    this.pods.delete(key);
    this.subtract(prev);
    if (prev.next) this.liveDeadlines--;
    if (prev.mask !== 0 && this.reporting) {
      this.options.onViolationChange?.({ key, namespace: prev.namespace, owner: prev.owner, appeared: [], resolved: checksOf(prev.mask), reason: "deleted", findings: undefined });
    }
  }

  /** After a complete relist: drops every pod not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.pods.keys()]) if (!keys.has(key)) this.remove(key);
  }

  /** Forgets everything (leadership lost: the next leader term starts from a fresh list). */
  clear(): void {
    for (const key of [...this.pods.keys()]) {
      const prev = this.pods.read(key)!;
      this.pods.delete(key);
      this.subtract(prev);
    }
    this.deadlines.rebuild(() => false);
    this.liveDeadlines = 0;
  }

  /** Keys of a namespace's pods scored with an older check set than the current one. */
  staleKeys(namespace: string): string[] {
    return this.pods.staleKeys(namespace, this.checkSetOf(namespace).generation);
  }

  /** The contribution of a pod as stored (tests, re-evaluation). */
  get(key: string): PodContribution | undefined {
    return this.pods.read(key);
  }

  /** True when the pod is tracked at exactly this resourceVersion. */
  hasVersion(key: string, resourceVersion: string): boolean {
    return this.pods.hasVersion(key, resourceVersion);
  }

  /** Applies every pending deadline due at `now`; returns how many pods changed. */
  advance(now: number): number {
    let changed = 0;
    for (let top = this.deadlines.peek(); top && top.at <= now; top = this.deadlines.peek()) {
      this.deadlines.pop();
      const due = this.pods.nextOf(top.key);
      if (!due || due.at !== top.at) continue;
      const c = this.pods.read(top.key)!;
      this.subtract(c, false);
      this.pods.setState(top.key, due);
      this.liveDeadlines--;
      const applied: PodContribution = { ...c, tally: due.tally, mask: due.mask, counts: due.counts, next: undefined };
      this.add(applied);
      this.report(top.key, applied, c.mask, "pending-deadline", undefined);
      changed++;
    }
    if (this.deadlines.size > 1024 && this.deadlines.size > 4 * this.liveDeadlines) {
      this.deadlines.rebuild((e) => this.pods.nextOf(e.key)?.at === e.at);
    }
    return changed;
  }

  /** The earliest pending deadline still to apply, ms. */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.at;
  }

  get podsTracked(): number {
    return this.pods.size;
  }

  /** The cluster tally: every tracked pod's contribution summed (pod-weighted). */
  clusterTally(): Readonly<Tally> {
    return this.total;
  }

  clusterScore(): number {
    return scoreTally(this.total);
  }

  /** Namespaces that currently have pods. */
  namespaceHealth(): IterableIterator<NamespaceHealth> {
    return this.namespaces.values();
  }

  /** Open violations by namespace, check and the severity the namespace's checks give it. */
  *violations(): IterableIterator<{ namespace: string; check: CheckId; severity: Severity; count: number }> {
    for (const ns of this.namespaces.values()) {
      const { set } = this.checkSetOf(ns.name);
      for (const check of CHECK_IDS) {
        const count = ns.counts[check];
        if (count > 0) yield { namespace: ns.name, check, severity: set.severity[check], count };
      }
    }
  }

  private add(c: PodContribution): void {
    let ns = this.namespaces.get(c.namespace);
    if (!ns) {
      ns = { name: c.namespace, tally: emptyTally(), pods: 0, counts: zeroCounts() };
      this.namespaces.set(c.namespace, ns);
    }
    ns.pods++;
    addTallyInto(ns.tally, c.tally);
    addTallyInto(this.total, c.tally);
    if (c.counts) for (const id of CHECK_IDS) ns.counts[id] += c.counts[id] ?? 0;
  }

  private subtract(c: PodState & { namespace: string }, dropEmpty = true): void {
    const ns = this.namespaces.get(c.namespace);
    subtractTallyInto(this.total, c.tally);
    if (!ns) return;
    ns.pods--;
    subtractTallyInto(ns.tally, c.tally);
    if (c.counts) for (const id of CHECK_IDS) ns.counts[id] = Math.max(0, ns.counts[id] - (c.counts[id] ?? 0));
    if (dropEmpty && ns.pods <= 0) this.namespaces.delete(c.namespace);
  }

  private report(key: string, c: PodContribution, prevMask: number, reason: ChangeReason, findings: Finding[] | undefined): void {
    if (!this.reporting || prevMask === c.mask) return;
    const appeared = checksOf(c.mask & ~prevMask);
    const resolved = checksOf(prevMask & ~c.mask);
    this.options.onViolationChange?.({ key, namespace: c.namespace, owner: c.owner, appeared, resolved, reason, findings });
  }
}

/** Same checks, parameters and severities. */
export function sameCheckSet(a: CheckSet, b: CheckSet): boolean {
  if (a === b) return true;
  if (a.ids.join() !== b.ids.join()) return false;
  if (a.params.maxRestartCount !== b.params.maxRestartCount || a.params.pendingAfterSeconds !== b.params.pendingAfterSeconds) return false;
  return CHECK_IDS.every((id) => a.severity[id] === b.severity[id]);
}
