/**
 * @module
 * The JSONPath subset CRD additionalPrinterColumns use: `.a.b`, `.a[0]`, `.a[*].b`,
 * `.a[?(@.type=="Ready")].status`, `['dotted.key']`.
 */
import { isObj } from "./util.ts";

type Step = { kind: "field"; name: string } | { kind: "index"; index: number } | { kind: "all" } | { kind: "filter"; path: string[]; op: "==" | "!="; value: unknown };

function parse(path: string): Step[] {
  let p = path.trim();
  if (p.startsWith("{") && p.endsWith("}")) p = p.slice(1, -1);
  if (p.startsWith("$")) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === ".") {
      i++;
      let name = "";
      while (i < p.length && p[i] !== "." && p[i] !== "[") name += p[i++];
      if (name) steps.push({ kind: "field", name });
    } else if (p[i] === "[") {
      const end = p.indexOf("]", p[i + 1] === "?" ? p.indexOf(")", i) : i);
      const inner = p.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === "*") steps.push({ kind: "all" });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: "index", index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: "field", name: inner.slice(1, -1) });
      else {
        const m = inner.match(/^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)\)$/);
        if (!m) return [];
        const raw = m[3]!.trim();
        const value = /^['"].*['"]$/.test(raw) ? raw.slice(1, -1) : raw === "true" ? true : raw === "false" ? false : Number(raw);
        steps.push({ kind: "filter", path: m[1]!.slice(1).split("."), op: m[2] as "==" | "!=", value });
      }
    } else i++;
  }
  return steps;
}

function readPath(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const seg of path) cur = isObj(cur) ? cur[seg] : undefined;
  return cur;
}

/** Evaluates `path` against `obj`, returning every match. */
export function evaluateJsonPath(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (step.kind === "field") {
        if (isObj(v) && v[step.name] !== undefined) next.push(v[step.name]);
      } else if (step.kind === "index") {
        if (Array.isArray(v)) {
          const item = v[step.index < 0 ? v.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === "all") {
        if (Array.isArray(v)) next.push(...v);
        else if (isObj(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          const x = readPath(item, step.path);
          const eq = x === step.value || String(x) === String(step.value);
          if (step.op === "==" ? eq : !eq) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}
