/**
 * @module
 * The preflight of `deploy generate-*` (with --kubeconfig or --context) and `check`: reads, by
 * name, the live ClusterRoleBindings and webhook configuration that manifests for a namespace
 * would write, and judges whether they serve an install in another namespace (decision 0035).
 */
import { isForbidden, isNotFound } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { CLUSTER_ROLE_BINDINGS, VALIDATING_WEBHOOK_CONFIGURATIONS, type ResourceType } from "../kube/resources.ts";
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
  return { conflicts: findInstallConflicts(live, namespace, { name: WEBHOOK_SERVICE_NAME, namespace }), unreadable };
}
