/**
 * The admission verdict computed the plain way, policy after policy through
 * `evaluatePodSpec` and merged per (check, container): how lib/admission/admit.ts
 * decided before it compiled the namespace's policies into one plan. The
 * equivalence test holds the compiled path to this one.
 */
import { type AdmissionDecision, DENIAL_PREFIX, isControllerCreated } from "../../lib/admission/admit.ts";
import { exemptionNotes } from "../../lib/admission/exemption-notes.ts";
import type { AdmissionPolicy } from "../../lib/admission/policy-index.ts";
import { podTemplateOf, type PodTemplate } from "../../lib/admission/pod-template.ts";
import type { AdmissionRequest } from "../../lib/admission/review.ts";
import { allowed, denied } from "../../lib/admission/verdict.ts";
import { evaluatePodSpec, type Finding } from "../../lib/checks/evaluate.ts";
import { parseExemption } from "../../lib/checks/exemptions.ts";
import { isAtLeast, maxSeverity } from "../../lib/checks/severity.ts";
import { asRecord } from "../../lib/k8s-objects.ts";
import { isSystemNamespace } from "../../lib/namespaces.ts";
import type { Severity } from "../../lib/policy/schema.ts";

function namespaceOf(request: AdmissionRequest): string {
  if (request.namespace) return request.namespace;
  const ns = asRecord(asRecord(request.object)?.metadata)?.namespace;
  return typeof ns === "string" && ns !== "" ? ns : "default";
}

function findingsOf(template: PodTemplate, namespace: string, policy: AdmissionPolicy, exemptions: boolean): Finding[] {
  const workloadExemption = exemptions ? parseExemption(template.workloadAnnotations) : undefined;
  return evaluatePodSpec(template.spec, policy.checks, { name: template.name, namespace, annotations: template.annotations }, { includeSystemNamespaces: true, workloadExemption, exemptions }).findings;
}

interface Merged {
  finding: Finding;
  /** Waived by an exemption: counted, neither denied nor warned. */
  exempt: boolean;
  deny: boolean;
  severity: Severity;
  policy: string;
}

function keyOf(f: Finding): string {
  return `${f.check}\u0000${f.container}`;
}

/** The old object's findings under every policy: key → waived by an exemption. */
function findingsBefore(old: PodTemplate | undefined, namespace: string, policies: readonly AdmissionPolicy[], exemptions: boolean): Map<string, boolean> {
  const before = new Map<string, boolean>();
  if (old) for (const policy of policies) for (const f of findingsOf(old, namespace, policy, exemptions)) before.set(keyOf(f), f.exempt);
  return before;
}

/**
 * On UPDATE only what changed: a finding the old object reported is dropped, one it waived is
 * not counted again (and warns, never denies, once the exemption is removed).
 */
function mergeFindings(template: PodTemplate, old: PodTemplate | undefined, namespace: string, policies: readonly AdmissionPolicy[], mayDeny: boolean, exemptions: boolean): Map<string, Merged> {
  const merged = new Map<string, Merged>();
  const before = findingsBefore(old, namespace, policies, exemptions);
  for (const policy of policies) {
    for (const finding of findingsOf(template, namespace, policy, exemptions)) {
      const key = keyOf(finding);
      const was = before.get(key);
      if (finding.exempt) {
        if (was !== true && !merged.has(key)) merged.set(key, { finding, exempt: true, deny: false, severity: finding.severity, policy: policy.name });
        continue;
      }
      if (was === false) continue;
      const deny = mayDeny && policy.enforce && isAtLeast(finding.severity, policy.threshold) && was === undefined;
      const prev = merged.get(key);
      if (!prev) merged.set(key, { finding, exempt: false, deny, severity: finding.severity, policy: policy.name });
      else {
        prev.severity = maxSeverity(prev.severity, finding.severity);
        if (deny && !prev.deny) Object.assign(prev, { deny: true, policy: policy.name });
      }
    }
  }
  return merged;
}

function skip(uid: string, namespace: string, outcome: AdmissionDecision["outcome"]): AdmissionDecision {
  return { response: allowed(uid), namespace, outcome, denials: [], warnings: [], exempted: [] };
}

/** The verdict, policy by policy. */
export function admitByPolicy(request: AdmissionRequest, options: { ownNamespace: string; policiesFor: (namespace: string) => readonly AdmissionPolicy[]; exemptions?: boolean }): AdmissionDecision {
  const { uid } = request;
  const namespace = namespaceOf(request);
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return skip(uid, namespace, "operation-not-validated");
  if (namespace === options.ownNamespace || isSystemNamespace(namespace)) return skip(uid, namespace, "system-namespace");
  const template = podTemplateOf(request.object, request.kind.kind, request.name);
  if (!template) return skip(uid, namespace, "kind-not-validated");
  const policies = options.policiesFor(namespace);
  if (policies.length === 0) return skip(uid, namespace, "no-policy");
  if (!template.spec) return skip(uid, namespace, "no-pod-spec");
  const old = request.operation === "UPDATE" ? podTemplateOf(request.oldObject, request.kind.kind, request.name) : undefined;
  const mayDeny = !isControllerCreated(request.object, request.userInfo?.username);
  const all = [...mergeFindings(template, old, namespace, policies, mayDeny, options.exemptions !== false).values()];
  const merged = all.filter((m) => !m.exempt);
  const denying = merged.filter((m) => m.deny);
  const warning = merged.filter((m) => !m.deny);
  // exemption annotations that cannot work are not findings: the same notes, ahead of them, once
  // the new object has a finding (one an UPDATE does not report again included)
  const exemptions = options.exemptions !== false;
  const violates = policies.some((p) => findingsOf(template, namespace, p, exemptions).length > 0); // kept or not
  const reported = denying.length > 0 || warning.length > 0;
  const notes = violates ? (exemptionNotes(template, reported ? undefined : old, exemptions) ?? []) : [];
  const warnings = [...notes, ...warning.map((m) => `DevOpsPolicy ${m.policy}: ${m.finding.message} (severity ${m.severity})`)];
  const response = denying.length > 0 ? denied(uid, DENIAL_PREFIX + denying.map((m) => m.finding.message).join(", "), warnings) : allowed(uid, warnings);
  return { response, namespace, name: template.name, outcome: "evaluated", denials: denying.map((m) => m.finding.check), warnings: warning.map((m) => m.finding.check), exempted: all.filter((m) => m.exempt).map((m) => m.finding.check) };
}
