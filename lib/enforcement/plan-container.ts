/**
 * @module
 * Plans what one pod-template container is missing under a policy: a readiness
 * probe, a liveness probe, resource requests and limits. It only ever adds what
 * is absent — a value the user set is never changed — and it never invents a
 * probe port: a container that declares none, under a policy that names none,
 * is reported as needing a probe instead. Nothing is added for a check the
 * workload is exempt from (decision 0010).
 */
import { isExempt, type Exemption } from "../checks/exemptions.ts";
import type { ContainerCheckId } from "../checks/registry.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import { compareQuantities } from "../quantity.ts";
import { DEFAULT_PROBE_TIMING, DEFAULT_RESOURCES, LIVENESS_THRESHOLDS, READINESS_THRESHOLDS, STARTUP_THRESHOLDS } from "./defaults.ts";

export interface TemplateContainer {
  name?: string;
  image?: string;
  ports?: Array<{ containerPort?: number; protocol?: string; name?: string }>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown>; [k: string]: unknown };
  [key: string]: unknown;
}

export type ProbeKind = "readinessProbe" | "livenessProbe" | "startupProbe";

export interface Probe {
  tcpSocket: { port: number };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface ContainerPlan {
  container: string;
  probes: Array<{ kind: ProbeKind; probe: Probe }>;
  /** The container's whole resources object after the additions (undefined: unchanged). */
  resources: TemplateContainer["resources"] | undefined;
  /** Human-readable lines, one per addition. */
  changes: string[];
  /** Each addition as field and value (`readinessProbe`, `tcpSocket :8080`), for Event messages. */
  added: Array<{ field: string; value: string }>;
  /** What the policy wants but cannot be added safely: the check it leaves failing, and why. */
  unresolved: Array<{ check: ContainerCheckId; reason: string }>;
}

/** Picks the probe port: the policy's port when the container declares it, else the first declared TCP port. */
export function selectProbePort(container: TemplateContainer, policyPort: number | undefined): number | undefined {
  const declared = (container.ports ?? [])
    .filter((p) => (p.protocol ?? "TCP") === "TCP" && typeof p.containerPort === "number")
    .map((p) => p.containerPort as number);
  if (declared.length === 0) return policyPort;
  if (policyPort !== undefined && declared.includes(policyPort)) return policyPort;
  return declared[0];
}

function buildProbe(kind: ProbeKind, port: number, spec: DevOpsPolicySpec): Probe {
  const thresholds = kind === "livenessProbe" ? LIVENESS_THRESHOLDS : kind === "startupProbe" ? STARTUP_THRESHOLDS : READINESS_THRESHOLDS;
  return {
    tcpSocket: { port },
    initialDelaySeconds: spec.defaultProbe?.initialDelaySeconds ?? DEFAULT_PROBE_TIMING.initialDelaySeconds,
    periodSeconds: spec.defaultProbe?.periodSeconds ?? DEFAULT_PROBE_TIMING.periodSeconds,
    ...thresholds,
  };
}

function planProbes(container: TemplateContainer, spec: DevOpsPolicySpec, exemption: Exemption | undefined, plan: ContainerPlan): void {
  const wanted: ProbeKind[] = [];
  if (spec.requireReadinessProbe === true && container.readinessProbe === undefined && !isExempt(exemption, "missing_readiness")) wanted.push("readinessProbe");
  // an exemption from liveness is often there because a probe would kill the workload: add none
  if (spec.requireLivenessProbe === true && container.livenessProbe === undefined && !isExempt(exemption, "missing_liveness")) {
    wanted.push("livenessProbe");
    // a liveness probe never comes alone: without a startup probe it would restart a slow starter forever
    if (container.startupProbe === undefined) wanted.push("startupProbe");
  }
  if (wanted.length === 0) return;
  const port = selectProbePort(container, spec.defaultProbe?.tcpPort);
  for (const kind of wanted) {
    const label = kind === "readinessProbe" ? "readiness" : kind === "startupProbe" ? "startup" : "liveness";
    if (kind === "startupProbe" && port === undefined) continue; // the liveness line already says why
    if (port === undefined) {
      const check = kind === "readinessProbe" ? "missing_readiness" : "missing_liveness";
      plan.unresolved.push({ check, reason: `needs a ${label} probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)` });
      continue;
    }
    const probe = buildProbe(kind, port, spec);
    plan.probes.push({ kind, probe });
    plan.added.push({ field: kind, value: `tcpSocket :${port}` });
    plan.changes.push(`+ ${kind}: tcpSocket :${port} (initialDelaySeconds ${probe.initialDelaySeconds}, periodSeconds ${probe.periodSeconds}, failureThreshold ${probe.failureThreshold})`);
  }
}

type ResourceName = "cpu" | "memory";

function planResources(container: TemplateContainer, spec: DevOpsPolicySpec, exemption: Exemption | undefined, plan: ContainerPlan): void {
  const defaults = spec.defaultResources;
  if (defaults === undefined) return;
  const addRequests = !isExempt(exemption, "missing_requests");
  const addLimits = !isExempt(exemption, "missing_limits");
  const requests: Record<string, unknown> = { ...(container.resources?.requests ?? {}) };
  const limits: Record<string, unknown> = { ...(container.resources?.limits ?? {}) };
  // no memory limit unless the policy names one: a guessed limit OOM-kills what needs more (W-E3)
  const wanted: Record<ResourceName, { request: string; limit: string | undefined }> = {
    cpu: { request: defaults.cpuRequest ?? DEFAULT_RESOURCES.cpuRequest, limit: defaults.cpuLimit ?? DEFAULT_RESOURCES.cpuLimit },
    memory: { request: defaults.memoryRequest ?? DEFAULT_RESOURCES.memoryRequest, limit: defaults.memoryLimit },
  };
  let changed = false;
  for (const name of ["cpu", "memory"] as const) {
    const hadRequest = requests[name] !== undefined;
    const hadLimit = limits[name] !== undefined;
    if (!hadRequest && addRequests) {
      // With only a limit set, Kubernetes already defaults the request to the limit:
      // writing that down keeps the workload's scheduling exactly as it is.
      requests[name] = hadLimit ? limits[name] : wanted[name].request;
      plan.added.push({ field: `resources.requests.${name}`, value: String(requests[name]) });
      plan.changes.push(`+ resources.requests.${name}: ${String(requests[name])}${hadLimit ? " (equal to the existing limit)" : ""}`);
      changed = true;
    }
    if (!hadLimit && addLimits) {
      const limit = wanted[name].limit;
      if (limit === undefined) {
        // said only where the policy asks for limits; otherwise leaving it off is the intent
        if (spec.requireResourceLimits === true) plan.unresolved.push({ check: "missing_limits", reason: `resources.limits.${name} not added: the policy sets no defaultResources.memoryLimit, and a guessed memory limit can OOM-kill the container` });
        continue;
      }
      if (requests[name] === undefined) {
        // exempt from requests: a limit alone would make Kubernetes default the request to it,
        // changing the workload's scheduling by the back door
        plan.unresolved.push({ check: "missing_limits", reason: `resources.limits.${name} not added: the workload is exempt from missing_requests and has no ${name} request, which Kubernetes would set to the limit` });
        continue;
      }
      const order = compareQuantities(limit, requests[name]);
      if (order === undefined || order < 0) {
        plan.unresolved.push({ check: "missing_limits", reason: `resources.limits.${name} not added: the default ${limit} is below the request ${String(requests[name])}` });
        continue;
      }
      limits[name] = limit;
      plan.added.push({ field: `resources.limits.${name}`, value: limit });
      plan.changes.push(`+ resources.limits.${name}: ${limit}`);
      changed = true;
    }
  }
  // an exemption can leave one side untouched: do not write it as an empty object
  if (changed) plan.resources = { ...(container.resources ?? {}), ...(Object.keys(requests).length > 0 ? { requests } : {}), ...(Object.keys(limits).length > 0 ? { limits } : {}) };
}

/**
 * Plans the additions one container needs under `spec`, leaving out what `exemption` (the
 * workload's, already resolved: lib/checks/exemptions.ts) covers; an empty plan when it is compliant.
 */
export function planContainer(container: TemplateContainer, spec: DevOpsPolicySpec, exemption?: Exemption): ContainerPlan {
  const plan: ContainerPlan = { container: container.name ?? "", probes: [], resources: undefined, changes: [], added: [], unresolved: [] };
  planProbes(container, spec, exemption, plan);
  planResources(container, spec, exemption, plan);
  return plan;
}
