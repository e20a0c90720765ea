/**
 * @module
 * The generators' YAML edge: objects in, `---`-separated documents out, through the one
 * serializer (lib/yaml-stringify.ts: same formatting on every run, insertion key order,
 * no line folding, strings a YAML 1.1 reader would retype quoted).
 */
import { stringifyYaml, stringifyYamlDocuments } from "../lib/yaml-stringify.ts";

/** Serialises one object as a YAML document (no leading `---`). */
export function toYamlDocument(value: unknown): string {
  return stringifyYaml(value);
}

/** Serialises documents joined by `---` lines, ending in a newline. */
export function toYaml(docs: readonly unknown[]): string {
  return stringifyYamlDocuments(docs);
}
