/**
 * @module
 * The CRD controller: a CustomResourceDefinition is validated (names, versions), gets its
 * NamesAccepted/Established conditions and starts serving its resource; an update changes the
 * served schema (stored objects are re-pruned, as the real server prunes on read); deleting it
 * removes the resource and its objects.
 */
import type { Api } from "./api.ts";
import { invalid, type FieldError } from "./status.ts";
import { makeEntry, type ChangeEvent } from "./storage.ts";
import { pruneUnknown } from "./schema.ts";
import type { CrdVersionInfo, JsonSchema, KubeObject, PrinterColumn, ResourceType } from "./types.ts";
import { formatTime, isObj } from "./util.ts";

type Obj = Record<string, unknown>;
export const CRD_GR = "customresourcedefinitions.apiextensions.k8s.io";
/** Held by every CRD until its custom resources are deleted. */
export const CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions?: { name: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: JsonSchema }; additionalPrinterColumns?: PrinterColumn[]; subresources?: { status?: object; scale?: object } }[];
}

/** The ResourceType a CRD serves. */
export function crdResourceType(crd: KubeObject): ResourceType {
  const spec = crd.spec as CrdSpec;
  const names = spec.names!;
  const versions: CrdVersionInfo[] = (spec.versions ?? []).map((v) => ({
    name: v.name,
    served: v.served ?? true,
    storage: v.storage ?? false,
    ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
    printerColumns: v.additionalPrinterColumns ?? [],
    statusSubresource: isObj(v.subresources?.status),
    scaleSubresource: isObj(v.subresources?.scale),
  }));
  const storage = versions.find((v) => v.storage) ?? versions[0]!;
  return {
    group: spec.group!,
    version: storage.name,
    resource: names.plural!,
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    singular: names.singular ?? names.kind!.toLowerCase(),
    namespaced: spec.scope !== "Cluster",
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
    status: storage.statusSubresource,
    scale: storage.scaleSubresource,
    generation: true,
    fieldSelectors: [],
    crd: { name: crd.metadata.name!, versions, uid: crd.metadata.uid ?? "" },
  };
}

/** apiextensions validation of the definition itself (the parts clients trip over). */
function validateCrd(crd: KubeObject): void {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const errors: FieldError[] = [];
  const names = spec.names ?? {};
  if (!spec.group) errors.push({ type: "FieldValueRequired", field: "spec.group", detail: "" });
  if (!names.plural) errors.push({ type: "FieldValueRequired", field: "spec.names.plural", detail: "" });
  if (!names.kind) errors.push({ type: "FieldValueRequired", field: "spec.names.kind", detail: "" });
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") errors.push({ type: "FieldValueNotSupported", field: "spec.scope", value: spec.scope ?? "", hasValue: true, detail: 'supported values: "Cluster", "Namespaced"' });
  if (spec.group && names.plural && crd.metadata.name !== `${names.plural}.${spec.group}`) {
    errors.push({ type: "FieldValueInvalid", field: "metadata.name", value: crd.metadata.name, hasValue: true, detail: `must be spec.names.plural+"."+spec.group` });
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) errors.push({ type: "FieldValueInvalid", field: "spec.versions", value: [], hasValue: false, detail: "must have exactly one version marked as storage version" });
  else if (versions.filter((v) => v.storage).length !== 1) errors.push({ type: "FieldValueInvalid", field: "spec.versions", value: versions.map((v) => v.name), hasValue: true, detail: "must have exactly one version marked as storage version" });
  versions.forEach((v, i) => {
    if (!v.schema?.openAPIV3Schema) errors.push({ type: "FieldValueRequired", field: `spec.versions[${i}].schema.openAPIV3Schema`, detail: "schemas are required" });
    else if (v.schema.openAPIV3Schema.type !== "object") errors.push({ type: "FieldValueRequired", field: `spec.versions[${i}].schema.openAPIV3Schema.type`, detail: "must not be empty at the root" });
  });
  if (errors.length > 0) throw invalid({ group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }, crd.metadata.name ?? "", errors);
}

export function registerCrdController(api: Api): void {
  api.validators.set(CRD_GR, (obj, old) => {
    validateCrd(obj);
    const spec = obj.spec as CrdSpec;
    const existing = api.registry.get(`${spec.names!.plural}.${spec.group}`);
    if (existing && !existing.crd) {
      throw invalid({ group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }, obj.metadata.name ?? "", [{ type: "FieldValueInvalid", field: "spec.names.plural", value: spec.names!.plural, hasValue: true, detail: "conflicts with a built-in resource" }]);
    }
    if (old && (old.spec as CrdSpec).group !== spec.group) throw invalid({ group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" }, obj.metadata.name ?? "", [{ type: "FieldValueInvalid", field: "spec.group", value: spec.group, hasValue: true, detail: "field is immutable" }]);
    if (!old && !(obj.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), CLEANUP_FINALIZER];
    const names = spec.names!;
    const accepted = { plural: names.plural, singular: names.singular ?? names.kind!.toLowerCase(), kind: names.kind, listKind: names.listKind ?? `${names.kind}List`, ...(names.shortNames ? { shortNames: names.shortNames } : {}), ...(names.categories ? { categories: names.categories } : {}) };
    const now = formatTime(api.clock());
    const prevConds = isObj(old?.status) ? ((old.status as Obj).conditions as Obj[] | undefined) : undefined;
    const cond = (type: string, reason: string, message: string): Obj => ({ type, status: "True", lastTransitionTime: prevConds?.find((c) => c.type === type)?.lastTransitionTime ?? now, reason, message });
    const storage = (spec.versions ?? []).find((v) => v.storage)!.name;
    const prevStored = (isObj(old?.status) ? ((old.status as Obj).storedVersions as string[] | undefined) : undefined) ?? [];
    obj.status = {
      conditions: [cond("NamesAccepted", "NoConflicts", "no conflicts found"), cond("Established", "InitialNamesAccepted", "the initial names have been accepted")],
      acceptedNames: accepted,
      storedVersions: prevStored.includes(storage) ? prevStored : [...prevStored, storage],
    };
  });

  api.afterCommit.push((ev: ChangeEvent) => {
    if (ev.gr !== CRD_GR) return;
    const crd = ev.entry.obj;
    if (ev.type === "DELETED") {
      const spec = crd.spec as CrdSpec;
      const gr = `${spec.names?.plural}.${spec.group}`;
      api.storage.dropTable(gr);
      api.registry.remove(gr);
      return;
    }
    const t = crdResourceType(crd);
    const gr = `${t.resource}.${t.group}`;
    api.registry.add(t);
    if (ev.type === "MODIFIED" && !crd.metadata.deletionTimestamp) {
      const schema = t.crd!.versions.find((v) => v.name === t.version)?.schema;
      for (const e of [...api.storage.entries(gr).values()]) {
        const o = JSON.parse(e.json) as KubeObject;
        pruneUnknown(o, schema);
        const next = makeEntry(o, e.rv);
        if (next.json !== e.json) api.storage.rewrite(gr, next);
      }
    }
  });
}
