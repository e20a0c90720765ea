/**
 * @module
 * Where each admitted kind keeps its pod spec: a Pod's own `spec`, a workload's
 * `spec.template`, a CronJob's `spec.jobTemplate.spec.template`. The object's kind
 * may be missing (some callers omit it), so the request's kind is the fallback.
 */
import { asRecord, type PodSpecLike } from "../k8s-objects.ts";

export const TEMPLATE_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"] as const;
export const ADMITTED_KINDS = ["Pod", ...TEMPLATE_KINDS, "CronJob"] as const;
export type AdmittedKind = (typeof ADMITTED_KINDS)[number];

export interface PodTemplate {
  kind: AdmittedKind;
  name: string;
  /** The pod spec, or undefined when the object has none (nothing to check). */
  spec: PodSpecLike | undefined;
  /** Annotations of the pod (for a Pod) or of the pod template (for workloads). */
  annotations: unknown;
  /** Annotations of the workload object itself (workload-level exemptions); undefined for Pods. */
  workloadAnnotations: unknown;
}

const ADMITTED: ReadonlySet<string> = new Set(ADMITTED_KINDS);

/** True when admission validates `kind`. */
export function isAdmittedKind(kind: unknown): kind is AdmittedKind {
  return typeof kind === "string" && ADMITTED.has(kind);
}

function templateOf(spec: unknown): { spec: PodSpecLike | undefined; annotations: unknown } {
  const template = asRecord(asRecord(spec)?.template);
  return { spec: asRecord(template?.spec) as PodSpecLike | undefined, annotations: asRecord(template?.metadata)?.annotations };
}

/** The object's kind, else the request's kind. */
export function kindOf(object: unknown, requestKind: string): string {
  const own = asRecord(object)?.kind;
  return typeof own === "string" && own !== "" ? own : requestKind;
}

function generatedName(generateName: unknown): string {
  return typeof generateName === "string" && generateName !== "" ? `${generateName}*` : "unknown";
}

/** The pod spec admission checks in `object`, or undefined when its kind is not one we validate. */
export function podTemplateOf(object: unknown, requestKind: string, requestName = ""): PodTemplate | undefined {
  const kind = kindOf(object, requestKind);
  if (!isAdmittedKind(kind)) return undefined;
  const obj = asRecord(object);
  const meta = asRecord(obj?.metadata);
  const ownName = meta?.name;
  const name = typeof ownName === "string" && ownName !== "" ? ownName : requestName || generatedName(meta?.generateName);
  if (kind === "Pod") {
    return { kind, name, spec: asRecord(obj?.spec) as PodSpecLike | undefined, annotations: meta?.annotations, workloadAnnotations: undefined };
  }
  const holder = kind === "CronJob" ? asRecord(asRecord(asRecord(obj?.spec)?.jobTemplate)?.spec) : asRecord(obj?.spec);
  const template = templateOf(holder);
  return { kind, name, spec: template.spec, annotations: template.annotations, workloadAnnotations: meta?.annotations };
}
