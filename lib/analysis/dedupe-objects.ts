/**
 * @module
 * One object counts once. A watch stream (JSON lines of ADDED/MODIFIED/DELETED
 * events) is replayed: an object's last state counts and a DELETED event removes
 * it. Then any object given again — same apiVersion, kind, namespace and name,
 * and the same uid when it has one (a cluster holds one object under that
 * identity) — is dropped and reported: the first occurrence is scored.
 */
import { asRecord } from "../k8s-objects.ts";
import { sourceLocation, type SourcedObject } from "../manifests/parse-manifests.ts";
import { namespaceOf } from "./collect-units.ts";
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

/** The object's name; undefined when it has none (a `generateName` template: nothing to compare). */
function nameOf(s: SourcedObject): string | undefined {
  const name = asRecord(s.object.metadata)?.name;
  return typeof name === "string" && name !== "" ? name : undefined;
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
    const name = nameOf(s);
    if (name === undefined) {
      if (!s.deleted) out.push(s);
      continue;
    }
    const key = `${String(s.object.kind)}/${namespaceOf(s.object)}/${name}`;
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
  return a.object.apiVersion === b.object.apiVersion && a.object.kind === b.object.kind && nameOf(a) === nameOf(b) && namespaceOf(a.object) === namespaceOf(b.object);
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
    const name = nameOf(s);
    if (name === undefined) {
      kept.push(s);
      continue;
    }
    const rawUid = asRecord(s.object.metadata)?.uid;
    const uid = typeof rawUid === "string" && rawUid !== "" ? rawUid : undefined;
    let first = uid === undefined ? undefined : byUid.get(uid);
    let key: string | undefined;
    if (first && !sameIdentity(first, s)) first = undefined;
    if (!first && (uid === undefined || byUid.has(uid))) {
      key = `${String(s.object.apiVersion)}\u0000${String(s.object.kind)}\u0000${namespaceOf(s.object)}\u0000${name}\u0000${uid ?? ""}`;
      first = byKey.get(key);
    }
    if (first) {
      duplicates.push({ object: `${String(s.object.kind)} ${namespaceOf(s.object)}/${name}`, first, repeat: s });
      continue;
    }
    if (key !== undefined) byKey.set(key, s);
    else byUid.set(uid as string, s);
    kept.push(s);
  }
  return { objects: duplicates.length === 0 ? replayed : kept, duplicates };
}

function locate(s: SourcedObject): string {
  return sourceLocation(s) ?? "the API";
}

/** The warning for dropped repeats: how many, and the first few with where each was given first and again. */
export function describeDuplicates(duplicates: readonly DuplicateObject[], shown = 3): string {
  const each = duplicates.slice(0, shown).map((d) => `${d.object} at ${locate(d.repeat)} repeats ${locate(d.first)}`);
  const more = duplicates.length > shown ? `; and ${duplicates.length - shown} more` : "";
  return visibleLine(`dropped ${duplicates.length} duplicate object(s) (same apiVersion, kind, namespace, name and uid; the first is scored): ${each.join("; ")}${more}`);
}
