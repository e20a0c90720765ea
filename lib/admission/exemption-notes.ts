/**
 * @module
 * Admission warnings for exemption annotations that cannot work (`exempt-checks: "latest"`,
 * `exempt: "yes"`, a misspelt key): the webhook is where an exemption is meant to take effect,
 * so a typo there would otherwise read as a bare denial, with no word that the annotation was
 * ignored. Same wording as `analyze` (lintExemptionAnnotations), prefixed with the field path.
 * Under `webhook serve --no-exemptions` every exemption annotation is ignored by the admin's
 * choice: then the note says that instead, so a developer learns exemptions are off here.
 */
import { EXEMPT_ANNOTATION, EXEMPT_CHECKS_ANNOTATION, lintExemptionAnnotations } from "../checks/exemptions.ts";
import { asRecord } from "../k8s-objects.ts";
import type { PodTemplate } from "./pod-template.ts";

/** Notes at most per response: they share the API server's warnings budget with the findings they explain. */
export const MAX_NOTES = 3;

/** True when `annotations` has a key kube-devops's exemptions could mean (no allocation: the hot path). */
function mentionsExemption(annotations: unknown): boolean {
  const map = asRecord(annotations);
  if (!map) return false;
  for (const key in map) if (key.startsWith(EXEMPT_ANNOTATION)) return true;
  return false;
}

/** Where the template's own annotations live in an object of `kind`. */
function templatePath(kind: PodTemplate["kind"]): string {
  if (kind === "Pod") return "metadata.annotations";
  if (kind === "CronJob") return "spec.jobTemplate.spec.template.metadata.annotations";
  return "spec.template.metadata.annotations";
}

/** `devops.stochastic.io/exempt, devops.stochastic.io/exempt-checks`: the keys that would exempt, as written. */
function exemptingKeys(annotations: unknown): string[] {
  const map = asRecord(annotations);
  return map ? [EXEMPT_ANNOTATION, EXEMPT_CHECKS_ANNOTATION].filter((k) => map[k] !== undefined) : [];
}

function disabledNotesOf(template: PodTemplate): string[] {
  const notes: string[] = [];
  const said = (path: string, keys: string[]) => `DevOpsPolicy: ${path}: ${keys.length === 1 ? "annotation" : "annotations"} ${keys.join(", ")} not honoured: this cluster's admission ignores exemption annotations (webhook serve --no-exemptions)`;
  const own = exemptingKeys(template.annotations);
  if (own.length > 0) notes.push(said(templatePath(template.kind), own));
  const workload = exemptingKeys(template.workloadAnnotations);
  if (workload.length > 0) notes.push(said("metadata.annotations", workload));
  return notes;
}

function notesOf(template: PodTemplate, exemptions: boolean): string[] {
  if (!exemptions) return disabledNotesOf(template);
  const notes: string[] = [];
  if (mentionsExemption(template.annotations)) {
    for (const problem of lintExemptionAnnotations(template.annotations)) notes.push(`DevOpsPolicy: ${templatePath(template.kind)}: ${problem}`);
  }
  if (mentionsExemption(template.workloadAnnotations)) {
    for (const problem of lintExemptionAnnotations(template.workloadAnnotations)) notes.push(`DevOpsPolicy: metadata.annotations: ${problem}`);
  }
  return notes;
}

/**
 * The warnings for `template`'s exemption annotations that cannot work (all of them when `exemptions`
 * is false: `--no-exemptions`); on UPDATE only those the
 * old object did not already have (a relabel says nothing twice, as for findings: decision 0012).
 * Undefined when there are none.
 */
export function exemptionNotes(template: PodTemplate, old: PodTemplate | undefined, exemptions = true): string[] | undefined {
  if (!mentionsExemption(template.annotations) && !mentionsExemption(template.workloadAnnotations)) return undefined;
  let notes = notesOf(template, exemptions);
  if (old && notes.length > 0) {
    const before = new Set(notesOf(old, exemptions));
    notes = notes.filter((n) => !before.has(n));
  }
  if (notes.length > MAX_NOTES) notes = [...notes.slice(0, MAX_NOTES - 1), `DevOpsPolicy: … and ${notes.length - MAX_NOTES + 1} more exemption annotation problems (kube-devops analyze -f names each)`];
  return notes.length > 0 ? notes : undefined;
}
