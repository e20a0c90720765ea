/**
 * @module
 * Exemption annotations on a pod or its workload:
 * `devops.stochastic.io/exempt: "true"` (every check),
 * `devops.stochastic.io/exempt-checks: "latest_tag,missing_liveness"` (those checks; the
 * camelCase severityOverrides keys are accepted too) and an optional
 * `devops.stochastic.io/exempt-reason`. Exempt findings are reported, never scored.
 */
import { asRecord } from "../k8s-objects.ts";
import { CHECKS, isCheckId, type CheckId } from "./registry.ts";

export const EXEMPT_ANNOTATION = "devops.stochastic.io/exempt";
export const EXEMPT_CHECKS_ANNOTATION = "devops.stochastic.io/exempt-checks";
export const EXEMPT_REASON_ANNOTATION = "devops.stochastic.io/exempt-reason";
const KNOWN_KEYS: ReadonlySet<string> = new Set([EXEMPT_ANNOTATION, EXEMPT_CHECKS_ANNOTATION, EXEMPT_REASON_ANNOTATION]);

export interface Exemption {
  /** Every check is exempt. */
  all: boolean;
  checks: ReadonlySet<CheckId>;
  reason: string | undefined;
  /** Entries of exempt-checks that name no check (reported, not fatal). */
  unknown: readonly string[];
}

const ALIASES: ReadonlyMap<string, CheckId> = new Map(CHECKS.map((c) => [c.severityKey.toLowerCase(), c.id]));

function checkIdFor(token: string): CheckId | undefined {
  const t = token.trim().toLowerCase().replace(/-/g, "_");
  if (isCheckId(t)) return t;
  return ALIASES.get(t.replace(/_/g, ""));
}

/** Parses the exemption annotations of one object; undefined when it has none. */
export function parseExemption(annotations: unknown): Exemption | undefined {
  const map = asRecord(annotations);
  if (!map) return undefined;
  const flag = map[EXEMPT_ANNOTATION];
  const list = map[EXEMPT_CHECKS_ANNOTATION];
  if (flag === undefined && list === undefined) return undefined;
  const all = typeof flag === "string" && flag.trim().toLowerCase() === "true";
  const checks = new Set<CheckId>();
  const unknown: string[] = [];
  if (typeof list === "string") {
    for (const token of list.split(",")) {
      if (token.trim() === "") continue;
      const id = checkIdFor(token);
      if (id) checks.add(id);
      else unknown.push(token.trim());
    }
  }
  if (!all && checks.size === 0 && unknown.length === 0) return undefined;
  const reason = map[EXEMPT_REASON_ANNOTATION];
  return { all, checks, reason: typeof reason === "string" && reason !== "" ? reason : undefined, unknown };
}

/**
 * What in an object's exemption annotations cannot mean what its author wanted, one message
 * each: a value that is not a string (`exempt: true` unquoted is a YAML boolean; the API server
 * refuses it, and it is not honoured here) and exempt-checks entries that name no check (a
 * typo such as `missing_livness` would otherwise leave the check scored without a word).
 */
export function lintExemptionAnnotations(annotations: unknown): string[] {
  const map = asRecord(annotations);
  if (!map) return [];
  const problems: string[] = [];
  for (const key of KNOWN_KEYS) {
    const value = map[key];
    if (value === undefined || typeof value === "string") continue;
    const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    problems.push(`annotation ${key}: ${shown} is not a string, so it is not honoured (annotation values must be strings, kubectl refuses others): quote it, e.g. "${shown}"`);
  }
  // only "true" exempts (and "false" says so on purpose): `exempt: "yes"`, or an unquoted `yes` that
  // YAML 1.2 reads as a string (kubectl's YAML 1.1, as a boolean), left every check on without a word
  const flag = map[EXEMPT_ANNOTATION];
  if (typeof flag === "string" && flag.trim() !== "" && !/^(true|false)$/i.test(flag.trim())) {
    problems.push(`annotation ${EXEMPT_ANNOTATION}: ${JSON.stringify(flag)} is not "true", so it exempts nothing (write "true", or list checks in ${EXEMPT_CHECKS_ANNOTATION})`);
  }
  // a misspelt key (`exempt-check`, `exempt_checks`) is read by nothing: the checks stay on without a word
  for (const key of Object.keys(map)) {
    if (key.startsWith(EXEMPT_ANNOTATION) && !KNOWN_KEYS.has(key)) {
      problems.push(`annotation ${key} is not one kube-devops reads, so it exempts nothing (known: ${[...KNOWN_KEYS].join(", ")})`);
    }
  }
  const unknown = parseExemption(map)?.unknown ?? [];
  if (unknown.length > 0) {
    problems.push(`annotation ${EXEMPT_CHECKS_ANNOTATION} names no check: ${unknown.map((u) => JSON.stringify(u)).join(", ")} (known: ${CHECKS.map((c) => c.id).join(", ")})`);
  }
  return problems;
}

/** The union of several exemptions (pod and workload); undefined when none applies. */
export function mergeExemptions(...items: (Exemption | undefined)[]): Exemption | undefined {
  const present = items.filter((e): e is Exemption => e !== undefined);
  if (present.length <= 1) return present[0];
  const checks = new Set<CheckId>();
  for (const e of present) for (const id of e.checks) checks.add(id);
  return {
    all: present.some((e) => e.all),
    checks,
    reason: present.find((e) => e.reason !== undefined)?.reason,
    unknown: present.flatMap((e) => e.unknown),
  };
}

/**
 * The exemption that applies to a pod or pod template: its own annotations merged with its
 * workload's (parsed once by the caller); none when exemptions are switched off
 * (`--no-exemptions`). Scoring, admission and enforcement all take it from here.
 */
export function resolveExemption(annotations: unknown, options: { exemptions?: boolean; workloadExemption?: Exemption | undefined }): Exemption | undefined {
  if (options.exemptions === false) return undefined;
  return mergeExemptions(parseExemption(annotations), options.workloadExemption);
}

/** True when `exemption` covers `check`. */
export function isExempt(exemption: Exemption | undefined, check: CheckId): boolean {
  return exemption !== undefined && (exemption.all || exemption.checks.has(check));
}
