/**
 * @module
 * The webhook's DevOpsPolicy cache: one list+watch over all namespaces (lib/kube)
 * feeding a PolicyIndex, so admission never calls the API server per request
 * (reference W-A8). Readiness waits for the first complete list only: when the watch
 * breaks, the last known policies keep applying (every replica of a webhook that went
 * unready at once would leave the API server nobody to ask, which admits everything under
 * failurePolicy Ignore and blocks every pod under Fail) and `ageSeconds` says how old they are.
 */
import { isNotFound } from "../kube/api-errors.ts";
import { listWatch, type ListWatch, type ListWatchEvent } from "../kube/list-watch.ts";
import type { KubeClient } from "../kube/client.ts";
import { systemClock, type Clock } from "../kube/clock.ts";
import { DEVOPS_POLICIES } from "../kube/resources.ts";
import type { Logger } from "../log.ts";
import { isSystemNamespace } from "../namespaces.ts";
import type { Readiness } from "../server/probe-app.ts";
import { admissionPlanOf } from "../admission/admission-plan.ts";
import { PolicyIndex, projectAdmissionPolicy, type AdmissionPolicy } from "../admission/policy-index.ts";
import type { ExpectedFindings } from "./metrics.ts";

type Projected = ReturnType<typeof projectAdmissionPolicy>;

export interface PolicyCache {
  policiesFor(namespace: string): readonly AdmissionPolicy[];
  readiness(): Readiness;
  /** Seconds since the policy watch's last list page, event or bookmark (webhook_policy_cache_age_seconds). */
  ageSeconds(): number;
  /**
   * Per namespace whose policies admission applies (not a system one, not ours): the check ids
   * its verdicts can count as denials, warnings and, when `exemptions` are honoured, exemptions.
   */
  expectedFindings(exemptions: boolean): Iterable<ExpectedFindings>;
  /** Runs the list+watch loop until `signal` aborts. */
  start(signal: AbortSignal): Promise<void>;
  readonly size: number;
}

export interface PolicyCacheOptions {
  client: KubeClient;
  logger: Logger;
  /** The list+watch's clock too (the real one by default). */
  clock?: Clock;
  /** The webhook's own namespace, always admitted like the system ones (a policy there does nothing). */
  ownNamespace?: string;
}

/** Why admission never applies a policy of `namespace`, or undefined when it does. */
function inertBecause(namespace: string, ownNamespace: string | undefined): string | undefined {
  if (namespace === ownNamespace) return "the webhook's own namespace is always admitted";
  if (isSystemNamespace(namespace)) return "system namespaces (kube-*, *-system, cert-manager, monitoring, observability, argocd) are always admitted";
  return undefined;
}

/**
 * Per namespace of `index` whose policies admission applies: the check ids its verdicts can
 * count. Only namespaces with a policy and only the checks they enable, so the series stay
 * bounded by the policies.
 */
export function* expectedFindingsOf(index: PolicyIndex, options: { ownNamespace?: string | undefined; exemptions: boolean }): Generator<ExpectedFindings> {
  for (const namespace of index.namespaces()) {
    if (inertBecause(namespace, options.ownNamespace)) continue;
    // the plan admission compiles for the namespace anyway (cached per policy list)
    const plan = admissionPlanOf(index.forNamespace(namespace));
    yield { namespace, denials: plan.denyingIds, warnings: plan.checkIds, exemptions: options.exemptions ? plan.checkIds : [] };
  }
}

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Creates the cache (call `start`). */
export function createPolicyCache(options: PolicyCacheOptions): PolicyCache {
  const index = new PolicyIndex();
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();

  /** The missing CRD was reported since the last sync. */
  let crdAbsentReported = false;
  /** Policies already reported as inert: one warning each, not one per change. */
  const inert = new Set<string>();

  function apply(key: string, projected: Projected): void {
    if ("policy" in projected) {
      index.upsert(projected.policy);
      const why = inertBecause(projected.policy.namespace, options.ownNamespace);
      if (why && !inert.has(key)) {
        inert.add(key);
        logger.warn("DevOpsPolicy has no effect at admission", { policy: key, reason: why });
      }
      if (projected.ignored.length > 0) logger.warn("DevOpsPolicy fields ignored by admission: refused by the schema; the rest of the policy applies", { policy: key, issues: projected.ignored });
    } else {
      const { namespace, name } = splitKey(key);
      index.remove(namespace, name);
      logger.warn("DevOpsPolicy ignored by admission: invalid spec", { policy: key, error: projected.error });
    }
  }

  function rebuild(watch: ListWatch<Projected>): void {
    const valid: AdmissionPolicy[] = [];
    for (const [, projected] of watch.store.values()) if ("policy" in projected) valid.push(projected.policy);
    index.replaceAll(valid);
  }

  const watch: ListWatch<Projected> = listWatch<Projected>({
    client: options.client,
    clock,
    type: DEVOPS_POLICIES,
    project: (obj) => projectAdmissionPolicy(obj),
    onEvent(event: ListWatchEvent<Projected>) {
      switch (event.type) {
        case "added":
        case "modified":
          apply(event.key, event.value);
          break;
        case "deleted": {
          const { namespace, name } = splitKey(event.key);
          index.remove(namespace, name);
          inert.delete(event.key);
          break;
        }
        case "synced":
          crdAbsentReported = false;
          logger.info("policy cache synced", { policies: index.size });
          break;
        case "full-list":
          logger.info("listing the policies in one request", { reason: event.reason });
          break;
        case "relisted":
          rebuild(watch);
          // A list succeeded again: a CRD deleted meanwhile is back, and a later deletion is reported again.
          if (crdAbsentReported) logger.info("the DevOpsPolicy CRD is installed again: policies apply from the watch", { policies: index.size });
          crdAbsentReported = false;
          break;
        case "error":
          if (isNotFound(event.error)) {
            // the same 404 on every retry: the fix once, not a line per retry
            if (!crdAbsentReported) {
              // Ready stays as it is: before the first list it is not, after it the (now empty) policies keep applying.
              if (watch.health().synced) logger.warn("the DevOpsPolicy CRD was deleted: no policy applies at admission until it is installed again (kube-devops crd install)", { retryInMs: event.retryInMs });
              else logger.warn("the DevOpsPolicy CRD is not installed: run kube-devops crd install; not ready until it is", { retryInMs: event.retryInMs });
            }
            crdAbsentReported = true;
            break;
          }
          logger.warn("policy watch failed; serving the last known policies", { phase: event.phase, retryInMs: event.retryInMs, failures: event.failures, error: event.error instanceof Error ? event.error.message : String(event.error) });
          break;
      }
    },
  });

  return {
    policiesFor: (namespace) => index.forNamespace(namespace),
    readiness() {
      const health = watch.health();
      if (!health.synced) return { ready: false, reasons: ["DevOpsPolicy cache has not completed its first list"] };
      return { ready: true, reasons: [] };
    },
    ageSeconds() {
      // Since the last list page, event or bookmark (lib/kube's rule, with its case of a server without bookmarks).
      const age = watch.health().synced ? watch.ageSeconds() : undefined;
      return age ?? Math.max(0, (clock.now() - startedAt) / 1000);
    },
    expectedFindings: (exemptions) => expectedFindingsOf(index, { ownNamespace: options.ownNamespace, exemptions }),
    start: (signal) => watch.start(signal),
    get size() {
      return index.size;
    },
  };
}
