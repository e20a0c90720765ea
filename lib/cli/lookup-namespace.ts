/**
 * @module
 * Whether a namespace a command was pointed at exists. The server answers a list in a missing
 * namespace with an empty list, so a typo'd `-n` looks like an empty namespace unless asked.
 */
import { isForbidden, isNotFound } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { NAMESPACES } from "../kube/resources.ts";

/** found / missing, or unknown when the identity may not get namespaces (it may or may not exist). */
export type NamespaceLookup = { kind: "found" } | { kind: "missing" } | { kind: "unknown"; reason: string };

/** GETs the namespace; any error but 404 and 403 propagates. */
export async function lookupNamespace(client: KubeClient, namespace: string, signal?: AbortSignal): Promise<NamespaceLookup> {
  try {
    await client.get(NAMESPACES, namespace, signal ? { signal } : {});
    return { kind: "found" };
  } catch (err) {
    if (isNotFound(err)) return { kind: "missing" };
    if (isForbidden(err)) return { kind: "unknown", reason: err.message };
    throw err;
  }
}
