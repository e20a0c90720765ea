/**
 * @module
 * The controllers a real control plane runs that the emulator needs for faithful deletes:
 * the garbage collector (background deletion of dependents through ownerReferences, the
 * `orphan` and `foregroundDeletion` finalizers) and the namespace controller (deleting a
 * namespace's content, then the namespace). Asynchronous, as in a cluster.
 */
import type { Api } from "./api.ts";
import { CLEANUP_FINALIZER, CRD_GR } from "./crds.ts";
import type { ChangeEvent } from "./storage.ts";
import { StatusError } from "./status.ts";
import type { KubeObject } from "./types.ts";

export interface Controllers {
  stop(): void;
  /** Resolves once no background work is queued (tests may await it). */
  idle(): Promise<void>;
}

function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

export function startControllers(api: Api): Controllers {
  const queue = new Map<string, () => Promise<void>>();
  let running: Promise<void> | null = null;
  let stopped = false;

  const ignore404 = (err: unknown): void => {
    if (!(err instanceof StatusError) || (err.code !== 404 && err.code !== 409)) console.error("emulator controller:", err);
  };

  function schedule(id: string, work: () => Promise<void>): void {
    if (stopped) return;
    queue.set(id, work);
    if (!running) running = drain();
  }

  async function drain(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0));
    while (queue.size > 0 && !stopped) {
      const [id, work] = queue.entries().next().value!;
      queue.delete(id);
      await work().catch(ignore404);
    }
    running = null;
  }

  function dependentsOf(uid: string): [string, string | undefined, string][] {
    return [...(api.storage.dependents.get(uid) ?? [])].map((d) => {
      const [gr, key] = d.split("\0") as [string, string];
      const [ns, name] = splitKey(key);
      return [gr, ns, name];
    });
  }

  async function removeFinalizer(gr: string, obj: KubeObject, finalizer: string): Promise<void> {
    const cur = api.getEntry(gr, obj.metadata.namespace, obj.metadata.name!);
    if (!cur || cur.obj.metadata.uid !== obj.metadata.uid) return;
    const fins = (cur.obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    const next = JSON.parse(cur.json) as KubeObject;
    next.metadata.finalizers = fins;
    await api.update(gr, next, { namespace: obj.metadata.namespace, name: obj.metadata.name!, fromPatch: true });
  }

  /** The owner is gone: delete dependents whose owners are all gone, else drop the reference. */
  async function collect(uid: string): Promise<void> {
    for (const [gr, ns, name] of dependentsOf(uid)) {
      const e = api.getEntry(gr, ns, name);
      if (!e) continue;
      const refs = e.obj.metadata.ownerReferences ?? [];
      const alive = refs.filter((r) => r.uid !== uid && api.storage.byUid.has(r.uid));
      if (alive.length > 0) {
        const next = JSON.parse(e.json) as KubeObject;
        next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
        await api.update(gr, next, { namespace: ns, name, fromPatch: true }).catch(ignore404);
      } else if (!e.obj.metadata.deletionTimestamp) {
        await api.delete(gr, ns, name, { propagationPolicy: "Background" }).catch(ignore404);
      }
    }
  }

  async function orphan(gr: string, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid!;
    for (const [dgr, ns, name] of dependentsOf(uid)) {
      const e = api.getEntry(dgr, ns, name);
      if (!e) continue;
      const next = JSON.parse(e.json) as KubeObject;
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      await api.update(dgr, next, { namespace: ns, name, fromPatch: true }).catch(ignore404);
    }
    await removeFinalizer(gr, owner, "orphan");
  }

  async function foreground(gr: string, owner: KubeObject): Promise<void> {
    const deps = dependentsOf(owner.metadata.uid!);
    if (deps.length === 0) return removeFinalizer(gr, owner, "foregroundDeletion");
    for (const [dgr, ns, name] of deps) {
      const e = api.getEntry(dgr, ns, name);
      if (e && !e.obj.metadata.deletionTimestamp) await api.delete(dgr, ns, name, { propagationPolicy: "Foreground" }).catch(ignore404);
    }
  }

  async function cleanNamespace(ns: string): Promise<void> {
    let remaining = 0;
    for (const t of api.registry.all()) {
      if (!t.namespaced || t.virtual) continue;
      const gr = t.group ? `${t.resource}.${t.group}` : t.resource;
      for (const e of api.listPage(gr, { namespace: ns }).entries) {
        remaining++;
        if (!e.obj.metadata.deletionTimestamp) await api.delete(gr, ns, e.obj.metadata.name!, { propagationPolicy: "Background" }).catch(ignore404);
      }
    }
    if (remaining > 0) {
      let left = 0;
      for (const t of api.registry.all()) if (t.namespaced && !t.virtual) left += api.listPage(t.group ? `${t.resource}.${t.group}` : t.resource, { namespace: ns }).entries.length;
      if (left > 0) return;
    }
    const e = api.getEntry("namespaces", undefined, ns);
    if (!e?.obj.metadata.deletionTimestamp) return;
    const next = JSON.parse(e.json) as KubeObject;
    next.spec = { ...(next.spec as object), finalizers: [] };
    await api.update("namespaces", next, { name: ns, fromPatch: true });
  }

  /** A CRD being deleted: delete its custom resources, then release the cleanup finalizer. */
  async function cleanCustomResources(crd: KubeObject): Promise<void> {
    const spec = crd.spec as { group: string; names: { plural: string } };
    const gr = `${spec.names.plural}.${spec.group}`;
    if (!api.registry.get(gr)) return removeFinalizer(CRD_GR, crd, CLEANUP_FINALIZER);
    const entries = api.listPage(gr, {}).entries;
    for (const e of entries) if (!e.obj.metadata.deletionTimestamp) await api.delete(gr, e.obj.metadata.namespace, e.obj.metadata.name!, { propagationPolicy: "Background" }).catch(ignore404);
    if (api.storage.count(gr) === 0) await removeFinalizer(CRD_GR, crd, CLEANUP_FINALIZER);
  }

  function onChange(ev: ChangeEvent): void {
    const obj = ev.entry.obj;
    const m = obj.metadata;
    if (ev.type === "DELETED") {
      if (m.uid && api.storage.dependents.has(m.uid)) schedule(`collect/${m.uid}`, () => collect(m.uid!));
      for (const ref of m.ownerReferences ?? []) {
        const owner = api.storage.byUid.get(ref.uid);
        if (!owner) continue;
        const oe = api.storage.get(owner[0], owner[1]);
        if (oe?.obj.metadata.finalizers?.includes("foregroundDeletion")) schedule(`fg/${ref.uid}`, () => foreground(owner[0], oe.obj));
      }
      const t = api.registry.get(ev.gr);
      if (t?.crd) {
        const crd = api.storage.get(CRD_GR, t.crd.name);
        if (crd?.obj.metadata.deletionTimestamp) schedule(`crd/${t.crd.name}`, () => cleanCustomResources(crd.obj));
      }
      if (m.namespace) {
        const ns = api.storage.get("namespaces", m.namespace);
        if (ns?.obj.metadata.deletionTimestamp) schedule(`ns/${m.namespace}`, () => cleanNamespace(m.namespace!));
      }
      return;
    }
    if (!m.deletionTimestamp) return;
    if (ev.gr === "namespaces") schedule(`ns/${m.name}`, () => cleanNamespace(m.name!));
    if (ev.gr === CRD_GR && m.finalizers?.includes(CLEANUP_FINALIZER)) schedule(`crd/${m.name}`, () => cleanCustomResources(obj));
    if (m.finalizers?.includes("orphan")) schedule(`orphan/${m.uid}`, () => orphan(ev.gr, obj));
    if (m.finalizers?.includes("foregroundDeletion")) schedule(`fg/${m.uid}`, () => foreground(ev.gr, obj));
  }

  const unlisten = api.storage.listenAll(onChange);
  return {
    stop() {
      stopped = true;
      unlisten();
    },
    async idle() {
      for (let i = 0; i < 100 && (running || queue.size > 0); i++) await (running ?? new Promise((r) => setTimeout(r, 0)));
    },
  };
}
