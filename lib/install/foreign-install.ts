/**
 * @module
 * Whether the cluster-scoped objects one kube-devops install depends on (its ClusterRoleBindings,
 * its ValidatingWebhookConfiguration) belong to an install in another namespace. Their names are
 * fixed (the reference's wire contract), so a second install applied in namespace B would rebind
 * A's ClusterRoleBindings and repoint A's webhook: kube-devops runs once per cluster (decision 0035).
 * Pure: literal objects in, conflicts out; the reads live with the callers.
 */
import { KubeDevopsError } from "../errors.ts";
import type { ServiceRef } from "../webhook/published-bundle.ts";

/** One of our cluster-scoped objects, found pointing at another namespace's install. */
export interface InstallConflict {
  kind: "ClusterRoleBinding" | "ValidatingWebhookConfiguration";
  name: string;
  /** The namespace of the install it serves now. */
  namespace: string;
  /** What points there: `subject team-a/kube-devops-watch`, `service team-a/kube-devops-webhook`. */
  via: string;
}

type Subject = { kind?: string; name?: string; namespace?: string };
type Webhook = { name?: string; clientConfig?: { service?: { name?: string; namespace?: string } } };

/** The ServiceAccount subjects of a ClusterRoleBinding outside `namespace`. */
export function foreignSubjects(binding: unknown, namespace: string): Subject[] {
  const subjects = (binding as { subjects?: unknown } | undefined)?.subjects;
  if (!Array.isArray(subjects)) return [];
  return (subjects as Subject[]).filter((s) => s?.kind === "ServiceAccount" && s.namespace !== undefined && s.namespace !== namespace);
}

/**
 * The Service another install's webhook calls, when the configuration calls ours nowhere: a
 * configuration that still calls our Service (beside others someone added) is ours to keep.
 * Webhooks with a `url` instead of a Service name no install and are ignored.
 */
export function foreignWebhookService(vwc: unknown, own: ServiceRef): ServiceRef | undefined {
  const hooks = (vwc as { webhooks?: unknown } | undefined)?.webhooks;
  if (!Array.isArray(hooks)) return undefined;
  const services = (hooks as Webhook[]).flatMap((h) => {
    const svc = h?.clientConfig?.service;
    return svc?.name && svc.namespace ? [{ name: svc.name, namespace: svc.namespace }] : [];
  });
  if (services.some((s) => s.name === own.name && s.namespace === own.namespace)) return undefined;
  return services[0];
}

/** The live objects one install depends on, read by name (undefined: absent or unreadable). */
export interface LiveInstallObjects {
  bindings: ReadonlyArray<{ name: string; object: unknown }>;
  webhookConfiguration?: { name: string; object: unknown };
}

/** Every object of `live` that serves an install outside `namespace` (whose webhook Service is `service`). */
export function findInstallConflicts(live: LiveInstallObjects, namespace: string, service: ServiceRef): InstallConflict[] {
  const conflicts: InstallConflict[] = [];
  for (const { name, object } of live.bindings) {
    const [first] = foreignSubjects(object, namespace);
    if (first) conflicts.push({ kind: "ClusterRoleBinding", name, namespace: first.namespace as string, via: `subject ${first.namespace}/${first.name ?? "?"}` });
  }
  const vwc = live.webhookConfiguration;
  const other = vwc ? foreignWebhookService(vwc.object, service) : undefined;
  if (vwc && other && other.namespace !== namespace) conflicts.push({ kind: "ValidatingWebhookConfiguration", name: vwc.name, namespace: other.namespace, via: `service ${other.namespace}/${other.name}` });
  return conflicts;
}

/** What to do about an install in `theirs` when this one is (to be) in `ours`. */
export function installConflictHint(ours: string, theirs: string): string {
  return (
    `kube-devops runs once per cluster (its ClusterRoleBindings and webhook configuration have fixed names). ` +
    `Keep the install in ${theirs}: remove the one in ${ours} by deleting namespace ${ours} only (not with \`deploy generate-all --namespace ${ours} | kubectl delete -f -\`: the cluster-scoped objects are ${theirs}'s). ` +
    `Or move it to ${ours}: delete namespace ${theirs}, the kube-devops ClusterRoleBindings and ValidatingWebhookConfiguration (not the CRDs: that deletes every DevOpsPolicy), then apply ${ours}'s manifests`
  );
}

/**
 * The self-managed webhook's error for a configuration that calls `owner` instead of `ours`: another
 * namespace's Service is another install (decision 0035); another Service of our own namespace is
 * not, but a --service-name that does not match the configuration, so the way out differs.
 */
export function describeForeignConfiguration(configuration: string, ours: ServiceRef, owner: ServiceRef): { message: string; hint: string } {
  const calls = `the webhook configuration ${configuration} calls the Service ${owner.namespace}/${owner.name}`;
  if (owner.namespace !== ours.namespace) {
    return {
      message: `${calls}, not this install's ${ours.namespace}/${ours.name}: it belongs to the kube-devops install in namespace ${owner.namespace}, so this webhook leaves its caBundle alone and receives no admission requests`,
      hint: installConflictHint(ours.namespace, owner.namespace),
    };
  }
  return {
    message: `${calls}, not this webhook's ${ours.namespace}/${ours.name}: this webhook leaves its caBundle alone and receives no admission requests`,
    hint: `serve with --service-name ${owner.name} if that Service selects this webhook, or point the configuration at ${ours.name} (webhook install-config --service-name ${ours.name} --namespace ${ours.namespace})`,
  };
}

/** One line per conflict, e.g. `ClusterRoleBinding kube-devops-watch (subject team-a/kube-devops-watch)`. */
export function describeConflicts(conflicts: readonly InstallConflict[]): string {
  return conflicts.map((c) => `${c.kind} ${c.name} (${c.via})`).join(", ");
}

/** The usage error for installing into `ours` over the install(s) in the conflicts' namespaces. */
export function installConflictError(conflicts: readonly InstallConflict[], ours: string): KubeDevopsError {
  const theirs = [...new Set(conflicts.map((c) => c.namespace))];
  return new KubeDevopsError(
    "USAGE",
    `kube-devops is already installed in namespace ${theirs.join(", ")}: installing it in ${ours} would take over ${describeConflicts(conflicts)} and leave that install without its permissions and admission`,
    { hint: installConflictHint(ours, theirs.join(", ")) },
  );
}
