/**
 * @module
 * Which namespaces the engine leaves alone. `isSystemNamespace` is the
 * reference's predicate (skipped by analyze, watch, reconcile and admission);
 * `isProtectedNamespace` is the set enforcement never patches.
 */

/** The reference's system namespaces by name (besides the `kube-*` and `*-system` patterns). */
export const NAMED_SYSTEM_NAMESPACES = ["cert-manager", "istio-system", "monitoring", "observability", "argocd"] as const;
const SYSTEM_NAMESPACES = new Set<string>(NAMED_SYSTEM_NAMESPACES);

const PROTECTED_NAMESPACES = new Set([
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "kube-flannel",
  "cert-manager",
  "istio-system",
  "monitoring",
  "observability",
  "argocd",
]);

/** True for `kube-*`, `*-system` and the reference's fixed list (so also `kube-devops` itself). */
export function isSystemNamespace(namespace: string): boolean {
  return namespace.startsWith("kube-") || namespace.endsWith("-system") || SYSTEM_NAMESPACES.has(namespace);
}

/** True for namespaces enforcement must never patch (reference §4.1: the same set in effect). */
export function isProtectedNamespace(namespace: string): boolean {
  return PROTECTED_NAMESPACES.has(namespace) || namespace.startsWith("kube-") || namespace.endsWith("-system");
}
