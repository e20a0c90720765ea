/**
 * @module
 * The structural check offline input gets before it is scored (decision 0032): the path from a
 * Pod or pod controller to its containers must have the types Kubernetes gives it, and a unit
 * must have containers to be scored. Not an OpenAPI validation: only what scoring reads.
 */
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";

/** What is wrong with one object's pod spec, and where (`spec.template.spec.containers`). */
export type ShapeProblem =
  /** A type no decoder accepts (a mapping where a list belongs): kubectl, kube-score and the API server all refuse it. */
  | { kind: "malformed"; path: string; message: string }
  /** Types fine, but nothing to score (no template, no containers): a fragment such as a kustomize patch. */
  | { kind: "incomplete"; path: string; message: string };

const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

/** `a mapping`, `a list`, `the string "oops"`, `true`: what a value is, for messages. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function malformed(path: string, expected: string, value: unknown, hint = ""): ShapeProblem {
  return { kind: "malformed", path, message: `${path}: expected ${expected}, got ${describeValue(value)}${hint}` };
}

/** The mapping at `key` (undefined when absent or null), or the problem when it has another type. */
function mappingAt(parent: Record<string, unknown>, key: string, path: string): { value: Record<string, unknown> | undefined } | { problem: ShapeProblem } {
  const value = parent[key];
  if (value === undefined || value === null) return { value: undefined };
  const rec = asRecord(value);
  return rec ? { value: rec } : { problem: malformed(path, "a mapping", value) };
}

/** Checks a pod spec at `path`; undefined when it can be scored. */
export function checkPodSpecShape(spec: Record<string, unknown>, path: string): ShapeProblem | undefined {
  for (const list of CONTAINER_LISTS) {
    const value = spec[list];
    if (value === undefined || value === null) continue;
    const at = `${path}.${list}`;
    if (!Array.isArray(value)) {
      const dash = asRecord(value) ? ` (a "- " missing before the container's first field?)` : "";
      return malformed(at, "a list of containers", value, dash);
    }
    for (let i = 0; i < value.length; i++) {
      const c = asRecord(value[i]);
      if (!c) return malformed(`${at}[${i}]`, "a container (a mapping with name and image)", value[i]);
      for (const field of ["name", "image"] as const) {
        if (c[field] !== undefined && c[field] !== null && typeof c[field] !== "string") return malformed(`${at}[${i}].${field}`, "a string", c[field]);
      }
    }
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    return { kind: "incomplete", path: `${path}.containers`, message: `${path}.containers: no containers` };
  }
  return undefined;
}

/** The problem of a Pod or pod controller (`kind` one of them); undefined when it can be scored. */
export function checkPodShape(obj: KubeObjectLike): ShapeProblem | undefined {
  const missing = (path: string, what: string): ShapeProblem => ({ kind: "incomplete", path, message: `${path}: missing${what}` });
  const top = mappingAt(obj as Record<string, unknown>, "spec", "spec");
  if ("problem" in top) return top.problem;
  if (!top.value) return missing("spec", "");
  let spec = top.value;
  let path = "spec";
  if (obj.kind !== "Pod") {
    if (obj.kind === "CronJob") {
      const job = mappingAt(spec, "jobTemplate", "spec.jobTemplate");
      if ("problem" in job) return job.problem;
      if (!job.value) return missing("spec.jobTemplate", " (no pod template)");
      const jobSpec = mappingAt(job.value, "spec", "spec.jobTemplate.spec");
      if ("problem" in jobSpec) return jobSpec.problem;
      if (!jobSpec.value) return missing("spec.jobTemplate.spec", " (no pod template)");
      spec = jobSpec.value;
      path = "spec.jobTemplate.spec";
    }
    const template = mappingAt(spec, "template", `${path}.template`);
    if ("problem" in template) return template.problem;
    if (!template.value) return missing(`${path}.template`, " (no pod template)");
    path = `${path}.template`;
    const meta = mappingAt(template.value, "metadata", `${path}.metadata`);
    if ("problem" in meta) return meta.problem;
    const podSpec = mappingAt(template.value, "spec", `${path}.spec`);
    if ("problem" in podSpec) return podSpec.problem;
    if (!podSpec.value) return missing(`${path}.spec`, " (no pod spec)");
    spec = podSpec.value;
    path = `${path}.spec`;
  }
  return checkPodSpecShape(spec, path);
}
