/**
 * @module
 * The built-in validation a real server applies that clients meet in practice: object names,
 * required pod containers and images, one handler per probe and lifecycle hook (validate-handlers.ts),
 * workload selectors matching template labels, the
 * immutable fields of pods and workloads, and ephemeral containers (only added, through the
 * pods/ephemeralcontainers subresource, never changed or removed).
 */
import type { FieldError } from "./status.ts";
import type { KubeObject } from "./types.ts";
import { validateContainerHandlers } from "./validate-handlers.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Validates metadata.name the way the kind requires (DNS label or subdomain). */
export function validateName(kind: string, name: string, errors: FieldError[]): void {
  const label = kind === "Namespace" || kind === "Service";
  if (label) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      errors.push({ type: "FieldValueInvalid", field: "metadata.name", value: name, hasValue: true, detail: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" });
    }
  } else if (kind === "ClusterRole" || kind === "Role" || kind === "RoleBinding" || kind === "ClusterRoleBinding") {
    if (name.includes("/") || name.includes("%") || name === "." || name === "..") errors.push({ type: "FieldValueInvalid", field: "metadata.name", value: name, hasValue: true, detail: `may not contain '/'` });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push({ type: "FieldValueInvalid", field: "metadata.name", value: name, hasValue: true, detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" });
  }
}

function validatePodSpec(spec: unknown, path: string, errors: FieldError[]): void {
  if (!isObj(spec)) {
    errors.push({ type: "FieldValueRequired", field: `${path}.containers`, detail: "" });
    return;
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ type: "FieldValueRequired", field: `${path}.containers`, detail: "" });
    return;
  }
  const seen = new Set<string>();
  for (const key of ["initContainers", "containers", "ephemeralContainers"]) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const p = `${path}.${key}[${i}]`;
      if (!isObj(c)) return;
      if (typeof c.name !== "string" || c.name === "") errors.push({ type: "FieldValueRequired", field: `${p}.name`, detail: "" });
      else if (seen.has(c.name)) errors.push({ type: "FieldValueDuplicate", field: `${p}.name`, value: c.name, hasValue: true, detail: "" });
      else seen.add(c.name);
      if (typeof c.image !== "string" || c.image.trim() === "") errors.push({ type: "FieldValueRequired", field: `${p}.image`, detail: "" });
      // probes and hooks are validated where Kubernetes allows them: regular containers and native sidecars
      if (key === "containers" || (key === "initContainers" && c.restartPolicy === "Always")) validateContainerHandlers(c, p, errors);
    });
  }
}

function matchesSelector(selector: unknown, labels: unknown): boolean {
  if (!isObj(selector)) return false;
  const ml = isObj(selector.matchLabels) ? selector.matchLabels : {};
  const l = isObj(labels) ? labels : {};
  return Object.entries(ml).every(([k, v]) => l[k] === v);
}

/** Kind-specific validation of a new (`update` false) or updated object. */
export function validateBuiltin(obj: KubeObject, errors: FieldError[], update = false): void {
  const spec = obj.spec as Obj | undefined;
  switch (obj.kind) {
    case "Pod":
      validatePodSpec(spec, "spec", errors);
      if (!update && isObj(spec) && Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) errors.push({ type: "FieldValueForbidden", field: "spec.ephemeralContainers", detail: "cannot be set on create" });
      break;
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet": {
      if (!isObj(spec) || !isObj(spec.selector)) {
        errors.push({ type: "FieldValueRequired", field: "spec.selector", detail: "" });
        break;
      }
      const tpl = isObj(spec.template) ? spec.template : {};
      const labels = isObj(tpl.metadata) ? (tpl.metadata as Obj).labels : undefined;
      if (!matchesSelector(spec.selector, labels)) {
        errors.push({ type: "FieldValueInvalid", field: "spec.template.metadata.labels", value: labels ?? {}, hasValue: true, detail: "`selector` does not match template `labels`" });
      }
      validatePodSpec(tpl.spec, "spec.template.spec", errors);
      break;
    }
    case "Job":
      if (isObj(spec) && isObj(spec.template)) validatePodSpec((spec.template as Obj).spec, "spec.template.spec", errors);
      break;
  }
}

const POD_MUTABLE = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

function stripMutablePodFields(spec: unknown): string {
  if (!isObj(spec)) return "";
  const copy = structuredClone(spec);
  for (const key of ["containers", "initContainers"]) for (const c of Array.isArray(copy[key]) ? (copy[key] as Obj[]) : []) delete c.image;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return JSON.stringify(copy);
}

function ephemeralByName(spec: unknown): Map<string, string> {
  const list = isObj(spec) && Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers : [];
  return new Map(list.filter(isObj).map((c) => [String(c.name), JSON.stringify(c)]));
}

/** Immutable-field rules on update (`subresource` "ephemeralcontainers": only additions of ephemeral containers). */
export function validateBuiltinUpdate(next: KubeObject, prev: KubeObject, errors: FieldError[], subresource = ""): void {
  if (next.kind === "Pod" && subresource === "ephemeralcontainers") {
    const now = ephemeralByName(next.spec);
    for (const [name, was] of ephemeralByName(prev.spec)) {
      if (now.get(name) !== was) errors.push({ type: "FieldValueForbidden", field: "spec.ephemeralContainers", detail: `existing ephemeral containers ${JSON.stringify(name)} may not be removed or changed` });
    }
  } else if (next.kind === "Pod" && stripMutablePodFields(next.spec) !== stripMutablePodFields(prev.spec)) {
    errors.push({ type: "FieldValueForbidden", field: "spec", detail: POD_MUTABLE });
  }
  if (["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"].includes(next.kind ?? "")) {
    const a = (next.spec as Obj | undefined)?.selector;
    const b = (prev.spec as Obj | undefined)?.selector;
    if (JSON.stringify(a) !== JSON.stringify(b)) errors.push({ type: "FieldValueInvalid", field: "spec.selector", value: a, hasValue: true, detail: "field is immutable" });
  }
}
