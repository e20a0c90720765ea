/**
 * @module
 * isControllerCreated (admit.ts) in CEL, as `matchConditions` of the generated VWC: requests whose
 * verdict can only be warnings (a built-in controller creating a child of an admitted template
 * owner, a kubelet's mirror pod) are never sent to the webhook. Each expression is true when the
 * webhook must be called; every field it reads is guarded by has(), because an evaluation error
 * under failurePolicy Ignore would skip the webhook. See docs/decisions/0036.
 */
import { CONTROLLER_MANAGER_USER, KUBE_SYSTEM_SERVICE_ACCOUNT_PREFIX, MIRROR_POD_ANNOTATION, NODE_USER_PREFIX, TEMPLATE_OWNER_API_VERSIONS, TEMPLATE_OWNER_KINDS } from "./admit.ts";

export interface MatchCondition {
  name: string;
  expression: string;
}

const quote = (s: string): string => `'${s}'`;
const USERNAME = "request.userInfo.username";

/** Not created or updated by kube-controller-manager for a template owner (the owner's template was judged). */
export const NOT_CONTROLLER_CREATED: MatchCondition = {
  name: "not-controller-created",
  expression:
    `!((${USERNAME} == ${quote(CONTROLLER_MANAGER_USER)} || ${USERNAME}.startsWith(${quote(KUBE_SYSTEM_SERVICE_ACCOUNT_PREFIX)}))` +
    ` && has(object.metadata.ownerReferences)` +
    ` && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller && (${ownerClauses()})))`,
};

/** `(r.apiVersion == 'apps/v1' && r.kind in [...]) || (r.apiVersion == 'batch/v1' && ...)`: the template owners by apiVersion. */
function ownerClauses(): string {
  const byVersion = new Map<string, string[]>();
  for (const kind of TEMPLATE_OWNER_KINDS) byVersion.set(TEMPLATE_OWNER_API_VERSIONS[kind], [...(byVersion.get(TEMPLATE_OWNER_API_VERSIONS[kind]) ?? []), kind]);
  return [...byVersion].map(([version, kinds]) => `(r.apiVersion == ${quote(version)} && r.kind in [${kinds.map(quote).join(", ")}])`).join(" || ");
}

/** Not a kubelet publishing the mirror of a static pod (it runs whatever admission says). */
export const NOT_MIRROR_POD: MatchCondition = {
  name: "not-kubelet-mirror-pod",
  expression: `!(${USERNAME}.startsWith(${quote(NODE_USER_PREFIX)}) && has(object.metadata.annotations) && ${quote(MIRROR_POD_ANNOTATION)} in object.metadata.annotations)`,
};

/** The webhook's matchConditions: all must be true for the API server to call it. */
export const WEBHOOK_MATCH_CONDITIONS: readonly MatchCondition[] = [NOT_CONTROLLER_CREATED, NOT_MIRROR_POD];
