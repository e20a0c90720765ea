/**
 * @module
 * Which checks `analyze` runs: the reference's fixed set by default, a bundle
 * (`--bundle`), DevOpsPolicies (`--policy`), or several of them merged so the
 * strictest wins. Also says where the checks came from, for the report.
 */
import { checkSetFromPolicies, DEFAULT_CHECK_SET, type CheckSet } from "../checks/check-set.ts";
import { KubeDevopsError } from "../errors.ts";
import { asRecord } from "../k8s-objects.ts";
import { sourceLocation, type SourcedObject } from "../manifests/parse-manifests.ts";
import { requireBundle } from "../policy/bundles.ts";
import { parsePolicy } from "../policy/parse-policy.ts";
import type { DevOpsPolicy } from "../policy/schema.ts";
import { namespaceOf } from "./collect-units.ts";

export interface CheckSelection {
  checkSet: CheckSet;
  /** Where the checks came from, e.g. `bundle baseline + policy team.yaml:1`. */
  source: string;
  /** The bundles' canonical names, in the order given (repeats dropped). */
  bundles: readonly string[];
}

export interface NamedPolicy {
  /** `namespace/name` or `file:line`, for the report. */
  label: string;
  policy: DevOpsPolicy;
}

/** The check set for bundles and policies (none → the reference defaults). */
export function selectChecks(bundles: readonly string[], policies: readonly NamedPolicy[]): CheckSelection {
  if (bundles.length === 0 && policies.length === 0) return { checkSet: DEFAULT_CHECK_SET, source: "reference defaults", bundles: [] };
  const found = [...new Map(bundles.map((b) => requireBundle(b)).map((b) => [b.name, b])).values()];
  const specs = [...found.map((b) => b.spec), ...policies.map((p) => p.policy.spec)];
  const labels = [...found.map((b) => `bundle ${b.name}`), ...policies.map((p) => `policy ${p.label}`)];
  return { checkSet: checkSetFromPolicies(specs), source: labels.join(" + "), bundles: found.map((b) => b.name) };
}

/** Splits `ns/name` (or `name`, in `defaultNamespace`). */
export function parsePolicyRef(ref: string, defaultNamespace: string): { namespace: string; name: string } {
  const parts = ref.split("/");
  if (parts.length === 1 && parts[0]) return { namespace: defaultNamespace, name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new KubeDevopsError("USAGE", `Invalid --policy "${ref}": expected <namespace>/<name>, <name> or a policy file`);
}

/** Finds `ns/name` among DevOpsPolicy objects of the offline input, validated; problems name its file:line. */
export function findPolicyInObjects(ref: string, objects: readonly SourcedObject[]): NamedPolicy {
  const { namespace, name } = parsePolicyRef(ref, "default");
  for (const s of objects) {
    const o = s.object;
    if (o.kind !== "DevOpsPolicy") continue;
    const meta = asRecord(o.metadata);
    if (meta?.name !== name || namespaceOf(o) !== namespace) continue;
    return { label: `${namespace}/${name}`, policy: parsePolicy(o, sourceLocation(s) ?? `${namespace}/${name}`) };
  }
  throw new KubeDevopsError("INPUT", `DevOpsPolicy ${namespace}/${name} not found in the input files`, {
    hint: "give the policy's file with -f or --policy <file>, or use --bundle",
  });
}
