/**
 * @module
 * Validates DevOpsPolicies from any source (a file, the API, a bundle) with the one
 * schema, and reports every problem by field path — and by file:line for YAML files.
 */
import * as v from "valibot";
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import { KubeDevopsError } from "../errors.ts";
import { findNonPrintable } from "../manifests/parse-manifests.ts";
import { DevOpsPolicySchema, DevOpsPolicySpecSchema, type DevOpsPolicy, type DevOpsPolicySpec } from "./schema.ts";

/** One problem: the dotted field path (`spec.defaultProbe.tcpPort`) and what is wrong. */
export interface PolicyIssue {
  path: string;
  message: string;
  /** 1-based line in the source file, when the policy came from YAML. */
  line?: number;
}

export type PolicyCheck<T> = { ok: true; value: T } | { ok: false; issues: PolicyIssue[] };

/** The API server prunes nulls before validating; a file's `field: null` means "absent" too. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = dropNulls(item);
  return out;
}

type AnySchema = v.GenericSchema & { entries?: Record<string, AnySchema>; wrapped?: AnySchema; item?: AnySchema };

/** valibot's object() drops unknown keys silently; a typo in a policy must not. */
function findUnknownFields(schema: AnySchema, value: unknown, path: string[], out: PolicyIssue[]): void {
  const inner = schema.type === "optional" && schema.wrapped ? schema.wrapped : schema;
  if (inner.type === "array" && inner.item && Array.isArray(value)) {
    value.forEach((item, i) => findUnknownFields(inner.item as AnySchema, item, [...path, String(i)], out));
    return;
  }
  if (inner.type !== "object" || !inner.entries || value === null || typeof value !== "object" || Array.isArray(value)) return;
  const known = Object.keys(inner.entries);
  for (const [key, item] of Object.entries(value)) {
    const entry = inner.entries[key];
    if (entry) findUnknownFields(entry, item, [...path, key], out);
    else out.push({ path: [...path, key].join("."), message: `unknown field${suggest(key, known)}` });
  }
}

function suggest(key: string, known: string[]): string {
  const ranked = known.map((k) => [k, editDistance(key.toLowerCase(), k.toLowerCase())] as const).sort((a, b) => a[1] - b[1]);
  const best = ranked[0];
  return best && best[1] <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean ${best[0]}?)` : ` (known: ${known.join(", ")})`;
}

/** Levenshtein distance, for "did you mean" on mistyped field names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function check<T>(schema: AnySchema, value: unknown, prefix: string[]): PolicyCheck<T> {
  const cleaned = dropNulls(value);
  const issues: PolicyIssue[] = [];
  findUnknownFields(schema, cleaned, prefix, issues);
  const result = v.safeParse(schema, cleaned);
  if (!result.success) {
    for (const issue of result.issues) {
      const path = [...prefix, ...(issue.path ?? []).map((item) => String(item.key))].join(".") || "(root)";
      issues.push({ path, message: issue.message });
    }
  }
  return issues.length === 0 && result.success ? { ok: true, value: result.output as T } : { ok: false, issues };
}

/** Validates a policy spec on its own (bundles, `analyze --policy`): issues name `spec.<field>`. */
export function checkPolicySpec(spec: unknown): PolicyCheck<DevOpsPolicySpec> {
  return check<DevOpsPolicySpec>(DevOpsPolicySpecSchema as AnySchema, spec, ["spec"]);
}

/**
 * Validates a whole DevOpsPolicy object (from the API or a file). Its `status` is not judged and
 * not returned: the server writes it (whichever operator version runs there: a status field newer
 * than this binary failed `enforce --policy` and `analyze --policy ns/name`), and a file's status
 * is never applied.
 */
export function checkPolicy(object: unknown): PolicyCheck<DevOpsPolicy> {
  const withoutStatus =
    object !== null && typeof object === "object" && !Array.isArray(object) && "status" in object
      ? Object.fromEntries(Object.entries(object).filter(([key]) => key !== "status"))
      : object;
  return check<DevOpsPolicy>(DevOpsPolicySchema as AnySchema, withoutStatus, []);
}

/** Formats issues one per line: `<where>: <path>: <message>`. */
export function formatIssues(issues: readonly PolicyIssue[], where: string): string {
  return issues.map((i) => `${where}${i.line === undefined ? "" : `:${i.line}`}: ${i.path}: ${i.message}`).join("\n");
}

/** Returns the policy or throws an INPUT error listing every issue, e.g. `prod/web: spec.maxRestartCount: ...`. */
export function parsePolicy(object: unknown, source = "policy"): DevOpsPolicy {
  const result = checkPolicy(object);
  if (result.ok) return result.value;
  throw new KubeDevopsError("INPUT", `Invalid DevOpsPolicy:\n${formatIssues(result.issues, source)}`);
}

/** A document of a multi-document YAML file (or an item of a List document): its 1-based start line and its parsed value. */
export interface YamlPolicyDocument {
  index: number;
  line: number;
  kind: string | undefined;
  /** metadata.name of a document of another kind: import names a Namespace it does not create. */
  name?: string;
  policy?: DevOpsPolicy;
}

function lineOf(doc: Document, counter: LineCounter, path: string): number | undefined {
  const keys = path === "(root)" ? [] : path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  // The deepest key that exists in the document: a missing field points at its parent.
  for (let n = keys.length; n > 0; n--) {
    const offset = findKeyNode(doc, keys.slice(0, n));
    if (offset !== undefined) return counter.linePos(offset).line;
  }
  return undefined;
}

/** The offset of the key itself (so an unknown or wrong field points at its own line). */
function findKeyNode(doc: Document, keys: (string | number)[]): number | undefined {
  const parent = doc.getIn(keys.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
  const last = keys[keys.length - 1];
  const item = parent?.items?.find((p) => p.key?.value === last);
  return item?.key?.range?.[0];
}

/**
 * The objects of a document: itself, or the items of a List (`kubectl get dop -o yaml`) with
 * their paths; the items of a typed list (`DevOpsPolicyList`) take its kind and apiVersion when
 * they leave them out.
 */
function objectsOf(value: unknown): { value: unknown; path: (string | number)[] }[] {
  const rec = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as { apiVersion?: unknown; kind?: unknown; items?: unknown }) : undefined;
  if (!rec || !Array.isArray(rec.items) || (typeof rec.kind === "string" && !rec.kind.endsWith("List"))) return [{ value, path: [] }];
  const typed = typeof rec.kind === "string" && rec.kind !== "List" ? { kind: rec.kind.slice(0, -4), apiVersion: rec.apiVersion } : undefined;
  return rec.items.map((item: unknown, i: number) => {
    const own = item !== null && typeof item === "object" && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
    const filled = typed && own ? { ...(own.apiVersion === undefined ? { apiVersion: typed.apiVersion } : {}), ...(own.kind === undefined ? { kind: typed.kind } : {}), ...own } : item;
    return { value: filled, path: ["items", i] };
  });
}

/** The fields of a Kubernetes ObjectMeta: anything else in a file's `metadata` is a typo the API server would drop. */
const OBJECT_META_FIELDS = [
  "name", "namespace", "labels", "annotations", "generateName", "uid", "resourceVersion", "generation", "creationTimestamp",
  "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields", "selfLink",
];

/** A file's policy metadata: a name (import and diff address policies by it) and no unknown field. */
function checkFileMetadata(metadata: unknown): PolicyIssue[] {
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return []; // the schema names it
  const issues: PolicyIssue[] = [];
  const meta = metadata as Record<string, unknown>;
  if (typeof meta.name !== "string" || meta.name === "") issues.push({ path: "metadata.name", message: "required: a DevOpsPolicy in a file needs a name" });
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.includes(key)) issues.push({ path: `metadata.${key}`, message: `unknown field${suggest(key, OBJECT_META_FIELDS)}` });
  }
  return issues;
}

/** Problems listed at most per file: a broken file must not print megabytes to stderr. */
const MAX_PROBLEMS = 50;

const API_GROUP_PREFIX = "devops.stochastic.io/";
const OUR_KINDS = ["DevOpsPolicy", "PolicyAuditResult"];

/**
 * Why a document is not a Kubernetes object kube-devops can read, or undefined when it is:
 * garbage (a scalar, a sequence), an object without kind, or a kind that can only be a typo of
 * DevOpsPolicy (its API group, or its name in another case or the plural). Skipped quietly, any
 * of them would turn a broken file into "nothing to import" and exit 0.
 */
function describeDocumentShape(value: unknown): { path: string; message: string } | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = Array.isArray(value) ? "a sequence" : `a ${typeof value}`;
    return { path: "", message: `not a Kubernetes object (${got}, not a mapping with apiVersion and kind)` };
  }
  const { kind, apiVersion } = value as { kind?: unknown; apiVersion?: unknown };
  if (typeof kind !== "string" || kind === "") return { path: "kind", message: "not set: every document needs apiVersion and kind (kind: DevOpsPolicy)" };
  if (kind === "DevOpsPolicy" || OUR_KINDS.includes(kind)) return undefined;
  const lower = kind.toLowerCase();
  const ours = typeof apiVersion === "string" && apiVersion.startsWith(API_GROUP_PREFIX);
  if (ours || lower === "devopspolicies" || editDistance(lower, "devopspolicy") <= 2) {
    return { path: "kind", message: `unknown kind "${kind}"${ours ? ` in ${apiVersion}` : ""} (did you mean DevOpsPolicy?)` };
  }
  return undefined;
}

/**
 * Parses every document of a YAML file and validates each DevOpsPolicy, also the items of a
 * List (`kind: List` or `DevOpsPolicyList`, as `kubectl get devopspolicies -o yaml` prints); throws
 * one INPUT error naming file:line and field path of every problem in every document, so callers
 * can validate all before applying any — a document that is no object, has no kind or a mistyped
 * DevOpsPolicy kind, or a policy whose metadata has no name or an unknown field, included.
 * Objects of other kinds are returned unvalidated.
 */
export function parsePolicyDocuments(text: string, file: string): YamlPolicyDocument[] {
  // Binary junk parses as YAML scalars and errors on nearly every line (megabytes of them): one line says it.
  const binary = findNonPrintable(text);
  if (binary) throw new KubeDevopsError("INPUT", `Invalid policy file ${file}:\n${file}:${binary.line}:${binary.column}: ${binary.message}`, { hint: "Nothing was applied; give a YAML or JSON file of DevOpsPolicies" });
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const problems: string[] = [];
  const out: YamlPolicyDocument[] = [];
  docs.forEach((doc, index) => {
    const docLine = counter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    if (doc.errors.length > 0) {
      for (const err of doc.errors) problems.push(`${file}:${counter.linePos(err.pos[0]).line}: ${err.message.split("\n")[0]}`);
      return;
    }
    for (const { value, path } of objectsOf(doc.toJS() as unknown)) {
      if (value === null || value === undefined) continue;
      const node = path.length > 0 ? (doc.getIn(path, true) as { range?: [number, number, number] } | undefined) : undefined;
      const line = node?.range ? counter.linePos(node.range[0]).line : docLine;
      const prefix = path.join(".");
      const shapeProblem = describeDocumentShape(value);
      if (shapeProblem) {
        const at = shapeProblem.path === "" ? line : (lineOf(doc, counter, [prefix, shapeProblem.path].filter(Boolean).join(".")) ?? line);
        problems.push(`${file}:${at}: ${[prefix, shapeProblem.path].filter(Boolean).join(".") || "(root)"}: ${shapeProblem.message}`);
        continue;
      }
      const kind = (value as { kind: string }).kind;
      if (kind !== "DevOpsPolicy") {
        const name = (value as { metadata?: { name?: unknown } }).metadata?.name;
        out.push({ index, line, kind, ...(typeof name === "string" ? { name } : {}) });
        continue;
      }
      const result = checkPolicy(value);
      const issues = [...checkFileMetadata((value as { metadata?: unknown }).metadata), ...(result.ok ? [] : result.issues)];
      if (issues.length === 0 && result.ok) out.push({ index, line, kind, policy: result.value });
      else {
        for (const issue of issues) {
          const fieldPath = prefix === "" ? issue.path : issue.path === "(root)" ? prefix : `${prefix}.${issue.path}`;
          problems.push(formatIssues([{ ...issue, path: fieldPath, line: lineOf(doc, counter, fieldPath) ?? line }], file));
        }
      }
    }
  });
  if (problems.length > 0) {
    const shown = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`] : problems;
    throw new KubeDevopsError("INPUT", `Invalid policy file ${file}:\n${shown.join("\n")}`, { hint: "Nothing was applied; fix every listed field and retry" });
  }
  return out;
}
