/**
 * @module
 * The one YAML serializer at gen/'s edge: objects in, `---`-separated documents out,
 * with the same formatting on every run (insertion key order, no line folding).
 */
import { stringify } from "yaml";

/** Serialises one object as a YAML document (no leading `---`). */
export function toYamlDocument(value: unknown): string {
  return stringify(value, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

/** Serialises documents joined by `---` lines, ending in a newline. */
export function toYaml(docs: readonly unknown[]): string {
  return docs.map(toYamlDocument).join("---\n");
}
