/**
 * @module
 * One object counts once. A watch stream (JSON lines of ADDED/MODIFIED/DELETED
 * events) is replayed: an object's last state counts and a DELETED event removes
 * it. Then any object given again — same apiVersion, kind, namespace and name,
 * and the same uid when it has one (a cluster holds one object under that
 * identity) — is dropped and reported: the first occurrence is scored.
 */
import { asRecord } from "../k8s-objects.ts";
import type { SourcedObject } from "../manifests/parse-manifests.ts";
import { visibleLine } from "./visible-text.ts";

/** A dropped repeat: which object, where it was first given and where again. */
export interface DuplicateObject {
  /** `Pod shop/web-1` */
  object: string;
  first: SourcedObject;
  repeat: SourcedObject;
}

export interface DedupedObjects {
  objects: readonly SourcedObject[];
  duplicates: DuplicateObject[];
}

function nameAndNamespace(s: SourcedObject): { name: string; namespace: string } | undefined {
  const meta = asRecord(s.object.metadata);
  const name = meta?.name;
  if (typeof name !== "string" || name === "") return undefined;
  return { name, namespace: typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default" };
}

/** Watch-event states (same kind, namespace and name) collapsed to the last; DELETED removes. */
function replayEvents(objects: readonly SourcedObject[]): readonly SourcedObject[] {
  if (!objects.some((s) => s.event)) return objects;
  const byKey = new Map<string, number>();
  const out: (SourcedObject | undefined)[] = [];
  for (const s of objects) {
    if (!s.event) {
      out.push(s);
      continue;
    }
    const id = nameAndNamespace(s);
    if (!id) {
      if (!s.deleted) out.push(s);
      continue;
    }
    const key = `${String(s.object.kind)}/${id.namespace}/${id.name}`;
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

/** Same apiVersion, kind, namespace (default when unset) and name. */
function sameIdentity(a: SourcedObject, b: SourcedObject): boolean {
  const [ma, mb] = [asRecord(a.object.metadata), asRecord(b.object.metadata)];
  return a.object.apiVersion === b.object.apiVersion && a.object.kind === b.object.kind && ma?.name === mb?.name && (ma?.namespace || "default") === (mb?.namespace || "default");
}

/** The objects with watch streams replayed and repeats dropped (the first counts), and the repeats. */
export function dedupeObjects(objects: readonly SourcedObject[]): DedupedObjects {
  const replayed = replayEvents(objects);
  // Dumps carry uids: those alone find the candidates (no key string to build per object).
  const byUid = new Map<string, SourcedObject>();
  const byKey = new Map<string, SourcedObject>();
  const duplicates: DuplicateObject[] = [];
  const kept: SourcedObject[] = [];
  for (const s of replayed) {
    const meta = asRecord(s.object.metadata);
    const name = meta?.name;
    if (typeof name !== "string" || name === "") {
      kept.push(s);
      continue;
    }
    const uid = typeof meta?.uid === "string" && meta.uid !== "" ? meta.uid : undefined;
    let first = uid === undefined ? undefined : byUid.get(uid);
    let key: string | undefined;
    if (first && !sameIdentity(first, s)) first = undefined;
    if (!first && (uid === undefined || byUid.has(uid))) {
      const ns = typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
      key = `${String(s.object.apiVersion)}\u0000${String(s.object.kind)}\u0000${ns}\u0000${name}\u0000${uid ?? ""}`;
      first = byKey.get(key);
    }
    if (first) {
      duplicates.push({ object: `${String(s.object.kind)} ${typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default"}/${name}`, first, repeat: s });
      continue;
    }
    if (key !== undefined) byKey.set(key, s);
    else byUid.set(uid as string, s);
    kept.push(s);
  }
  return { objects: duplicates.length === 0 ? replayed : kept, duplicates };
}

function locate(s: SourcedObject): string {
  if (s.file === undefined) return "the API";
  return s.line === undefined ? s.file : `${s.file}:${s.line}`;
}

/** The warning for dropped repeats: how many, and the first few with where each was given first and again. */
export function describeDuplicates(duplicates: readonly DuplicateObject[], shown = 3): string {
  const each = duplicates.slice(0, shown).map((d) => `${d.object} at ${locate(d.repeat)} repeats ${locate(d.first)}`);
  const more = duplicates.length > shown ? `; and ${duplicates.length - shown} more` : "";
  return visibleLine(`dropped ${duplicates.length} duplicate object(s) (same apiVersion, kind, namespace, name and uid; the first is scored): ${each.join("; ")}${more}`);
}
