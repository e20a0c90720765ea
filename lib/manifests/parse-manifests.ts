/**
 * @module
 * Turns the text of one input (YAML with any number of documents, JSON, JSON
 * lines) into Kubernetes objects tagged with file and line. Lists (`List`,
 * `PodList`, ...), watch events and AdmissionReviews are unwrapped. Invalid
 * input throws an INPUT error naming file, line and column.
 */
import { parseAllDocuments, visit, type Alias } from "yaml";
import { KubeDevopsError } from "../errors.ts";
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import { documentLines, documentStartLines, listItemLines } from "./document-lines.ts";
import { findDuplicateKey } from "./duplicate-keys.ts";
import { reindentQuotedScalars } from "./reindent-quoted-scalars.ts";

/** What stdin (`-f -`, `--policy -`) is called in messages and reports: `-` reads as a typo there. */
export const STDIN_NAME = "<stdin>";

export interface SourcedObject {
  object: KubeObjectLike;
  /** The input's name as the user gave it ({@link STDIN_NAME} for stdin); undefined for objects read from the API. */
  file: string | undefined;
  /** 1-based line of the object's document, when known. */
  line: number | undefined;
  /** From a watch stream event (replayed: the last state counts). */
  event?: boolean;
  /** From a watch stream's DELETED event: removes the object. */
  deleted?: boolean;
}

/** Where an object was read: `file:line`, or `file` when the line is unknown; undefined for objects from the API. */
export function sourceLocation(s: Pick<SourcedObject, "file" | "line">): string | undefined {
  if (s.file === undefined) return undefined;
  return s.line === undefined ? s.file : `${s.file}:${s.line}`;
}

interface ParsedDoc {
  value: unknown;
  line: number | undefined;
  /** Start lines of a List's items, when found for each of them. */
  itemLines?: readonly number[] | undefined;
}

interface ErrorPosition {
  line: number | undefined;
  column: number | undefined;
  message: string | undefined;
}

/** 1-based line and column of a character offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** YAML allows tab, line breaks and printable characters only (c-printable); Bun refuses the rest. */
const NON_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u0080-\u0084\u0086-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Bun's native YAML parser is ~10x faster but its errors carry no position, so
 * on failure the text is parsed again by the `yaml` library to locate the error:
 * a syntax error it reports, an alias whose anchor is not defined before it, or
 * else the first character YAML does not allow (binary junk).
 */
function locateYamlError(text: string): ErrorPosition {
  for (const doc of parseAllDocuments(text)) {
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      return { line: pos?.line, column: pos?.col, message: first.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") };
    }
    let unresolved: Alias | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined) return undefined;
        unresolved = node;
        return visit.BREAK;
      },
    });
    if (unresolved?.range) {
      return { ...positionOf(text, unresolved.range[0]), message: `unresolved alias *${unresolved.source} (no anchor &${unresolved.source} before it)` };
    }
  }
  return findNonPrintable(text) ?? { line: undefined, column: undefined, message: undefined };
}

/** The first character YAML does not allow (binary junk), with its position; undefined in a text file. */
export function findNonPrintable(text: string): { line: number; column: number; message: string } | undefined {
  const bad = NON_PRINTABLE.exec(text);
  if (!bad) return undefined;
  const code = (bad[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
  return { ...positionOf(text, bad.index), message: `character U+${code} is not allowed in YAML (is this a text file?)` };
}

/** A repeated key of a block mapping (the `yaml` library decides what the line scanner cannot). */
function findRepeatedKey(text: string): ErrorPosition | undefined {
  const scan = findDuplicateKey(text);
  if (scan === undefined) return undefined;
  if (scan !== "unsure") return { line: scan.line, column: scan.column, message: `mapping key ${JSON.stringify(scan.key)} already defined at line ${scan.firstLine}` };
  for (const doc of parseAllDocuments(text)) {
    const dup = doc.errors.find((e) => e.code === "DUPLICATE_KEY");
    if (dup) return { line: dup.linePos?.[0].line, column: dup.linePos?.[0].col, message: "mapping key already defined (map keys must be unique)" };
  }
  return undefined;
}

function inputError(file: string, line: number | undefined, column: number | undefined, what: string, err: unknown): KubeDevopsError {
  const where = line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
  const detail = err instanceof Error ? err.message.replace(/^(YAML|JSON) Parse error: /, "") : String(err);
  return new KubeDevopsError("INPUT", `${where}: invalid ${what}: ${detail}`, {
    cause: err,
    hint: "fix the document, or leave the file out of -f",
  });
}

function parseYaml(text: string, file: string): ParsedDoc[] {
  let value: unknown;
  let parsed = text;
  try {
    value = Bun.YAML.parse(text);
  } catch (err) {
    const repaired = reindentQuotedScalars(text);
    try {
      if (repaired === undefined) throw err;
      value = Bun.YAML.parse(repaired);
      parsed = repaired;
    } catch {
      const pos = locateYamlError(text);
      throw inputError(file, pos.line, pos.column, "YAML", pos.message ?? err);
    }
  }
  // Bun keeps the last of two equal keys; kubectl's strict decoding and the yaml library refuse them.
  const repeated = findRepeatedKey(parsed);
  if (repeated) throw inputError(file, repeated.line, repeated.column, "YAML", repeated.message);
  const docs = Array.isArray(value) ? value : [value];
  // One pass finds both, unless the text was repaired: documents by the text as given, items by the text parsed.
  const layout = parsed === text ? documentLines(text) : undefined;
  const lines = layout?.starts ?? documentStartLines(text);
  const aligned = lines.length === docs.length;
  const items = aligned ? (layout?.items ?? listItemLines(parsed)) : [];
  return docs.map((v, i) => ({ value: v, line: aligned ? lines[i] : undefined, itemLines: items[i] }));
}

function parseJsonLines(text: string, file: string): ParsedDoc[] {
  const docs: ParsedDoc[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    try {
      docs.push({ value: JSON.parse(line), line: i + 1 });
    } catch (err) {
      throw inputError(file, i + 1, undefined, "JSON", err);
    }
  }
  return docs;
}

function looksLikeJsonLines(text: string): boolean {
  const lines = text.split("\n", 3).filter((l) => l.trim() !== "");
  return lines.length > 1 && lines.every((l) => l.trimStart().startsWith("{") && l.trimEnd().endsWith("}"));
}

/** Parses one input into documents (not yet unwrapped). */
function parseDocuments(text: string, file: string): ParsedDoc[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      return [{ value: JSON.parse(body), line: 1 }];
    } catch {
      if (looksLikeJsonLines(body)) return parseJsonLines(body, file);
      // JSON is YAML: the YAML parser either accepts it or says where it breaks.
    }
  }
  return parseYaml(body, file);
}

const WATCH_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

function itemKindOf(listKind: unknown, item: Record<string, unknown>): string | undefined {
  if (typeof item.kind === "string") return item.kind;
  if (typeof listKind === "string" && listKind.endsWith("List") && listKind !== "List") return listKind.slice(0, -4);
  const spec = asRecord(item.spec);
  return Array.isArray(spec?.containers) ? "Pod" : undefined;
}

/** A document (or an element of a top-level sequence) that is not an object: a scalar such as `oops`. */
export interface NonObjectDocument {
  file: string;
  line: number | undefined;
  /** `the string "oops"`, `number 3`. */
  value: string;
}

function describeScalar(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function unwrap(value: unknown, file: string, line: number | undefined, out: SourcedObject[], depth = 0, itemLines?: readonly number[], notObjects?: NonObjectDocument[]): void {
  if (depth > 4) return;
  if (Array.isArray(value)) {
    for (const v of value) unwrap(v, file, line, out, depth + 1, undefined, notObjects);
    return;
  }
  const rec = asRecord(value);
  if (!rec) {
    // An empty document (`---` alone, comments only) is nothing; a scalar is something that was not read.
    if (value !== null && value !== undefined) notObjects?.push({ file, line, value: describeScalar(value) });
    return;
  }
  if (Array.isArray(rec.items) && (typeof rec.kind !== "string" || rec.kind.endsWith("List"))) {
    // Each item at its own line when the scan found exactly one per item, else at the List's.
    const lines = itemLines?.length === rec.items.length ? itemLines : undefined;
    rec.items.forEach((raw: unknown, i: number) => {
      const item = asRecord(raw);
      if (!item) return;
      const kind = itemKindOf(rec.kind, item);
      unwrap(kind && item.kind !== kind ? { ...item, kind } : item, file, lines?.[i] ?? line, out, depth + 1);
    });
    return;
  }
  if (typeof rec.type === "string" && WATCH_TYPES.has(rec.type) && asRecord(rec.object) && rec.kind === undefined) {
    if (rec.type === "BOOKMARK" || rec.type === "ERROR") return;
    out.push({ object: rec.object as KubeObjectLike, file, line, event: true, ...(rec.type === "DELETED" ? { deleted: true } : {}) });
    return;
  }
  // AdmissionReview envelopes and bare AdmissionRequests: the object under review.
  const request = rec.kind === "AdmissionReview" ? asRecord(rec.request) : asRecord(rec.kind) && "object" in rec ? rec : undefined;
  if (request) {
    const object = asRecord(request.object);
    if (object) {
      const kind = object.kind ?? asRecord(request.kind)?.kind;
      // An object being created has not run: its `status` (phase Pending) is the API server's default, not a stuck pod.
      const { status: _defaulted, ...created } = object;
      out.push({ object: { ...(request.operation === "CREATE" ? created : object), kind } as KubeObjectLike, file, line });
    }
    return;
  }
  out.push({ object: rec as KubeObjectLike, file, line });
}

/**
 * Parses one input's text into objects; throws an INPUT error naming `file:line:column`.
 * Documents that are no object (scalars) are left out, and added to `notObjects` when given.
 */
/** What a parse saw besides the objects: `documents` that were not empty (an empty List counts: it is a listing of nothing). */
export interface ParseStats {
  documents: number;
}

export function parseManifests(text: string, file: string, notObjects?: NonObjectDocument[], stats?: ParseStats): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const doc of parseDocuments(text, file)) {
    if (stats && doc.value !== null && doc.value !== undefined) stats.documents++;
    unwrap(doc.value, file, doc.line, out, 0, doc.itemLines, notObjects);
  }
  return out;
}
