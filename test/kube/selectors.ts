/**
 * @module
 * Label selectors (equality and set-based, k8s.io/apimachinery/pkg/labels) and field selectors
 * (k8s.io/apimachinery/pkg/fields) as the API server parses and matches them.
 */
import { badRequest } from "./status.ts";
import type { KubeObject } from "./types.ts";

type Op = "=" | "!=" | "in" | "notin" | "exists" | "!";

interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

export type LabelSelector = Requirement[];

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, raw: string): void {
  if (!KEY.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: ${JSON.stringify(raw)}: invalid label key "${key}"`);
}

function checkValue(v: string, raw: string): void {
  if (!VALUE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: ${JSON.stringify(raw)}: invalid label value: "${v}"`);
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws 400 on syntax errors. */
export function parseLabelSelector(raw: string | null | undefined): LabelSelector {
  if (!raw || raw.trim() === "") return [];
  const reqs: Requirement[] = [];
  for (const part0 of splitTop(raw)) {
    const part = part0.trim();
    if (part === "") throw badRequest(`unable to parse requirement: found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(",").map((v) => v.trim());
      checkKey(m[1]!, part);
      values.forEach((v) => checkValue(v, part));
      reqs.push({ key: m[1]!, op: m[2] as Op, values });
    } else if ((m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      checkKey(m[1]!, part);
      checkValue(m[3]!, part);
      reqs.push({ key: m[1]!, op: m[2] === "!=" ? "!=" : "=", values: [m[3]!] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1]!, part);
      reqs.push({ key: m[1]!, op: "!", values: [] });
    } else if (/^\S+$/.test(part)) {
      checkKey(part, part);
      reqs.push({ key: part, op: "exists", values: [] });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return reqs;
}

/** Matches labels against a parsed selector (an empty selector matches everything). */
export function matchLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const v = has ? labels![r.key] : undefined;
    switch (r.op) {
      case "=":
        if (v !== r.values[0]) return false;
        break;
      case "!=":
        if (has && v === r.values[0]) return false;
        break;
      case "in":
        if (!has || !r.values.includes(v!)) return false;
        break;
      case "notin":
        if (has && r.values.includes(v!)) return false;
        break;
      case "exists":
        if (!has) return false;
        break;
      case "!":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A metav1.LabelSelector object (matchLabels/matchExpressions) as a parsed selector. */
export function fromLabelSelectorObject(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: "=", values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op: Op = e.operator === "In" ? "in" : e.operator === "NotIn" ? "notin" : e.operator === "Exists" ? "exists" : "!";
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Parses `metadata.name=x,status.phase!=Running`; rejects fields the resource does not support. */
export function parseFieldSelector(raw: string | null | undefined, supported: string[]): FieldSelector {
  if (!raw || raw.trim() === "") return [];
  const out: FieldRequirement[] = [];
  for (const part0 of raw.split(",")) {
    const part = part0.trim();
    const m = part.match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${raw}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, op: m[2] === "!=" ? "!=" : "=", value: m[3]!.replace(/\\(.)/g, "$1") });
  }
  return out;
}

/** Reads a dotted field path as the string field selectors compare against. */
function readField(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}

export function matchFields(sel: FieldSelector, obj: KubeObject): boolean {
  for (const r of sel) {
    const v = readField(obj, r.field);
    if (r.op === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}
