/**
 * @module
 * A small Go-template evaluator for the subset of Helm the generated chart uses (helm itself is
 * not installable here): `{{ }}`/`{{- }}`, if/else/with/range/end, field paths resolved against
 * the dot as Go does, string literals, parentheses, pipelines, and the functions quote, default,
 * printf (%s), eq, ne, not, and, or, int, toYaml, nindent. Anything else throws, so the chart cannot quietly grow
 * template logic this evaluator (and the chart's tests) do not understand. Numbers print as Go
 * prints Helm's values, which are float64 (1000000 → 1e+06); `int` gives an integer (a bigint here).
 */
import { stringify } from "yaml";

type Node = { type: "text"; text: string } | { type: "action"; expr: string } | { type: "block"; keyword: "if" | "with" | "range"; expr: string; body: Node[]; orElse: Node[] };

/** Splits the template into text and actions, applying `{{-` / `-}}` whitespace trimming. */
function lex(template: string): ({ text: string } | { action: string })[] {
  const parts: ({ text: string } | { action: string })[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push({ text: rest });
      break;
    }
    let text = rest.slice(0, open);
    let close = open + 2;
    let inString = false;
    for (; close < rest.length; close++) {
      const ch = rest[close];
      if (ch === '"' && rest[close - 1] !== "\\") inString = !inString;
      if (!inString && rest.startsWith("}}", close)) break;
    }
    let action = rest.slice(open + 2, close);
    if (action.startsWith("-")) {
      text = text.replace(/\s+$/, "");
      action = action.slice(1);
    }
    let after = rest.slice(close + 2);
    if (action.endsWith("-")) {
      action = action.slice(0, -1);
      after = after.replace(/^\s+/, "");
    }
    parts.push({ text }, { action: action.trim() });
    rest = after;
  }
  return parts;
}

function parse(parts: ReturnType<typeof lex>): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { type: "block" }>; inElse: boolean }[] = [];
  const target = () => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.orElse : top.node.body) : root;
  };
  for (const part of parts) {
    if ("text" in part) {
      if (part.text) target().push({ type: "text", text: part.text });
      continue;
    }
    const [keyword = "", ...rest] = part.action.split(/\s+/);
    if (keyword === "if" || keyword === "with" || keyword === "range") {
      const node: Extract<Node, { type: "block" }> = { type: "block", keyword, expr: rest.join(" "), body: [], orElse: [] };
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (keyword === "else") {
      const top = stack[stack.length - 1];
      if (!top || rest.length > 0) throw new Error(`unsupported else: {{ ${part.action} }}`);
      top.inElse = true;
    } else if (keyword === "end") {
      if (!stack.pop()) throw new Error("unbalanced {{ end }}");
    } else target().push({ type: "action", expr: part.action });
  }
  if (stack.length > 0) throw new Error("missing {{ end }}");
  return root;
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === 0n || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** A float64 as Go's %v prints it: shortest digits, exponent form below 1e-4 and from 1e6 on. */
function goFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
  const [mantissa = "", exponent = "0"] = v.toExponential().split("e");
  const exp = Number(exponent);
  if (v === 0 || (exp >= -4 && exp < 6)) return String(v);
  return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function goString(v: unknown): string {
  if (typeof v === "number") return goFloat(v);
  return v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** Splits `s` on `sep` outside string literals and parentheses. */
function splitTop(s: string, sep: RegExp): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '"' && s[i - 1] !== "\\") inString = !inString;
    if (inString) continue;
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth === 0 && sep.test(ch)) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  quote: (v) => JSON.stringify(goString(v)),
  default: (fallback, v) => (truthy(v) ? v : fallback),
  printf: (format, ...args) => {
    let i = 0;
    return String(format).replace(/%s/g, () => goString(args[i++]));
  },
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  not: (v) => !truthy(v),
  // Go's or: the first truthy argument, else the last
  or: (...args) => args.find((v) => truthy(v)) ?? args[args.length - 1],
  // Go's and: the first falsy argument, else the last
  and: (...args) => args.find((v) => !truthy(v)) ?? args[args.length - 1],
  // sprig's int (cast.ToInt): numbers truncated, numeric strings parsed, anything else 0
  int: (v) => {
    const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : 0;
    return BigInt(Math.trunc(Number.isFinite(n) ? n : 0));
  },
  toYaml: (v) => stringify(v, { lineWidth: 0 }).replace(/\n$/, ""),
  nindent: (n, text) => `\n${String(text).split("\n").map((l) => `${" ".repeat(Number(n))}${l}`).join("\n")}`,
};

function evalArg(arg: string, dot: unknown): unknown {
  if (arg.startsWith('"')) return JSON.parse(arg);
  if (/^-?\d+$/.test(arg)) return Number(arg);
  if (arg.startsWith("(") && arg.endsWith(")")) return evalPipeline(arg.slice(1, -1), dot);
  if (arg === ".") return dot;
  if (arg.startsWith(".")) {
    let v: unknown = dot;
    for (const key of arg.slice(1).split(".")) {
      if (v === null || typeof v !== "object") throw new Error(`cannot read ${arg}: not a map at ${key}`);
      v = (v as Record<string, unknown>)[key];
    }
    return v;
  }
  throw new Error(`unsupported template argument: ${arg}`);
}

function evalPipeline(expr: string, dot: unknown): unknown {
  let value: unknown;
  let first = true;
  for (const command of splitTop(expr, /\|/)) {
    const [name = "", ...args] = splitTop(command, /\s/);
    const fn = FUNCTIONS[name];
    if (!fn && args.length === 0 && first) value = evalArg(name, dot);
    else if (fn) value = fn(...args.map((a) => evalArg(a, dot)), ...(first ? [] : [value]));
    else throw new Error(`unsupported template function: ${name}`);
    first = false;
  }
  return value;
}

function renderNodes(nodes: Node[], dot: unknown): string {
  let out = "";
  for (const node of nodes) {
    if (node.type === "text") out += node.text;
    else if (node.type === "action") out += goString(evalPipeline(node.expr, dot));
    else {
      const value = evalPipeline(node.expr, dot);
      if (node.keyword === "if") out += renderNodes(truthy(value) ? node.body : node.orElse, dot);
      else if (node.keyword === "with") out += truthy(value) ? renderNodes(node.body, value) : renderNodes(node.orElse, dot);
      else if (Array.isArray(value) && value.length > 0) for (const item of value) out += renderNodes(node.body, item);
      else out += renderNodes(node.orElse, dot);
    }
  }
  return out;
}

/** Renders one chart template with `{ Values, Release, Chart }` as the root dot. */
export function renderHelmTemplate(template: string, context: Record<string, unknown>): string {
  return renderNodes(parse(lex(template)), context);
}
