/**
 * @module
 * The set of served resource types (built-ins plus those CRDs add), looked up by
 * group/version/resource for routing and by apiVersion/kind for seeds.
 */
import { builtinResourceTypes } from "./builtins.ts";
import { groupResource, type ResourceType } from "./types.ts";

export class Registry {
  private readonly types = new Map<string, ResourceType>();
  /** Bumped whenever the set of types changes (discovery documents depend on it). */
  generation = 0;

  constructor() {
    for (const t of builtinResourceTypes()) this.types.set(groupResource(t), t);
  }

  add(t: ResourceType): void {
    this.types.set(groupResource(t), t);
    this.generation++;
  }

  remove(gr: string): void {
    this.types.delete(gr);
    this.generation++;
  }

  get(gr: string): ResourceType | undefined {
    return this.types.get(gr);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Versions a type is served at. */
  servedVersions(t: ResourceType): string[] {
    return t.crd ? t.crd.versions.filter((v) => v.served).map((v) => v.name) : [t.version];
  }

  /** Resolves `/apis/<group>/<version>/<resource>`; undefined if not served at that version. */
  find(group: string, version: string, resource: string): ResourceType | undefined {
    const t = this.types.get(group ? `${resource}.${group}` : resource);
    if (!t || !this.servedVersions(t).includes(version)) return undefined;
    return t;
  }

  /** Resolves an object's apiVersion + kind (seeds, ownerReferences). */
  findByKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    for (const t of this.types.values()) {
      if (t.group === group && t.kind === kind && this.servedVersions(t).includes(version!)) return t;
    }
    return undefined;
  }

  /** Group → served versions (preferred first), for /apis. Core group excluded. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.types.values()) {
      if (!t.group) continue;
      const versions = out.get(t.group) ?? [];
      const served = t.crd ? [t.crd.versions.find((v) => v.storage)?.name ?? t.version, ...this.servedVersions(t)] : [t.version];
      for (const v of served) if (!versions.includes(v) && this.servedVersions(t).includes(v)) versions.push(v);
      out.set(t.group, versions);
    }
    return out;
  }

  /** Types served at group/version. */
  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && this.servedVersions(t).includes(version));
  }
}
