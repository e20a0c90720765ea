/**
 * @module
 * A watch stream (JSON lines of ADDED/MODIFIED/DELETED events) is replayed: an
 * object's last state counts once and a DELETED event removes it. Everything
 * else counts as given — fixture collections reuse names on purpose, and a
 * cluster dump has unique names anyway.
 */
import { asRecord } from "../k8s-objects.ts";
import type { SourcedObject } from "../manifests/parse-manifests.ts";

/** Objects with watch-event states (same kind, namespace and name) collapsed to the last. */
export function dedupeObjects(objects: readonly SourcedObject[]): readonly SourcedObject[] {
  if (!objects.some((s) => s.event)) return objects;
  const byKey = new Map<string, number>();
  const out: (SourcedObject | undefined)[] = [];
  for (const s of objects) {
    if (!s.event) {
      out.push(s);
      continue;
    }
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
