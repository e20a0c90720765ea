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
import { chainExemption, controllerRef, indexOwners, resolveOwner, type OwnerLookup, type WorkloadRef } from "../owners.ts";
import type { Exemption } from "../checks/exemptions.ts";
import { sourceLocation, type SourcedObject } from "../manifests/parse-manifests.ts";
import { lintExemptionAnnotations } from "../checks/exemptions.ts";
import { checkPodShape, type ShapeProblem } from "./check-pod-shape.ts";

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
  /** Set when the unit has nothing to score (no pod template, no containers): skipped, and said so. */
  incomplete?: ShapeProblem | undefined;
}

/** An object and what is wrong with it, located: `deploy.yaml:3: Deployment shop/cart: spec.template: …`. */
export interface ObjectNote {
  /** `Deployment shop/cart`. */
  object: string;
  file: string | undefined;
  line: number | undefined;
  message: string;
}

export interface CollectedUnits {
  units: Unit[];
  /** Objects that are neither pods nor pod controllers (Services, ConfigMaps, CRDs...). */
  ignored: number;
  /** How many of them per kind ("no kind" for documents without one). */
  ignoredKinds: Record<string, number>;
  /** Pods and controllers with a type no decoder accepts on the way to their containers (only when shapes are checked). */
  malformed: ObjectNote[];
  /** Exemption annotations that cannot mean what their author wanted (not strings, unknown check ids). */
  exemptionWarnings: ObjectNote[];
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

/** `Deployment shop/cart` (the namespace as given; none for cluster-scoped or unset). */
export function describeObject(obj: KubeObjectLike): string {
  const meta = asRecord(obj.metadata);
  const name = typeof meta?.name === "string" ? meta.name : "(no name)";
  const ns = typeof meta?.namespace === "string" && meta.namespace !== "" ? `${meta.namespace}/` : "";
  return `${typeof obj.kind === "string" ? obj.kind : "(no kind)"} ${ns}${name}`;
}

/** Key of an ignored object's kind in {@link CollectedUnits.ignoredKinds}. */
function ignoredKindOf(obj: KubeObjectLike): string {
  return typeof obj.kind === "string" && obj.kind !== "" ? obj.kind : "no kind";
}

function noteOf(source: SourcedObject, message: string): ObjectNote {
  return { object: describeObject(source.object), file: source.file, line: source.line, message };
}

/** One line per note: `deploy.yaml:3: Deployment shop/cart: <message>` (API objects have no location). */
export function formatObjectNote(note: ObjectNote): string {
  const where = sourceLocation(note);
  return `${where ? `${where}: ` : ""}${note.object}: ${note.message}`;
}

/** Exemption annotations of a pod or controller and of its pod template: what parseExemption would drop. */
function lintExemptions(source: SourcedObject, out: ObjectNote[]): void {
  const obj = source.object;
  for (const m of lintExemptionAnnotations(asRecord(obj.metadata)?.annotations)) out.push(noteOf(source, m));
  if (obj.kind === "Pod") return;
  const template = podTemplateOf(obj);
  for (const m of lintExemptionAnnotations(template?.annotations)) out.push(noteOf(source, `pod template: ${m}`));
}

/**
 * The Deployment in the input whose ReplicaSet made `pod`, when that ReplicaSet is not in the input
 * (`kubectl get deploy,pods`): the pod's ReplicaSet is named `<deployment>-<pod-template-hash>`
 * with the hash its pods are labelled with, and the Deployment's selector matches the pod. The pod
 * stays attributed to its ReplicaSet (decision 0002); this only keeps the Deployment's template from
 * being scored beside its own pods (decision 0014). A standalone ReplicaSet (`api-v2`) has no hash label.
 */
function deploymentOfOrphanPod(pod: KubeObjectLike, lookup: OwnerLookup): KubeObjectLike | undefined {
  const ref = controllerRef(pod);
  const meta = asRecord(pod.metadata);
  const labels = asRecord(meta?.labels);
  const hash = labels?.["pod-template-hash"];
  if (ref?.kind !== "ReplicaSet" || typeof ref.name !== "string" || typeof hash !== "string" || hash === "") return undefined;
  if (!ref.name.endsWith(`-${hash}`)) return undefined;
  const namespace = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
  const deploy = lookup("Deployment", namespace, ref.name.slice(0, -hash.length - 1));
  const matchLabels = asRecord(asRecord(asRecord(deploy?.spec)?.selector)?.matchLabels);
  if (!deploy || !matchLabels) return undefined;
  return Object.entries(matchLabels).every(([k, v]) => labels?.[k] === v) ? deploy : undefined;
}

/**
 * Splits objects into units; owners are looked up among the same objects. With `checkShape`
 * (offline input), pods and controllers are checked structurally: see check-pod-shape.ts.
 */
export function collectUnits(objects: readonly SourcedObject[], scoreTemplates: boolean, checkShape = false): CollectedUnits {
  const controllers: KubeObjectLike[] = [];
  for (const s of objects) if (s.object.kind !== "Pod" && TEMPLATE_KINDS.has(String(s.object.kind))) controllers.push(s.object);
  const lookup = indexOwners(controllers);
  const represented = new Set<KubeObjectLike>();
  const units: Unit[] = [];
  let ignored = 0;
  const ignoredKinds: Record<string, number> = {};
  const malformed: ObjectNote[] = [];
  const exemptionWarnings: ObjectNote[] = [];
  let representedTemplates = 0;
  /** The shape problem of every pod and controller (checked once each). */
  const shapes = new Map<KubeObjectLike, ShapeProblem>();
  for (const source of objects) {
    const obj = source.object;
    if (obj.kind !== "Pod" && !TEMPLATE_KINDS.has(String(obj.kind))) continue;
    lintExemptions(source, exemptionWarnings);
    if (!checkShape) continue;
    const problem = checkPodShape(obj);
    if (problem?.kind === "malformed") malformed.push(noteOf(source, problem.message));
    else if (problem) shapes.set(obj, problem);
  }

  for (const source of objects) {
    if (source.object.kind !== "Pod") continue;
    const owner = resolveOwner(source.object, lookup);
    for (const o of owner.chain) represented.add(o);
    // its Deployment's exemption holds for it as it would through the ReplicaSet the dump left out
    const deploy = owner.chain.length === 0 ? deploymentOfOrphanPod(source.object, lookup) : undefined;
    if (deploy) represented.add(deploy);
    units.push({
      kind: "pod",
      source,
      namespace: namespaceOf(source.object),
      workload: owner.workload,
      workloadExemption: chainExemption(deploy ? [deploy] : owner.chain),
      template: undefined,
      incomplete: shapes.get(source.object),
    });
  }

  for (const source of objects) {
    const obj = source.object;
    if (obj.kind === "Pod") continue;
    if (!TEMPLATE_KINDS.has(String(obj.kind))) {
      ignored++;
      const kind = ignoredKindOf(obj);
      ignoredKinds[kind] = (ignoredKinds[kind] ?? 0) + 1;
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
      incomplete: shapes.get(obj),
    });
  }
  return { units, ignored, ignoredKinds, malformed, exemptionWarnings, represented: representedTemplates };
}
