/**
 * @module
 * Why live `analyze` listed no pods: a namespace that does not exist (a typo), a selector that
 * matched none of the pods in scope, or a scope that really is empty. The server answers `-n` and
 * `-l` with an empty list in every case, so it is asked once more: one pod without the selector,
 * then the namespace itself.
 */
import type { EmptyLiveScope } from "../analysis/describe-empty-scope.ts";
import type { KubeClient } from "../kube/client.ts";
import { PODS } from "../kube/resources.ts";
import { lookupNamespace } from "./lookup-namespace.ts";
import type { LiveScope } from "./live-objects.ts";

/** Asks the server why `scope` listed no pods (call it only then). */
export async function explainEmptyLiveScope(client: KubeClient, scope: LiveScope): Promise<EmptyLiveScope> {
  if (scope.labelSelector) {
    // A pod in scope without the selector means the selector, not the scope, left nothing.
    const page = await client.listPage(PODS, { namespace: scope.namespace, limit: 1, signal: scope.signal });
    if (page.items.length > 0) return { kind: "unselected", namespace: scope.namespace };
  }
  if (scope.namespace === undefined) return { kind: "empty", namespace: undefined };
  const found = await lookupNamespace(client, scope.namespace, scope.signal);
  if (found.kind === "unknown") return { kind: "unknown", namespace: scope.namespace, reason: found.reason };
  return { kind: found.kind === "missing" ? "missing" : "empty", namespace: scope.namespace };
}
