/**
 * @module
 * A DevOpsPolicy spec as a controller reads it from the API server. The server validated it
 * against the CRD that was installed when it was written; a rule added since (a non-negative
 * `maxRestartCount` or quantity) may refuse one field of it. Throwing the whole policy away
 * would make the webhook admit everything the policy forbids and the watch controller score
 * without it, so the refused top-level fields are left out, the rest is used, and the caller
 * logs what it ignored. Authoring paths (files, `policy import`) stay strict.
 */
import { asRecord } from "../k8s-objects.ts";
import { checkPolicySpec, type PolicyIssue } from "./parse-policy.ts";
import type { DevOpsPolicySpec } from "./schema.ts";

export type StoredSpec = { ok: true; spec: DevOpsPolicySpec; ignored: PolicyIssue[] } | { ok: false; issues: PolicyIssue[] };

/** `spec` with the top-level fields the schema refuses left out, and those refusals; not ok when no such cut helps. */
export function readStoredSpec(spec: unknown): StoredSpec {
  const strict = checkPolicySpec(spec ?? {});
  if (strict.ok) return { ok: true, spec: strict.value, ignored: [] };
  const record = asRecord(spec);
  // issue paths are `spec.<field>…`; a problem with the spec as a whole cannot be cut away
  const refused = new Set(strict.issues.map((issue) => issue.path.split(".")[1]));
  if (record === undefined || refused.has(undefined)) return { ok: false, issues: strict.issues };
  const rest = Object.fromEntries(Object.entries(record).filter(([field]) => !refused.has(field)));
  const lenient = checkPolicySpec(rest);
  return lenient.ok ? { ok: true, spec: lenient.value, ignored: strict.issues } : { ok: false, issues: strict.issues };
}
