/**
 * @module
 * GitOps for DevOpsPolicies, pure: the clean form a policy is exported in (no
 * server-set fields, stable key order) and the drift between a file and the
 * cluster (spec, labels and annotations; policies only in one of them).
 */
import * as v from "valibot";
import { KubeDevopsError } from "../errors.ts";
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

/** The policy as a GitOps file holds it: apiVersion, kind, name, namespace, labels, annotations, spec. */
export function exportPolicy(obj: PolicyLike, options: { exportedAt?: string } = {}): DevOpsPolicy {
  const namespace = obj.metadata?.namespace ?? "default";
  const annotations = {
    ...(sortedRecord(obj.metadata?.annotations, (k) => TRANSPORT_ANNOTATIONS.has(k)) ?? {}),
    [EXPORTED_FROM_ANNOTATION]: namespace,
    ...(options.exportedAt ? { [EXPORTED_AT_ANNOTATION]: options.exportedAt } : {}),
  };
  const labels = sortedRecord(obj.metadata?.labels);
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
    return [{ policy: exportPolicy(policy), line: d.line }];
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

/** Every difference in spec, labels and annotations (transport annotations ignored). */
export function diffPolicy(file: PolicyLike, cluster: PolicyLike): DriftLine[] {
  const out: DriftLine[] = [];
  walk("spec", orderedSpec(file.spec), orderedSpec(cluster.spec), out);
  const drop = (k: string): boolean => TRANSPORT_ANNOTATIONS.has(k);
  walk("metadata.labels", sortedRecord(file.metadata?.labels) ?? {}, sortedRecord(cluster.metadata?.labels) ?? {}, out);
  walk("metadata.annotations", sortedRecord(file.metadata?.annotations, drop) ?? {}, sortedRecord(cluster.metadata?.annotations, drop) ?? {}, out);
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
