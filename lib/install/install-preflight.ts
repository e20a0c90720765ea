/**
 * @module
 * The preflight of `deploy generate-*` (with --kubeconfig or --context) and `check`: reads, by
 * name, the live ClusterRoleBindings and webhook configuration that manifests for a namespace
 * would write, and judges whether they serve an install in another namespace (decision 0035), or
 * are only what an install whose namespace is gone left behind; and whether a namespace exists.
 */
import { isForbidden, isNotFound } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { CLUSTER_ROLE_BINDINGS, NAMESPACES, VALIDATING_WEBHOOK_CONFIGURATIONS, type ResourceType } from "../kube/resources.ts";
import { WEBHOOK_SERVICE_NAME } from "../webhook/constants.ts";
import { findInstallConflicts, type InstallConflict, type LiveInstallObjects } from "./foreign-install.ts";

/** The cluster-scoped objects an install writes whose names another install shares. */
export interface InstallClaims {
  bindings: string[];
  webhookConfiguration?: string;
}

type Meta = { kind?: string; metadata?: { name?: string } };

/** The ClusterRoleBindings and ValidatingWebhookConfiguration among rendered manifests. */
export function claimsOf(objects: readonly unknown[]): InstallClaims {
  const named = (kind: string) => (objects as Meta[]).filter((o) => o?.kind === kind && o.metadata?.name).map((o) => o.metadata?.name as string);
  const [webhookConfiguration] = named("ValidatingWebhookConfiguration");
  return { bindings: named("ClusterRoleBinding"), ...(webhookConfiguration ? { webhookConfiguration } : {}) };
}

export interface InstallPreflight {
  conflicts: InstallConflict[];
  /**
   * Objects naming an install whose namespace does not exist: deleting an install's namespace
   * leaves its ClusterRoleBindings and webhook configuration behind (as does a `kubectl apply`
   * that failed on the missing namespace). Nothing runs under them, so taking them over harms no one.
   */
  leftovers: InstallConflict[];
  /** `clusterrolebindings/<name>` the identity may not get: the judgement is incomplete without them. */
  unreadable: string[];
}

/** Reads the claimed objects (absent ones are fine) and finds those serving an install outside `namespace`. */
export async function preflightInstall(client: KubeClient, claims: InstallClaims, namespace: string): Promise<InstallPreflight> {
  const unreadable: string[] = [];
  async function read(type: ResourceType, name: string): Promise<unknown> {
    try {
      return await client.get(type, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (!isForbidden(err)) throw err;
      unreadable.push(`${type.plural}/${name}`);
      return undefined;
    }
  }
  const bindings = await Promise.all(claims.bindings.map(async (name) => ({ name, object: await read(CLUSTER_ROLE_BINDINGS, name) })));
  const live: LiveInstallObjects = { bindings };
  if (claims.webhookConfiguration) live.webhookConfiguration = { name: claims.webhookConfiguration, object: await read(VALIDATING_WEBHOOK_CONFIGURATIONS, claims.webhookConfiguration) };
  const found = findInstallConflicts(live, namespace, { name: WEBHOOK_SERVICE_NAME, namespace });
  const gone = new Set<string>();
  for (const theirs of new Set(found.map((c) => c.namespace))) if ((await namespaceState(client, theirs)) === "absent") gone.add(theirs);
  return { conflicts: found.filter((c) => !gone.has(c.namespace)), leftovers: found.filter((c) => gone.has(c.namespace)), unreadable };
}

/**
 * Whether a namespace exists: `unknown` when the identity may not get it. A Terminating namespace
 * still exists: its install is not gone until the namespace is.
 */
export async function namespaceState(client: KubeClient, namespace: string): Promise<"present" | "absent" | "unknown"> {
  try {
    await client.get(NAMESPACES, namespace);
    return "present";
  } catch (err) {
    if (isNotFound(err)) return "absent";
    if (isForbidden(err)) return "unknown";
    throw err;
  }
}
