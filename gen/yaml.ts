/**
 * @module
 * The one serializer at the edge of gen/: objects to YAML documents joined by `---`. Key order
 * is the generators' insertion order (apiVersion, kind, metadata first), so output is stable;
 * no anchors/aliases, no line folding.
 */
import { stringify } from "yaml";

/** One object as a YAML document (ends with a newline). */
export function toYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: true });
}

/** Several objects as one multi-document stream, ready for `kubectl apply -f -`. */
export function toYamlDocuments(objects: readonly unknown[]): string {
  return objects.map((o) => toYaml(o)).join("---\n");
}
