/**
 * @module
 * What the watch controller keeps of one pod: its contribution to the scores (a
 * tally, a bitmask and per-check counts of its open violations), its namespace and
 * owner — never the Pod. Computed by the engine (`evaluatePod`); a Pending pod that
 * will cross `forbidPendingDuration` also carries its contribution from that moment.
 */
import type { CheckSet } from "../checks/check-set.ts";
import { evaluatePod, type Finding } from "../checks/evaluate.ts";
import { CHECK_IDS, type CheckId } from "../checks/registry.ts";
import { asRecord, type PodLike } from "../k8s-objects.ts";
import { controllerRef } from "../owners.ts";
import { emptyTally, tallyEquals, type Tally } from "../score.ts";

/** Open (non-exempt) violations per check: one per offending container, one per Pending pod. */
export type ViolationCounts = Partial<Record<CheckId, number>>;

/** The score-relevant state of a pod at one moment. */
export interface PodState {
  tally: Tally;
  /** Bit `CHECK_BIT[id]` set while the pod violates check `id` (exempt findings excluded). */
  mask: number;
  /** Undefined when the pod has no open violation. */
  counts: ViolationCounts | undefined;
}

export interface PodContribution extends PodState {
  /** Interned namespace name. */
  namespace: string;
  /** `Kind/name` of the managing controller; kept only for pods with (future) violations, for the log. */
  owner: string | undefined;
  /** The resourceVersion it was computed from (a policy re-evaluation only replaces the same version). */
  resourceVersion: string;
  /** Generation of the namespace's check set it was computed with. */
  generation: number;
  /** The pod's state once a pending deadline passes, with the time (ms) it applies from. */
  next: (PodState & { at: number }) | undefined;
  /** Findings of this evaluation, handed to the violation log once and then dropped. */
  findings: Finding[] | undefined;
}

export const CHECK_BIT: Readonly<Record<CheckId, number>> = Object.fromEntries(CHECK_IDS.map((id, i) => [id, 1 << i])) as Record<CheckId, number>;

/** A scored pod with no violation: one shared object instead of one tally per clean pod. */
export const CLEAN_TALLY: Readonly<Tally> = Object.freeze({ ...emptyTally(), pods: 1 });
/** A tracked pod that is not scored (Succeeded, terminating). */
export const UNSCORED_TALLY: Readonly<Tally> = Object.freeze(emptyTally());

/** The check ids set in `mask`, in registry order. */
export function checksOf(mask: number): CheckId[] {
  return CHECK_IDS.filter((id) => (mask & CHECK_BIT[id]) !== 0);
}

/**
 * Shared copies of equal tallies and counts: most non-compliant pods of a workload
 * contribute the same numbers, so 100k pods need a few hundred objects, not 100k.
 * Bounded: past the cap, values are kept unshared.
 */
const INTERN_CAP = 8192;
const interned = new Map<string, unknown>();

function intern<T>(key: string, value: T): T {
  const found = interned.get(key);
  if (found !== undefined) return found as T;
  if (interned.size < INTERN_CAP) interned.set(key, Object.freeze(value));
  return value;
}

function tallyKey(t: Tally): string {
  let key = "t";
  for (const id of CHECK_IDS) key += `${t[id]},`;
  return `${key}${t.pods},${t.violations},${t.exempt}`;
}

function countsKey(counts: ViolationCounts): string {
  let key = "c";
  for (const id of CHECK_IDS) key += `${counts[id] ?? 0},`;
  return key;
}

function stateOf(tally: Tally, findings: readonly Finding[]): PodState {
  let mask = 0;
  let counts: ViolationCounts | undefined;
  for (const f of findings) {
    if (f.exempt) continue;
    mask |= CHECK_BIT[f.check];
    counts ??= {};
    counts[f.check] = (counts[f.check] ?? 0) + 1;
  }
  const shared = tallyEquals(tally, CLEAN_TALLY) ? CLEAN_TALLY : tallyEquals(tally, UNSCORED_TALLY) ? UNSCORED_TALLY : intern(tallyKey(tally), tally);
  return { tally: shared as Tally, mask, counts: counts && intern(countsKey(counts), counts) };
}

/** Not interned here: the pod table shares owners by value and frees them with their last pod. */
function ownerOf(pod: PodLike): string | undefined {
  const ref = controllerRef(pod);
  return ref?.kind && ref.name ? `${ref.kind}/${ref.name}` : undefined;
}

function createdAt(pod: PodLike): number | undefined {
  const raw = asRecord(pod.metadata)?.creationTimestamp;
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === "string" ? Date.parse(raw) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When a Pending pod that does not violate `pending` yet will (its creation plus
 * the set's pendingAfterSeconds, plus 1 ms because the check is "longer than"),
 * or undefined when no deadline applies.
 */
function pendingDeadline(pod: PodLike, set: CheckSet, state: PodState, now: number): number | undefined {
  if (set.params.pendingAfterSeconds <= 0 || !set.ids.includes("pending")) return undefined;
  if ((state.mask & CHECK_BIT.pending) !== 0 || state.tally.pods === 0) return undefined;
  if (asRecord(pod.status)?.phase !== "Pending") return undefined;
  const created = createdAt(pod);
  if (created === undefined) return undefined;
  const at = created + set.params.pendingAfterSeconds * 1000 + 1;
  return at > now ? at : undefined;
}

export interface ContributionContext {
  set: CheckSet;
  generation: number;
  now: number;
  /** Returns the one shared copy of a namespace name. */
  intern: (namespace: string) => string;
  /** Keep findings for the violation log (false during the initial sync, where only a summary is logged). */
  keepFindings: boolean;
  /** Honour exemption annotations (default true; `watch --no-exemptions` sets false). */
  exemptions?: boolean;
}

/** Scores one pod into what the controller keeps of it. */
export function contributionOf(pod: PodLike, ctx: ContributionContext): PodContribution {
  const meta = asRecord(pod.metadata);
  const exemptions = ctx.exemptions !== false;
  const evaluation = evaluatePod(pod, ctx.set, { now: ctx.now, exemptions });
  const state = stateOf(evaluation.tally, evaluation.findings);
  let next: PodContribution["next"];
  const at = pendingDeadline(pod, ctx.set, state, ctx.now);
  if (at !== undefined) {
    const later = evaluatePod(pod, ctx.set, { now: at, exemptions });
    const laterState = stateOf(later.tally, later.findings);
    if (laterState.mask !== state.mask || !tallyEquals(laterState.tally, state.tally)) next = { ...laterState, at };
  }
  return {
    ...state,
    namespace: ctx.intern(typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default"),
    owner: state.mask !== 0 || next !== undefined ? ownerOf(pod) : undefined,
    resourceVersion: typeof meta?.resourceVersion === "string" ? meta.resourceVersion : "",
    generation: ctx.generation,
    next,
    findings: ctx.keepFindings && evaluation.findings.length > 0 ? evaluation.findings : undefined,
  };
}
