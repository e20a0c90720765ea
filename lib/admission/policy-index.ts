/**
 * @module
 * The policies admission consults, indexed by namespace and compiled once when a
 * policy changes (check set, mode, threshold), so a request does a map lookup and
 * no API call (reference W-A8). Fed by the watch edge; pure and synchronous.
 */
import { checkSetFromPolicy, type CheckSet } from "../checks/check-set.ts";
import { asRecord } from "../k8s-objects.ts";
import { readStoredSpec } from "../policy/read-stored-spec.ts";
import type { DevOpsPolicySpec, Severity } from "../policy/schema.ts";

/** The lowest severity that denies when a policy does not say (issue 10: high). */
export const DEFAULT_ADMISSION_THRESHOLD: Severity = "high";

export interface AdmissionPolicy {
  namespace: string;
  name: string;
  /** Only enforce-mode policies deny; audit-mode findings are warnings. */
  enforce: boolean;
  threshold: Severity;
  checks: CheckSet;
}

/** Compiles one policy for admission. */
export function compileAdmissionPolicy(namespace: string, name: string, spec: DevOpsPolicySpec): AdmissionPolicy {
  return {
    namespace,
    name,
    enforce: spec.enforcementMode === "enforce",
    threshold: spec.admissionThreshold ?? DEFAULT_ADMISSION_THRESHOLD,
    checks: checkSetFromPolicy(spec),
  };
}

const EMPTY: readonly AdmissionPolicy[] = Object.freeze([]);

/** Namespace → its compiled policies, in name order (deterministic warnings). */
export class PolicyIndex {
  #byNamespace = new Map<string, Map<string, AdmissionPolicy>>();
  #sorted = new Map<string, readonly AdmissionPolicy[]>();

  /** Adds or replaces one policy. */
  upsert(policy: AdmissionPolicy): void {
    let names = this.#byNamespace.get(policy.namespace);
    if (!names) {
      names = new Map();
      this.#byNamespace.set(policy.namespace, names);
    }
    names.set(policy.name, policy);
    this.#sorted.delete(policy.namespace);
  }

  /** Removes one policy (no-op when unknown). */
  remove(namespace: string, name: string): void {
    const names = this.#byNamespace.get(namespace);
    if (!names?.delete(name)) return;
    if (names.size === 0) this.#byNamespace.delete(namespace);
    this.#sorted.delete(namespace);
  }

  /** Replaces everything (after a relist). */
  replaceAll(policies: Iterable<AdmissionPolicy>): void {
    this.#byNamespace.clear();
    this.#sorted.clear();
    for (const p of policies) this.upsert(p);
  }

  /** The namespace's policies, sorted by name; a shared empty array when none. */
  forNamespace(namespace: string): readonly AdmissionPolicy[] {
    const cached = this.#sorted.get(namespace);
    if (cached) return cached;
    const names = this.#byNamespace.get(namespace);
    if (!names) return EMPTY;
    const sorted = Object.freeze([...names.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    this.#sorted.set(namespace, sorted);
    return sorted;
  }

  /** The namespaces that hold at least one policy. */
  namespaces(): IterableIterator<string> {
    return this.#byNamespace.keys();
  }

  get size(): number {
    let n = 0;
    for (const names of this.#byNamespace.values()) n += names.size;
    return n;
  }
}

/** Namespace and name of a policy object as read from the API (undefined when unusable). */
export function policyKeyOf(obj: unknown): { namespace: string; name: string } | undefined {
  const meta = asRecord(asRecord(obj)?.metadata);
  const namespace = meta?.namespace;
  const name = meta?.name;
  return typeof namespace === "string" && typeof name === "string" && namespace !== "" && name !== "" ? { namespace, name } : undefined;
}

/**
 * Compiles a DevOpsPolicy object as read from the API. A field a newer rule refuses is left out
 * and named in `ignored` (lib/policy/read-stored-spec.ts); a spec that cannot be read at all
 * yields an error message instead: the caller logs it and the policy is left out, which can
 * only admit more.
 */
export function projectAdmissionPolicy(obj: unknown): { policy: AdmissionPolicy; ignored: string[] } | { error: string; namespace: string; name: string } {
  const key = policyKeyOf(obj) ?? { namespace: "", name: "" };
  if (!key.namespace || !key.name) return { error: "metadata.namespace and metadata.name are required", ...key };
  const result = readStoredSpec(asRecord(obj)?.spec);
  if (!result.ok) {
    const issue = result.issues[0];
    return { error: issue ? `${issue.path}: ${issue.message}` : "spec: invalid", ...key };
  }
  return { policy: compileAdmissionPolicy(key.namespace, key.name, result.spec), ignored: result.ignored.map((i) => `${i.path}: ${i.message}`) };
}
