/**
 * @module
 * Turns the text of one input (YAML with any number of documents, JSON, JSON
 * lines) into Kubernetes objects tagged with file and line. Lists (`List`,
 * `PodList`, ...), watch events and AdmissionReviews are unwrapped. Invalid
 * input throws an INPUT error naming file, line and column.
 */
import { parseAllDocuments } from "yaml";
import { KubeDevopsError } from "../errors.ts";
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import { documentStartLines } from "./document-lines.ts";
import { reindentQuotedScalars } from "./reindent-quoted-scalars.ts";

export interface SourcedObject {
  object: KubeObjectLike;
  /** The input's name as the user gave it (`-` for stdin); undefined for objects read from the API. */
  file: string | undefined;
  /** 1-based line of the object's document, when known. */
  line: number | undefined;
  /** From a watch stream event (replayed: the last state counts). */
  event?: boolean;
  /** From a watch stream's DELETED event: removes the object. */
  deleted?: boolean;
}

interface ParsedDoc {
  value: unknown;
  line: number | undefined;
}

/**
 * Bun's native YAML parser is ~10x faster but its errors carry no position, so
 * on failure the text is parsed again by the `yaml` library to locate the error.
 */
function locateYamlError(text: string): { line: number | undefined; column: number | undefined; message: string | undefined } {
  for (const doc of parseAllDocuments(text)) {
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      return { line: pos?.line, column: pos?.col, message: first.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") };
    }
  }
  return { line: undefined, column: undefined, message: undefined };
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
  try {
    value = Bun.YAML.parse(text);
  } catch (err) {
    const repaired = reindentQuotedScalars(text);
    try {
      if (repaired === undefined) throw err;
      value = Bun.YAML.parse(repaired);
    } catch {
      const pos = locateYamlError(text);
      throw inputError(file, pos.line, pos.column, "YAML", pos.message ?? err);
    }
  }
  const docs = Array.isArray(value) ? value : [value];
  const lines = documentStartLines(text);
  const aligned = lines.length === docs.length;
  return docs.map((v, i) => ({ value: v, line: aligned ? lines[i] : undefined }));
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

function unwrap(value: unknown, file: string, line: number | undefined, out: SourcedObject[], depth = 0): void {
  if (depth > 4) return;
  if (Array.isArray(value)) {
    for (const v of value) unwrap(v, file, line, out, depth + 1);
    return;
  }
  const rec = asRecord(value);
  if (!rec) return;
  if (Array.isArray(rec.items) && (typeof rec.kind !== "string" || rec.kind.endsWith("List"))) {
    for (const raw of rec.items) {
      const item = asRecord(raw);
      if (!item) continue;
      const kind = itemKindOf(rec.kind, item);
      unwrap(kind && item.kind !== kind ? { ...item, kind } : item, file, line, out, depth + 1);
    }
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
      out.push({ object: { ...object, kind } as KubeObjectLike, file, line });
    }
    return;
  }
  out.push({ object: rec as KubeObjectLike, file, line });
}

/** Parses one input's text into objects; throws an INPUT error naming `file:line:column`. */
export function parseManifests(text: string, file: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const doc of parseDocuments(text, file)) unwrap(doc.value, file, doc.line, out);
  return out;
}
