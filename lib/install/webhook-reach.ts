/**
 * @module
 * `check`'s `Webhook reachable` line: the only proof that the API server actually calls the
 * webhook is an admission call that comes back. Check creates a Pod with `?dryRun=All` (nothing is
 * stored) in a namespace the configuration selects, carrying REACHABILITY_ANNOTATION with a nonce;
 * the webhook answers it with a warning naming the nonce (lib/admission/reachability.ts). Without
 * that warning the API server did not call it, or ignored its answer — with failurePolicy Ignore,
 * admission is skipped and nobody is told (decision 0037).
 */
import { WEBHOOK_MATCH_CONDITIONS } from "../admission/match-conditions.ts";
import { findReachabilityAnswer, REACHABILITY_ANNOTATION } from "../admission/reachability.ts";
import { isForbidden, isNotFound, KubeApiError } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { NAMESPACES, PODS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { matchesLabels, parseLabelSelector } from "../label-selector.ts";
import { WEBHOOK_CONTAINER_PORT, WEBHOOK_NAME } from "../webhook/constants.ts";
import type { HealthLine } from "./install-health.ts";
import type { SelectorObject } from "./webhook-health.ts";

/** A pinned image that PodSecurity `restricted` and any image policy are least likely to refuse; never pulled (dry run). */
export const REACHABILITY_IMAGE = "registry.k8s.io/pause:3.10";

/** The permission the line needs of whoever runs check (a dry run stores nothing). */
export const REACHABILITY_PERMISSION = "create pods (server-side dry run) in a namespace the webhook configuration selects";

export type NamespaceObject = { metadata?: { name?: string; labels?: Record<string, string> }; status?: { phase?: string } };

/** A metav1.LabelSelector as the string form lib/label-selector.ts matches; undefined when it cannot be read. */
export function selectorString(selector: SelectorObject | undefined): string | undefined {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (!e.key) return undefined;
    if (e.operator === "In") terms.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") terms.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") terms.push(e.key);
    else if (e.operator === "DoesNotExist") terms.push(`!${e.key}`);
    else return undefined;
  }
  return terms.join(",");
}

/** True when `labels` satisfy `selector` (an absent selector selects everything). */
export function selects(selector: SelectorObject | undefined, labels: Record<string, string> | undefined): boolean {
  const text = selectorString(selector);
  if (text === undefined) return false;
  try {
    return matchesLabels(parseLabelSelector(text), labels);
  } catch {
    return false; // a selector the API server would not have stored
  }
}

const NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Whether `selector` selects the namespace `name` judged by its name alone — the API server labels
 * every namespace with kubernetes.io/metadata.name (1.21+), as the generated selector reads it;
 * undefined when the selector reads any other label.
 */
export function selectsByName(selector: SelectorObject | undefined, name: string): boolean | undefined {
  const keys = [...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)];
  return keys.every((k) => k === NAME_LABEL) ? selects(selector, { [NAME_LABEL]: name }) : undefined;
}

/**
 * The namespace to send the dry-run pod to: `default` when the configuration selects it, else the
 * first selected one by name. Terminating namespaces refuse creates; kube-devops's own and the
 * system namespaces are what the generated selector leaves out.
 */
export function pickProbeNamespace(selector: SelectorObject | undefined, namespaces: readonly NamespaceObject[]): string | undefined {
  const usable = namespaces.filter((n) => n.metadata?.name && n.status?.phase !== "Terminating" && selects(selector, n.metadata.labels));
  const names = usable.map((n) => n.metadata?.name as string).sort();
  return names.includes("default") ? "default" : names[0];
}

/** The dry-run pod: PodSecurity `restricted`, a pinned image, small equal requests and limits (a quota may require them). */
export function reachabilityPod(namespace: string, nonce: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "kube-devops-check-", namespace, annotations: { [REACHABILITY_ANNOTATION]: nonce } },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65535, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "check",
          image: REACHABILITY_IMAGE,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
          // requests = limits: a LimitRange's maxLimitRequestRatio (LimitRanger, before the webhooks) refuses any ratio above it
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "10m", memory: "16Mi" } },
        },
      ],
    },
  } as KubeObject;
}

/**
 * kube-apiserver's warning recorder (endpoints/filters/warning.go) keeps 4096 runes of warning text:
 * past that it cuts each to 256 and drops the rest. The answer's nonce is in its first 80 runes, so
 * a cut keeps it; it is lost only when dropped, and then what came back adds up to the cap.
 */
export const WARNING_CAP_RUNES = 4096;

/** True when `warnings` fill the API server's cap: a missing answer may have been dropped. */
export function warningsCapped(warnings: readonly string[]): boolean {
  return warnings.reduce((n, w) => n + [...w].length, 0) >= WARNING_CAP_RUNES;
}

/** What the dry run came to. */
export type ReachOutcome =
  | { kind: "answered"; namespace: string; replica: string; refusedBy?: string }
  | { kind: "silent"; namespace: string }
  | { kind: "capped"; namespace: string }
  | { kind: "denied-by-us"; namespace: string; message: string }
  | { kind: "refused"; namespace: string; message: string }
  | { kind: "forbidden"; namespace: string }
  | { kind: "error"; namespace: string; message: string }
  | { kind: "no-namespace" }
  | { kind: "namespaces-unreadable" }
  | { kind: "configuration-unreadable"; name: string }
  | { kind: "configuration-failed"; name: string };

const LABEL = "Webhook reachable";

/** Where a NetworkPolicy must let the API server in: the Service's targetPort; unread, the port the generated Deployment listens on. */
function podPort(targetPort: number | string | undefined): string {
  if (targetPort === undefined) return `port ${WEBHOOK_CONTAINER_PORT}`;
  return typeof targetPort === "number" ? `the webhook pods' port ${targetPort} (the Service's targetPort)` : `the webhook pods' port "${targetPort}" (the Service's targetPort, a named container port)`;
}

/**
 * One line from the outcome; `namespace` is the install's (for the hints), `targetPort` the webhook
 * Service's for the configuration's port (webhookTargetPort), when known.
 */
export function judgeReach(outcome: ReachOutcome, namespace: string, failurePolicy: string, targetPort?: number | string): HealthLine {
  const pieces = `look at the lines above: Webhook endpoints (ready pods), configuration and certificate (the caBundle must verify the served certificate); then NetworkPolicies in front of ${podPort(targetPort)} and the API server's log (failed calling webhook)`;
  switch (outcome.kind) {
    case "answered":
      return { label: LABEL, status: "OK", detail: `a dry-run pod in ${outcome.namespace} was answered by ${outcome.replica}${outcome.refusedBy === undefined ? "" : ` (another admission check then refused the pod: ${outcome.refusedBy})`}` };
    case "silent":
      return {
        label: LABEL,
        status: "FAIL",
        detail: `a dry-run pod in ${outcome.namespace} was admitted without its answer: the API server did not call the webhook, or ignored its answer${failurePolicy === "Ignore" ? " (with failurePolicy Ignore admission is skipped)" : ""}`,
        hint: pieces,
      };
    case "capped":
      return { label: LABEL, status: "UNKNOWN", detail: `a dry-run pod in ${outcome.namespace} came back without the answer, but with ${WARNING_CAP_RUNES} or more characters of other warnings: past that the API server drops warnings, so the answer may have been one of them`, hint: `kubectl create --dry-run=server -n ${outcome.namespace} (a pod) shows the warnings other admission checks send` };
    case "denied-by-us":
      return { label: LABEL, status: "WARN", detail: `called from ${outcome.namespace}, but it judged check's dry-run pod instead of answering it (a webhook older than this binary?): ${outcome.message}`, hint: `kube-devops deploy generate-all -n ${namespace} | kubectl apply -f -` };
    case "refused":
      return { label: LABEL, status: "UNKNOWN", detail: `a dry-run pod in ${outcome.namespace} was refused before an answer could be read: ${outcome.message}`, hint: `another admission check refused check's pod; try: kubectl create --dry-run=server -n ${outcome.namespace} (a pod), or run check where it is allowed` };
    case "forbidden":
      return { label: LABEL, status: "UNKNOWN", detail: `not allowed to create pods in ${outcome.namespace} (a server-side dry run: nothing is stored)`, hint: `run check as an identity that may; kubectl auth can-i create pods -n ${outcome.namespace}` };
    case "error":
      return { label: LABEL, status: "FAIL", detail: `the dry-run pod in ${outcome.namespace} failed: ${outcome.message}`, hint: pieces };
    case "no-namespace":
      return { label: LABEL, status: "UNKNOWN", detail: "no namespace matches the configuration's namespaceSelector: the webhook is sent nothing", hint: `kubectl get validatingwebhookconfiguration -o yaml (namespaceSelector); a namespace labelled to match makes it checkable` };
    case "namespaces-unreadable":
      return { label: LABEL, status: "UNKNOWN", detail: "not allowed to read namespaces: none known that the configuration selects, to send a dry-run pod to", hint: "run check as an identity that may get and list namespaces" };
    case "configuration-unreadable":
      return {
        label: LABEL,
        status: "UNKNOWN",
        detail: `not allowed to get validatingwebhookconfigurations/${outcome.name}: which namespaces and pods it sends the webhook is unknown, so no dry-run pod was sent`,
        hint: `run check as an identity that may; kubectl auth can-i get validatingwebhookconfigurations.admissionregistration.k8s.io/${outcome.name}`,
      };
    case "configuration-failed":
      return {
        label: LABEL,
        status: "UNKNOWN",
        detail: `the webhook configuration ${outcome.name} could not be read: which namespaces and pods it sends the webhook is unknown, so no dry-run pod was sent`,
        hint: "the reachability could not be tested because the configuration could not be read (see the Webhook configuration line); run check again",
      };
  }
}

function messageOf(err: unknown): string {
  if (err instanceof KubeApiError) return err.status?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Where to send the pod: `default` when selected (one GET), else a LIST of namespaces. */
async function chooseNamespace(client: KubeClient, selector: SelectorObject | undefined): Promise<string | undefined | "unreadable"> {
  try {
    const ns = await client.get<KubeObject>(NAMESPACES, "default");
    if (pickProbeNamespace(selector, [ns as NamespaceObject]) === "default") return "default";
  } catch (err) {
    if (!isForbidden(err) && !isNotFound(err)) throw err;
    // an identity that may create pods in default need not read namespaces: the name may be enough
    if (isForbidden(err) && selectsByName(selector, "default") === true) return "default";
  }
  try {
    return pickProbeNamespace(selector, (await client.listAll<NamespaceObject>(NAMESPACES)).items);
  } catch (err) {
    if (isForbidden(err)) return "unreadable";
    throw err;
  }
}

/** A webhook entry's rule, as the configuration stores it. */
export type WebhookRule = { operations?: string[]; apiGroups?: string[]; apiVersions?: string[]; resources?: string[]; scope?: string };

/** True when a rule sends a CREATE of a v1 Pod, as the API server's rule matcher decides (wildcards and `pods/*` included). */
export function rulesSendPodCreates(rules: readonly WebhookRule[] | undefined): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
  return (rules ?? []).some(
    (r) =>
      has(r.operations, "CREATE") &&
      has(r.apiGroups, "") &&
      has(r.apiVersions, "v1") &&
      (r.resources ?? []).some((res) => {
        const [resource, sub = ""] = res.split("/", 2);
        return (resource === "*" || resource === "pods") && (sub === "" || sub === "*");
      }) &&
      (r.scope === undefined || r.scope === "*" || r.scope === "Namespaced"),
  );
}

/** The entry's matchConditions that are not the ones kube-devops generates (those always send check's pod). */
export function foreignMatchConditions(conditions: ReadonlyArray<{ name?: string; expression?: string }> | undefined): string[] {
  const ours = new Set(WEBHOOK_MATCH_CONDITIONS.map((c) => `${c.name}\n${c.expression}`));
  return (conditions ?? []).filter((c) => !ours.has(`${c.name}\n${c.expression}`)).map((c) => c.name ?? "?");
}

/**
 * Sends the dry-run pod and reads its answer. `nonce` is fresh per run (header-safe: see
 * reachability.ts); `targetPort`, the Service's for the configuration's port, goes into the hints.
 */
export async function probeWebhookReach(
  client: KubeClient,
  entry: { namespaceSelector?: SelectorObject; objectSelector?: SelectorObject; failurePolicy?: string; rules?: WebhookRule[]; matchConditions?: Array<{ name?: string; expression?: string }> },
  options: { namespace: string; nonce: string; targetPort?: number | string }): Promise<HealthLine> {
  const failurePolicy = entry.failurePolicy ?? "Fail";
  let target: string | undefined | "unreadable";
  try {
    target = await chooseNamespace(client, entry.namespaceSelector);
  } catch (err) {
    return { label: LABEL, status: "FAIL", detail: `cannot read namespaces: ${messageOf(err)}`, hint: "the API server did not answer this read; run check again" };
  }
  if (target === "unreadable") return judgeReach({ kind: "namespaces-unreadable" }, options.namespace, failurePolicy);
  if (target === undefined) return judgeReach({ kind: "no-namespace" }, options.namespace, failurePolicy);
  if (entry.objectSelector && !selects(entry.objectSelector, {})) {
    return { label: LABEL, status: "UNKNOWN", detail: "the configuration's objectSelector leaves out an unlabelled pod: check's dry-run pod would not be sent", hint: "kubectl get validatingwebhookconfiguration -o yaml (objectSelector)" };
  }
  if (!rulesSendPodCreates(entry.rules)) {
    return { label: LABEL, status: "UNKNOWN", detail: "the configuration's rules do not send Pod CREATEs: check's dry-run pod would not be sent", hint: "kubectl get validatingwebhookconfiguration -o yaml (rules); kube-devops deploy generate-all writes the rules it needs" };
  }
  const outcome = await dryRun(client, target, options.nonce);
  // conditions someone added may be what skipped the call: silence then proves nothing
  const foreign = foreignMatchConditions(entry.matchConditions);
  if (outcome.kind === "silent" && foreign.length > 0) {
    return { label: LABEL, status: "UNKNOWN", detail: `a dry-run pod in ${outcome.namespace} was admitted without its answer, and the configuration's matchConditions ${foreign.join(", ")} (not kube-devops's) may have skipped the call`, hint: "kubectl get validatingwebhookconfiguration -o yaml (matchConditions); the API server's apiserver_admission_match_condition_exclusions_total counts the skips" };
  }
  return judgeReach(outcome, options.namespace, failurePolicy, options.targetPort);
}

async function dryRun(client: KubeClient, namespace: string, nonce: string): Promise<ReachOutcome> {
  try {
    const { warnings } = await client.createWithWarnings(PODS, reachabilityPod(namespace, nonce), { namespace, dryRun: true, fieldManager: "kube-devops-check" });
    const answer = findReachabilityAnswer(warnings, nonce);
    if (answer) return { kind: "answered", namespace, replica: answer.replica };
    return warningsCapped(warnings) ? { kind: "capped", namespace } : { kind: "silent", namespace };
  } catch (err) {
    const message = messageOf(err);
    if (!(err instanceof KubeApiError)) return { kind: "error", namespace, message };
    // validating webhooks are called in parallel and ResourceQuota runs after them: a refusal by
    // another check still carries our answer in its Warning headers when we were called
    const answer = findReachabilityAnswer(err.warnings, nonce);
    if (answer) return { kind: "answered", namespace, replica: answer.replica, refusedBy: message };
    return classifyRefusal(namespace, err.httpStatus, message);
  }
}

/** What an API error answering the dry run means (its HTTP status and the Status message). */
export function classifyRefusal(namespace: string, httpStatus: number, message: string): ReachOutcome {
  // RBAC's refusal names the verb and resource; an admission plugin's 403 (PodSecurity, quota) does not
  if (httpStatus === 403 && /cannot create resource "pods"/.test(message)) return { kind: "forbidden", namespace };
  if (message.startsWith(`admission webhook "${WEBHOOK_NAME}" denied the request`)) return { kind: "denied-by-us", namespace, message };
  // 5xx: under failurePolicy Fail a call that failed ("failed calling webhook") ends here; another
  // webhook's failed call (a mutating one runs before ours) says nothing about ours
  const failedHook = /failed calling webhook "([^"]+)"/.exec(message)?.[1];
  if (httpStatus >= 500) return failedHook === undefined || failedHook === WEBHOOK_NAME ? { kind: "error", namespace, message } : { kind: "refused", namespace, message };
  return { kind: "refused", namespace, message };
}
