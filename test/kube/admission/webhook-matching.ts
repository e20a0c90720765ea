/**
 * @module
 * Which validating webhooks a request is sent to, as the API server's webhook
 * matcher decides (k8s.io/apiserver/pkg/admission/plugin/webhook): rules (operations,
 * apiGroups, apiVersions, resources incl. subresources, scope), namespaceSelector,
 * objectSelector, and matchPolicy Exact/Equivalent.
 */
import { labelSelectorMatches, type LabelSelector } from "../auth/rbac-rules.ts";
import type { UserInfo } from "../auth/request-attributes.ts";

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** One admission request, before it is sent anywhere. */
export interface AdmissionAttributes {
  operation: Operation;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource: string;
  namespace: string;
  name: string;
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / PatchOptions / DeleteOptions as sent. */
  options?: Record<string, unknown> | null;
  userInfo: UserInfo;
}

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

export interface ValidatingWebhook {
  name: string;
  clientConfig: { url?: string; service?: { namespace: string; name: string; path?: string; port?: number }; caBundle?: string };
  rules?: RuleWithOperations[];
  failurePolicy?: "Ignore" | "Fail";
  matchPolicy?: "Exact" | "Equivalent";
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  /** CEL; all must be true for the webhook to be called (match-conditions.ts). */
  matchConditions?: { name: string; expression: string }[];
}

/** Resources served under several group/versions that the API server treats as one. */
const EQUIVALENT_GROUPS: Record<string, string[][]> = {
  deployments: [["apps", "v1"], ["apps", "v1beta2"], ["apps", "v1beta1"], ["extensions", "v1beta1"]],
  daemonsets: [["apps", "v1"], ["apps", "v1beta2"], ["extensions", "v1beta1"]],
  replicasets: [["apps", "v1"], ["apps", "v1beta2"], ["extensions", "v1beta1"]],
  statefulsets: [["apps", "v1"], ["apps", "v1beta2"], ["apps", "v1beta1"]],
  ingresses: [["networking.k8s.io", "v1"], ["networking.k8s.io", "v1beta1"], ["extensions", "v1beta1"]],
  networkpolicies: [["networking.k8s.io", "v1"], ["extensions", "v1beta1"]],
  cronjobs: [["batch", "v1"], ["batch", "v1beta1"]],
  poddisruptionbudgets: [["policy", "v1"], ["policy", "v1beta1"]],
};

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === "*" || v === value);
}

/** The `group/version/resource/subresource` forms equivalent to the request's, its own first. */
export function equivalentResources(gvr: GroupVersionResource): GroupVersionResource[] {
  const own = [gvr];
  const table = EQUIVALENT_GROUPS[gvr.resource];
  if (!table?.some(([g, v]) => g === gvr.group && v === gvr.version)) return own;
  return [...own, ...table.filter(([g, v]) => !(g === gvr.group && v === gvr.version)).map(([g, v]) => ({ group: g ?? "", version: v ?? "", resource: gvr.resource }))];
}

/** rules.Matcher: operation, group, version, resource (with subresource), scope. */
export function ruleMatches(rule: RuleWithOperations, attrs: AdmissionAttributes, gvr: GroupVersionResource): boolean {
  if (!has(rule.operations, attrs.operation)) return false;
  if (!has(rule.apiGroups, gvr.group) || !has(rule.apiVersions, gvr.version)) return false;
  const resourceOk = (rule.resources ?? []).some((r) => {
    const [res, sub = ""] = r.split("/", 2) as [string, string?];
    return (res === "*" || res === gvr.resource) && (sub === "*" || sub === attrs.subResource);
  });
  if (!resourceOk) return false;
  const scope = rule.scope ?? "*";
  const isNamespaceObject = gvr.group === "" && gvr.resource === "namespaces";
  if (scope === "Namespaced") return !isNamespaceObject && attrs.namespace !== "";
  if (scope === "Cluster") return isNamespaceObject || attrs.namespace === "";
  return true;
}

/**
 * The resource the webhook sees the request as, or undefined when it does not
 * apply. With Equivalent (the v1 default) an equivalent group/version also matches.
 */
export function matchingResource(webhook: ValidatingWebhook, attrs: AdmissionAttributes): GroupVersionResource | undefined {
  const candidates = webhook.matchPolicy === "Exact" ? [attrs.resource] : equivalentResources(attrs.resource);
  for (const gvr of candidates) if ((webhook.rules ?? []).some((r) => ruleMatches(r, attrs, gvr))) return gvr;
  return undefined;
}

function labelsOf(obj: Record<string, unknown> | null | undefined): Record<string, string> | undefined {
  return (obj?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

/**
 * namespaceSelector: cluster-scoped objects other than namespaces are never exempt;
 * a namespace is matched by its own labels; else the request's namespace's labels.
 */
export function namespaceSelectorMatches(
  webhook: ValidatingWebhook,
  attrs: AdmissionAttributes,
  namespaceLabels: (ns: string) => Record<string, string> | undefined,
): boolean {
  const isNamespace = attrs.resource.group === "" && attrs.resource.resource === "namespaces";
  if (attrs.namespace === "" && !isNamespace) return true;
  if (isEmptySelector(webhook.namespaceSelector)) return true;
  let labels: Record<string, string> | undefined;
  if (isNamespace && attrs.subResource === "" && (attrs.operation === "CREATE" || attrs.operation === "UPDATE")) labels = labelsOf(attrs.object);
  else labels = namespaceLabels(isNamespace ? attrs.name : attrs.namespace);
  return labelSelectorMatches(webhook.namespaceSelector, labels ?? {});
}

/** objectSelector: the new or the old object's labels (either one). */
export function objectSelectorMatches(webhook: ValidatingWebhook, attrs: AdmissionAttributes): boolean {
  if (isEmptySelector(webhook.objectSelector)) return true;
  const match = (o: Record<string, unknown> | null | undefined) => !!o && labelSelectorMatches(webhook.objectSelector, labelsOf(o) ?? {});
  return match(attrs.object) || match(attrs.oldObject);
}

/** Webhook configurations are never sent to webhooks (so they cannot lock themselves in). */
export function isExemptFromWebhooks(attrs: AdmissionAttributes): boolean {
  return (
    attrs.resource.group === "admissionregistration.k8s.io" &&
    ["validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings"].includes(attrs.resource.resource)
  );
}
