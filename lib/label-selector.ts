/**
 * @module
 * Kubernetes label selectors (`-l`): `a=b`, `a==b`, `a!=b`, `a`, `!a`,
 * `a in (x,y)`, `a notin (x)`, comma-separated and ANDed. Parsed once to
 * validate `-l` and match offline objects; live, the string goes to the server.
 */
import { usageError } from "./errors.ts";

type Requirement =
  | { op: "eq" | "neq"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: ReadonlySet<string> }
  | { op: "exists" | "absent"; key: string };

export type LabelSelector = readonly Requirement[];

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== "");
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw usageError(`Invalid label selector "${selector}": bad key "${key}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw usageError(`Invalid label selector "${selector}": bad value "${value}"`);
  return value;
}

function parseTerm(term: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = new Set((set[3] as string).split(",").map((v) => checkValue(v.trim(), selector)));
    return { op: set[2] as "in" | "notin", key: checkKey(set[1] as string, selector), values };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp) {
    return { op: cmp[2] === "!=" ? "neq" : "eq", key: checkKey(cmp[1] as string, selector), value: checkValue(cmp[3] as string, selector) };
  }
  if (term.startsWith("!")) return { op: "absent", key: checkKey(term.slice(1).trim(), selector) };
  return { op: "exists", key: checkKey(term, selector) };
}

/** Parses a selector; throws a USAGE error naming the bad part. */
export function parseLabelSelector(selector: string): LabelSelector {
  return splitTerms(selector).map((t) => parseTerm(t, selector));
}

/** True when `labels` satisfy every requirement (an empty selector matches everything). */
export function matchesLabels(selector: LabelSelector, labels: Record<string, unknown> | undefined): boolean {
  for (const r of selector) {
    const raw = labels?.[r.key];
    const value = typeof raw === "string" ? raw : undefined;
    switch (r.op) {
      case "eq":
        if (value !== r.value) return false;
        break;
      case "neq":
        if (value === r.value) return false;
        break;
      case "in":
        if (value === undefined || !r.values.has(value)) return false;
        break;
      case "notin":
        if (value !== undefined && r.values.has(value)) return false;
        break;
      case "exists":
        if (value === undefined) return false;
        break;
      case "absent":
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}
