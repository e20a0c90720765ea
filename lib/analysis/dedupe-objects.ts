/**
 * @module
 * The same object given twice (per-file manifests and an all-in-one file, or a
 * watch stream's successive states) counts once: the last one wins, as with
 * `kubectl apply`; a watch DELETED event removes it. Unnamed objects are kept.
 */
import { asRecord } from "../k8s-objects.ts";
import type { SourcedObject } from "../manifests/parse-manifests.ts";

/** Objects with duplicates (same kind, namespace and name) collapsed to the last. */
export function dedupeObjects(objects: readonly SourcedObject[]): SourcedObject[] {
  const byKey = new Map<string, number>();
  const out: (SourcedObject | undefined)[] = [];
  for (const s of objects) {
    const meta = asRecord(s.object.metadata);
    const name = meta?.name;
    if (typeof name !== "string" || name === "") {
      if (!s.deleted) out.push(s);
      continue;
    }
    const ns = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
    const key = `${String(s.object.kind)}/${ns}/${name}`;
    const prev = byKey.get(key);
    if (prev !== undefined) out[prev] = undefined;
    if (s.deleted) {
      byKey.delete(key);
      continue;
    }
    byKey.set(key, out.length);
    out.push(s);
  }
  return out.filter((s): s is SourcedObject => s !== undefined);
}
