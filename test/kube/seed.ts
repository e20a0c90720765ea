/**
 * @module
 * Reads seed manifests for the emulator: files or directories of multi-document YAML or JSON,
 * `List`s (and typed lists such as PodList) flattened. Large files take the fast paths
 * (JSON.parse, Bun's native YAML parser) so a 100k-pod List loads in seconds.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "./types.ts";

const LARGE = 4 * 1024 * 1024;

/** A seed that cannot be read, naming the file (and line, when known). */
export class SeedError extends Error {}

function parseText(text: string, file: string): unknown[] {
  const head = text.trimStart()[0];
  if (head === "{" || head === "[") {
    try {
      const v = JSON.parse(text) as unknown;
      return Array.isArray(v) ? v : [v];
    } catch (err) {
      if (text.length > LARGE) throw new SeedError(`${file}: invalid JSON: ${(err as Error).message}`);
    }
  }
  if (text.length > LARGE) {
    try {
      const v = Bun.YAML.parse(text) as unknown;
      return Array.isArray(v) && text.includes("\n---") ? v : [v];
    } catch (err) {
      throw new SeedError(`${file}: invalid YAML: ${(err as Error).message}`);
    }
  }
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new SeedError(`${file}${line ? `:${line}` : ""}: invalid YAML: ${err.message.split("\n")[0]}`);
    }
    out.push(doc.toJS());
  }
  return out;
}

/** Flattens Lists; typed list items get apiVersion/kind from the list. */
function flatten(doc: unknown, file: string, out: KubeObject[]): void {
  if (doc === null || doc === undefined) return;
  if (Array.isArray(doc)) {
    for (const d of doc) flatten(d, file, out);
    return;
  }
  if (typeof doc !== "object") throw new SeedError(`${file}: a document is not an object`);
  const o = doc as Record<string, unknown>;
  if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
    const itemKind = o.kind === "List" ? undefined : o.kind.slice(0, -4);
    for (const item of o.items as Record<string, unknown>[]) {
      if (itemKind && item && typeof item === "object") {
        item.apiVersion ??= o.apiVersion;
        item.kind ??= itemKind;
      }
      flatten(item, file, out);
    }
    return;
  }
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") throw new SeedError(`${file}: an object has no apiVersion/kind (${JSON.stringify(o).slice(0, 80)})`);
  if (typeof o.metadata !== "object" || o.metadata === null) throw new SeedError(`${file}: ${o.kind} without metadata`);
  out.push(o as KubeObject);
}

function files(path: string): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new SeedError(`${path}: no such file or directory`);
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const p = join(path, name);
      return statSync(p).isDirectory() ? files(p) : /\.(ya?ml|json)$/.test(name) ? [p] : [];
    });
}

/** Reads every seed path; namespaces and CRDs first so their content can follow. */
export function readSeeds(paths: string[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const p of paths) for (const f of files(p)) flatten(parseText(readFileSync(f, "utf8"), f), f, out);
  const rank = (o: KubeObject): number => (o.kind === "Namespace" ? 0 : o.kind === "CustomResourceDefinition" ? 1 : 2);
  return out.map((o, i) => [rank(o), i, o] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , o]) => o);
}
