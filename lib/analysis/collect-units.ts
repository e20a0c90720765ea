/**
 * @module
 * Which objects of an input become scoring units. Pods are scored with their
 * status. Pod controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, ReplicationController, DeploymentConfig) are scored by their pod
 * template, one unit each, unless the input already holds their pods or their
 * owning controller (then those represent them: no double counting of a
 * `kubectl get all` dump). Every unit carries its owning workload.
 */
import { asRecord, type KubeObjectLike, type PodSpecLike } from "../k8s-objects.ts";
import { chainExemption, controllerRef, indexOwners, resolveOwner, type WorkloadRef } from "../owners.ts";
import type { Exemption } from "../checks/exemptions.ts";
import type { SourcedObject } from "../manifests/parse-manifests.ts";

export interface PodTemplate {
  annotations: unknown;
  labels: Record<string, unknown> | undefined;
  spec: PodSpecLike | undefined;
}

export interface Unit {
  kind: "pod" | "template";
  source: SourcedObject;
  namespace: string;
  workload: WorkloadRef;
  /** Exemption annotations of the owner chain (the template's own are read by the evaluator). */
  workloadExemption: Exemption | undefined;
  template: PodTemplate | undefined;
}

export interface CollectedUnits {
  units: Unit[];
  /** Objects that are neither pods nor pod controllers (Services, ConfigMaps, CRDs...). */
  ignored: number;
  /** Templates represented by their pods or their owning controller in the same input. */
  represented: number;
}

/** Kinds scored by their pod template. */
export const TEMPLATE_KINDS: ReadonlySet<string> = new Set([
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "ReplicationController",
  "DeploymentConfig",
]);

/** The pod template of a controller object (`spec.template`, or the CronJob's job template). */
export function podTemplateOf(obj: KubeObjectLike): PodTemplate | undefined {
  let spec = asRecord(obj.spec);
  if (obj.kind === "CronJob") spec = asRecord(asRecord(spec?.jobTemplate)?.spec);
  const template = asRecord(spec?.template);
  if (!template) return undefined;
  const meta = asRecord(template.metadata);
  return { annotations: meta?.annotations, labels: asRecord(meta?.labels), spec: asRecord(template.spec) as PodSpecLike | undefined };
}

/** The object's namespace, `default` when unset (as kubectl would apply it). */
export function namespaceOf(obj: KubeObjectLike): string {
  const ns = asRecord(obj.metadata)?.namespace;
  return typeof ns === "string" && ns !== "" ? ns : "default";
}

/** Splits objects into units; owners are looked up among the same objects. */
export function collectUnits(objects: readonly SourcedObject[], scoreTemplates: boolean): CollectedUnits {
  const controllers: KubeObjectLike[] = [];
  for (const s of objects) if (s.object.kind !== "Pod" && TEMPLATE_KINDS.has(String(s.object.kind))) controllers.push(s.object);
  const lookup = indexOwners(controllers);
  const represented = new Set<KubeObjectLike>();
  const units: Unit[] = [];
  let ignored = 0;
  let representedTemplates = 0;

  for (const source of objects) {
    if (source.object.kind !== "Pod") continue;
    const owner = resolveOwner(source.object, lookup);
    for (const o of owner.chain) represented.add(o);
    units.push({
      kind: "pod",
      source,
      namespace: namespaceOf(source.object),
      workload: owner.workload,
      workloadExemption: chainExemption(owner.chain),
      template: undefined,
    });
  }

  for (const source of objects) {
    const obj = source.object;
    if (obj.kind === "Pod") continue;
    if (!TEMPLATE_KINDS.has(String(obj.kind))) {
      ignored++;
      continue;
    }
    if (!scoreTemplates) continue;
    const namespace = namespaceOf(obj);
    const ref = controllerRef(obj);
    const parent = ref?.kind && ref.name && TEMPLATE_KINDS.has(ref.kind) ? lookup(ref.kind, namespace, ref.name) : undefined;
    if (represented.has(obj) || parent) {
      representedTemplates++;
      continue;
    }
    const meta = asRecord(obj.metadata);
    const name = typeof meta?.name === "string" ? meta.name : "unknown";
    // A ReplicaSet or Job whose controller is absent from the input is reported under that controller.
    const workload: WorkloadRef = ref?.kind && ref.name && TEMPLATE_KINDS.has(ref.kind)
      ? { kind: ref.kind, namespace, name: ref.name }
      : { kind: String(obj.kind), namespace, name };
    units.push({
      kind: "template",
      source,
      namespace,
      workload,
      workloadExemption: chainExemption([obj]),
      template: podTemplateOf(obj) ?? { annotations: undefined, labels: undefined, spec: undefined },
    });
  }
  return { units, ignored, represented: representedTemplates };
}
