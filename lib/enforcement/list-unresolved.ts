/**
 * @module
 * What a workload still violates once its plan is applied, and why enforcement
 * cannot fix it. The engine's own template checks (evaluatePodSpec) judge the
 * patched template, so "compliant" means what `analyze` would say; every
 * finding left, unless exempt, is reported with the planner's reason when it
 * gave one (port unknown, a limit below the request), else with the rule that
 * keeps enforcement away from it (images, native sidecars and init containers:
 * docs/decisions/0010, 0026).
 */
import { checkSetFromPolicy, type CheckSet } from "../checks/check-set.ts";
import { evaluatePodSpec } from "../checks/evaluate.ts";
import { parseExemption } from "../checks/exemptions.ts";
import type { ContainerCheckId } from "../checks/registry.ts";
import type { ContainerLike } from "../k8s-objects.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import type { TemplateContainer } from "./plan-container.ts";

/** One container's violations that enforcement leaves, grouped by why. */
export interface UnresolvedItem {
  /** The container's name ("" when it has none). */
  container: string;
  /** The checks it keeps failing for this reason. */
  checks: ContainerCheckId[];
  reason: string;
}

/** A reason the planner gave for a main container; without `check` it covers the whole container. */
export interface PlannerReason {
  check?: ContainerCheckId;
  reason: string;
}

export const SIDECAR_REASON = "native sidecar: not remediated, see decision 0026";
export const INIT_REASON = "init container: not remediated, see decision 0026";
const IMAGE_REASON = "the image uses :latest; enforcement never changes an image";
const NO_DEFAULTS_REASON = "the policy sets no defaultResources, so enforcement adds no resources";
const FALLBACK_REASON = "enforcement does not add this";

export interface UnresolvedInput {
  spec: DevOpsPolicySpec;
  /** Main containers as they will be after the patch (index-aligned with `reasons`). */
  containers: readonly TemplateContainer[];
  initContainers: readonly TemplateContainer[];
  /** The template's `restartPolicy` (a pod that runs to completion is not asked for probes). */
  restartPolicy?: string | undefined;
  /** The planner's reasons per main-container index. */
  reasons: ReadonlyMap<number, readonly PlannerReason[]>;
  /** For exemptions: the workload's name and namespace, its template's and its own annotations. */
  name: string;
  namespace: string;
  templateAnnotations: unknown;
  workloadAnnotations: unknown;
  /** Honour exemption annotations (default true). */
  exemptions?: boolean;
}

/** The check ids `container` still fails in `list`, exempt findings left out. */
function failing(set: CheckSet, list: "containers" | "initContainers", container: TemplateContainer, input: UnresolvedInput): ContainerCheckId[] {
  const evaluation = evaluatePodSpec(
    { [list]: [container as ContainerLike], ...(input.restartPolicy === undefined ? {} : { restartPolicy: input.restartPolicy }) },
    set,
    { name: input.name, namespace: input.namespace, annotations: input.templateAnnotations },
    { exemptions: input.exemptions !== false, workloadExemption: input.exemptions === false ? undefined : parseExemption(input.workloadAnnotations), includeSystemNamespaces: true },
  );
  return evaluation.findings.filter((f) => !f.exempt).map((f) => f.check as ContainerCheckId);
}

function genericReason(check: ContainerCheckId, spec: DevOpsPolicySpec): string {
  if (check === "latest_tag") return IMAGE_REASON;
  if ((check === "missing_requests" || check === "missing_limits") && spec.defaultResources === undefined) return NO_DEFAULTS_REASON;
  return FALLBACK_REASON;
}

/** Adds `check` under `reason` for `container`; generic reasons list their checks at the end. */
function collect(into: Map<string, UnresolvedItem & { generic: boolean }>, container: string, check: ContainerCheckId, reason: string, generic: boolean): void {
  const key = `${container}\u0000${reason}`;
  const item = into.get(key) ?? { container, checks: [], reason, generic };
  if (!item.checks.includes(check)) item.checks.push(check);
  into.set(key, item);
}

/** Every violation of the policy's template checks left after the plan, with why. Pure. */
export function listUnresolved(input: UnresolvedInput): UnresolvedItem[] {
  const set = checkSetFromPolicy(input.spec);
  if (set.container.length === 0) return [];
  const items = new Map<string, UnresolvedItem & { generic: boolean }>();
  input.containers.forEach((container, index) => {
    const name = container.name ?? "";
    const known = input.reasons.get(index) ?? [];
    for (const check of failing(set, "containers", container, input)) {
      const why = known.filter((r) => r.check === undefined || r.check === check);
      if (why.length === 0) collect(items, name, check, genericReason(check, input.spec), true);
      for (const r of why) collect(items, name, check, r.reason, false);
    }
  });
  for (const container of input.initContainers) {
    const reason = container.restartPolicy === "Always" ? SIDECAR_REASON : INIT_REASON;
    for (const check of failing(set, "initContainers", container, input)) collect(items, container.name ?? "", check, reason, true);
  }
  return [...items.values()].map(({ generic, ...item }) => (generic ? { ...item, reason: `${item.reason} (${item.checks.join(", ")})` } : item));
}
