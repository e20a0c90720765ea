/**
 * @module
 * The watch half of self-managed certificates: list+watch of the one ValidatingWebhookConfiguration
 * (fieldSelector metadata.name, which RBAC resourceNames can pin), so a configuration that was
 * replaced or lost its caBundle (Argo CD or `kubectl replace`, a reinstall, a `helm upgrade` whose
 * template has none) is repaired within seconds instead of at the next periodic check.
 *
 * It only compares; the repair is the certificate manager's check (re-read the Secret, then the
 * compare-and-patch with a resourceVersion `test`). It repairs a bundle that *lacks* a certificate
 * this replica must publish, never one that merely has more, so replicas whose views differ during
 * a rotation cannot undo each other; and repairs in a row (someone keeps resetting it) slow down.
 * A configuration that calls another install's Service is never repaired, only reported (decision 0035).
 */
import type { KubeClient } from "../kube/client.ts";
import { systemClock, type Clock } from "../kube/clock.ts";
import { listWatch, type ListWatchEvent } from "../kube/list-watch.ts";
import { VALIDATING_WEBHOOK_CONFIGURATIONS } from "../kube/resources.ts";
import type { Logger } from "../log.ts";
import { foreignWebhookService } from "../install/foreign-install.ts";
import { configurationCarries, ownCaBundles, type ServiceRef } from "./published-bundle.ts";

/** How repairs in a row are spaced: the first at once, then base, 2·base, … up to max, until quiet for `quietMs`. */
export interface RepairPacing {
  baseMs: number;
  maxMs: number;
  quietMs: number;
}

export const DEFAULT_REPAIR_PACING: RepairPacing = { baseMs: 1_000, maxMs: 60_000, quietMs: 60_000 };

/** Repairs in a row after which the log says someone keeps resetting the bundle. */
const FIGHT_STREAK = 3;

export interface CaBundleWatchOptions {
  client: KubeClient;
  /** The ValidatingWebhookConfiguration. */
  name: string;
  service: ServiceRef;
  logger: Logger;
  /** The PEM bundle this replica publishes now; undefined before its first check. */
  desired: () => string | undefined;
  /** Told, on every version seen, the Service of another install the configuration calls instead of ours (undefined: ours). */
  onOwner?: (owner: ServiceRef | undefined) => void;
  /** Brings the configuration up to date (the manager's check); may throw. */
  repair: () => Promise<void>;
  pacing?: RepairPacing;
  /** For the pacing (the list+watch keeps the real one). */
  clock?: Clock;
}

export interface CaBundleWatch {
  /** Watches until `signal` aborts, then waits for a repair in flight. */
  start(signal: AbortSignal): Promise<void>;
}

/** The wait before repair number `streak` of a run (0: the first after a quiet spell, at once). */
export function repairDelayMs(streak: number, pacing: RepairPacing): number {
  return streak <= 0 ? 0 : Math.min(pacing.maxMs, pacing.baseMs * 2 ** Math.min(streak - 1, 30));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the watch keeps of the configuration. */
type Seen = { resourceVersion: string; bundles: string[]; owner: ServiceRef | undefined };

/** Creates the watch (call `start`). */
export function watchCaBundle(options: CaBundleWatchOptions): CaBundleWatch {
  const { logger, name } = options;
  const pacing = options.pacing ?? DEFAULT_REPAIR_PACING;
  const clock = options.clock ?? systemClock;
  /** Our webhooks' caBundles as last seen; undefined while the configuration does not exist. */
  let published: string[] | undefined;
  let streak = -1;
  let lastRepairAt = Number.NEGATIVE_INFINITY;
  let draining: Promise<void> | undefined;
  let again = false;
  let signal: AbortSignal = new AbortController().signal;

  function needsRepair(): boolean {
    const desired = options.desired();
    return published !== undefined && desired !== undefined && !configurationCarries(published, desired);
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      const next = clock.now() - lastRepairAt < pacing.quietMs ? streak + 1 : 0;
      const delay = repairDelayMs(next, pacing);
      if (next === FIGHT_STREAK) logger.warn("the caBundle of the webhook configuration keeps being reset; repairing it with growing pauses (a GitOps tool comparing caBundle? exclude .webhooks[].clientConfig.caBundle from its diff)", { configuration: name, repairs: next, nextInMs: delay });
      if (delay > 0) await clock.sleep(delay, signal);
      // the watch may have seen our own write, or the periodic check may have published, meanwhile
      if (signal.aborted || !needsRepair()) return;
      streak = next;
      lastRepairAt = clock.now();
      logger.info("the webhook configuration lacks the CA bundle; publishing it", { configuration: name });
      try {
        await options.repair();
        logger.debug("caBundle repair done", { configuration: name });
      } catch (err) {
        logger.warn("cannot repair the caBundle yet; retrying", { configuration: name, error: message(err) });
        again = true;
      }
    } while (again && !signal.aborted && needsRepair());
  }

  function schedule(): void {
    if (!needsRepair()) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain().finally(() => {
      draining = undefined;
      // an event between drain's last check and this callback set `again` on a drain that had ended
      if (again) {
        again = false;
        schedule();
      }
    });
  }

  const watch = listWatch<Seen>({
    client: options.client,
    type: VALIDATING_WEBHOOK_CONFIGURATIONS,
    fieldSelector: `metadata.name=${name}`,
    project: (obj) => ({ resourceVersion: obj.metadata?.resourceVersion ?? "", bundles: ownCaBundles(obj, options.service), owner: foreignWebhookService(obj, options.service) }),
    onEvent(event: ListWatchEvent<Seen>) {
      switch (event.type) {
        case "added":
        case "modified":
          published = event.value.bundles;
          // another install's configuration has none of our webhooks, so nothing is repaired: only said
          options.onOwner?.(event.value.owner);
          // one line per version seen, with the verdict: what an operator (and the tests) can follow
          logger.debug("webhook configuration seen", { configuration: name, resourceVersion: event.value.resourceVersion, lacksBundle: needsRepair() });
          schedule();
          break;
        case "deleted":
          published = undefined;
          logger.info("webhook configuration deleted; its caBundle is set again as soon as it is re-created", { configuration: name });
          break;
        case "synced":
          logger.debug("watching the webhook configuration", { configuration: name, exists: event.size > 0 });
          break;
        case "relisted":
          schedule();
          break;
        case "error": {
          const status = (event.error as { httpStatus?: number }).httpStatus;
          const fields = {
            configuration: name,
            phase: event.phase,
            retryInMs: event.retryInMs,
            failures: event.failures,
            error: message(event.error),
            ...(status === 403 ? { hint: `grant list and watch on validatingwebhookconfigurations named ${name} (regenerate the RBAC: deploy generate-rbac, or upgrade the chart)` } : {}),
          };
          // the first failure of a streak is news; the retries of a lasting one are not
          if (event.failures <= 1) logger.warn("cannot watch the webhook configuration; the periodic check still keeps its caBundle", fields);
          else logger.debug("cannot watch the webhook configuration yet", fields);
          break;
        }
      }
    },
  });

  return {
    async start(given) {
      signal = given;
      await watch.start(given);
      await draining;
    },
  };
}
