/**
 * @module
 * GitOps for DevOpsPolicies, pure: the clean form a policy is exported in (no
 * server-set fields, stable key order) and the drift between a file and the
 * cluster (spec, labels and annotations; policies only in one of them).
 */
import * as v from "valibot";
import { KubeDevopsError } from "../errors.ts";
import { isToolAnnotation, isToolLabel, withoutToolKeys } from "./deploy-tool-metadata.ts";
import type { YamlPolicyDocument } from "./parse-policy.ts";
import { API_VERSION, DevOpsPolicySpecSchema, type DevOpsPolicy } from "./schema.ts";

export const EXPORTED_FROM_ANNOTATION = "devops.stochastic.io/exported-from";
export const EXPORTED_AT_ANNOTATION = "devops.stochastic.io/exported-at";

/** Annotations that say how an object travelled, not what it is: never drift. */
const TRANSPORT_ANNOTATIONS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  EXPORTED_FROM_ANNOTATION,
  EXPORTED_AT_ANNOTATION,
]);

export interface PolicyLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

function sortedRecord(record: Record<string, string> | undefined, drop: (key: string) => boolean = () => false): Record<string, string> | undefined {
  if (!record) return undefined;
  const keys = Object.keys(record).filter((k) => !drop(k)).sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, record[k] as string]));
}

/** The spec in the schema's field order (the parse also drops unknown keys). */
function orderedSpec(spec: unknown): unknown {
  const parsed = v.safeParse(DevOpsPolicySpecSchema, spec ?? {});
  return parsed.success ? parsed.output : spec;
}

/**
 * The policy as a GitOps file holds it: apiVersion, kind, name, namespace, labels, annotations, spec.
 * Without the keys deploy tools stamp (Argo CD, Flux, Helm): the tool writes them again when it syncs
 * the file, and imported elsewhere they would claim a release or Application that does not own it.
 * `keepToolKeys` is for a file's policies: what a file sets is its author's.
 */
export function exportPolicy(obj: PolicyLike, options: { exportedAt?: string; keepToolKeys?: boolean } = {}): DevOpsPolicy {
  const namespace = obj.metadata?.namespace ?? "default";
  const own = obj.metadata?.annotations ?? {};
  const tool = (isTool: (k: string, v: string | undefined) => boolean, record: Record<string, string>) => (k: string) => !options.keepToolKeys && isTool(k, record[k]);
  const annotations = {
    ...(sortedRecord(own, (k) => TRANSPORT_ANNOTATIONS.has(k) || tool(isToolAnnotation, own)(k)) ?? {}),
    [EXPORTED_FROM_ANNOTATION]: namespace,
    ...(options.exportedAt ? { [EXPORTED_AT_ANNOTATION]: options.exportedAt } : {}),
  };
  const ownLabels = obj.metadata?.labels ?? {};
  const labels = sortedRecord(ownLabels, tool(isToolLabel, ownLabels));
  return {
    apiVersion: API_VERSION,
    kind: "DevOpsPolicy",
    metadata: {
      name: obj.metadata?.name ?? "",
      namespace,
      ...(labels ? { labels } : {}),
      annotations: sortedRecord(annotations) ?? {},
    },
    spec: orderedSpec(obj.spec) as DevOpsPolicy["spec"],
  };
}

/** `namespace/name`, the identity GitOps compares by. */
export function policyKey(obj: PolicyLike): string {
  return `${obj.metadata?.namespace ?? "default"}/${obj.metadata?.name ?? ""}`;
}

/** A policy of a GitOps file as `import` and `diff` target it, with the line its document starts on. */
export interface PolicyTarget {
  policy: DevOpsPolicy;
  line: number;
}

/**
 * The DevOpsPolicies of a parsed file in their exported form, re-targeted to `namespace` when
 * given (`-n`); a policy that names no namespace goes to `defaultNamespace` (the kubeconfig
 * context's, as `kubectl apply` does). Throws an INPUT error naming file:line of both documents
 * when two of them target the same namespace/name: applied one after the other, the last would
 * silently win.
 */
export function targetPolicies(docs: readonly YamlPolicyDocument[], file: string, namespace?: string, defaultNamespace = "default"): PolicyTarget[] {
  const targets = docs.flatMap((d) => {
    if (!d.policy) return [];
    const own = d.policy.metadata.namespace;
    const policy = own === undefined || own === "" ? { ...d.policy, metadata: { ...d.policy.metadata, namespace: defaultNamespace } } : d.policy;
    // a tool's key the file sets is the author's: it is imported and compared like any other
    return [{ policy: exportPolicy(policy, { keepToolKeys: true }), line: d.line }];
  });
  if (namespace) for (const t of targets) t.policy.metadata.namespace = namespace;
  const first = new Map<string, PolicyTarget>();
  const problems: string[] = [];
  for (const target of targets) {
    const key = policyKey(target.policy);
    const earlier = first.get(key);
    if (earlier) problems.push(`${file}:${earlier.line} and ${file}:${target.line} both target devopspolicy ${key}`);
    else first.set(key, target);
  }
  if (problems.length > 0) {
    const why = namespace ? ` (-n ${namespace} puts every policy into one namespace)` : "";
    throw new KubeDevopsError("INPUT", `Duplicate DevOpsPolicy targets in ${file}${why}:\n${problems.join("\n")}`, {
      hint: "Nothing was changed in the cluster; each namespace/name may appear once in a file: rename or remove one of each pair",
    });
  }
  return targets;
}

/** Sorts by namespace, then name. */
export function sortPolicies<T extends PolicyLike>(policies: readonly T[]): T[] {
  return [...policies].sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
}

export interface DriftLine {
  /** `spec.maxRestartCount`, `metadata.labels.team` */
  path: string;
  /** JSON of the file's value; undefined when the file lacks it. */
  file?: string;
  /** JSON of the cluster's value; undefined when the cluster lacks it. */
  cluster?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function walk(path: string, file: unknown, cluster: unknown, out: DriftLine[]): void {
  if (isPlainObject(file) && isPlainObject(cluster)) {
    const keys = [...new Set([...Object.keys(file), ...Object.keys(cluster)])].sort();
    for (const key of keys) walk(`${path}.${key}`, file[key], cluster[key], out);
    return;
  }
  if (JSON.stringify(file) === JSON.stringify(cluster)) return;
  out.push({
    path,
    ...(file === undefined ? {} : { file: JSON.stringify(file) }),
    ...(cluster === undefined ? {} : { cluster: JSON.stringify(cluster) }),
  });
}

/**
 * Every difference in spec, labels and annotations. Transport annotations are ignored, and so is a
 * deploy tool's key (Argo CD, Flux, Helm) that only the cluster has; one the file sets is compared.
 */
export function diffPolicy(file: PolicyLike, cluster: PolicyLike): DriftLine[] {
  const out: DriftLine[] = [];
  walk("spec", orderedSpec(file.spec), orderedSpec(cluster.spec), out);
  const drop = (k: string): boolean => TRANSPORT_ANNOTATIONS.has(k);
  const fileLabels = file.metadata?.labels;
  const fileAnnotations = file.metadata?.annotations;
  const clusterLabels = withoutToolKeys(cluster.metadata?.labels, fileLabels, isToolLabel);
  const clusterAnnotations = withoutToolKeys(cluster.metadata?.annotations, fileAnnotations, isToolAnnotation);
  walk("metadata.labels", sortedRecord(fileLabels) ?? {}, sortedRecord(clusterLabels) ?? {}, out);
  walk("metadata.annotations", sortedRecord(fileAnnotations, drop) ?? {}, sortedRecord(clusterAnnotations, drop) ?? {}, out);
  return out;
}

/** The reference's diff lines: `  - <path>: <cluster>` then `  + <path>: <file>`. */
export function renderDriftLines(lines: readonly DriftLine[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line.cluster !== undefined) out.push(`  - ${line.path}: ${line.cluster}`);
    if (line.file !== undefined) out.push(`  + ${line.path}: ${line.file}`);
  }
  return out;
}
