/**
 * @module
 * The self-managed certificate loop of `webhook serve --self-managed`: ensure the
 * Secret and the VWC caBundle at start (retrying with backoff until the API answers),
 * then re-check on an interval, so a replica renews before expiry and every replica
 * picks up a renewal another one wrote; meanwhile a watch on the VWC repairs at once a
 * configuration that was replaced without the bundle (ca-bundle-watch.ts). Checks never
 * overlap. Serving certificates live in memory: the Secret volume, if mounted, is not needed.
 */
import { describeForeignConfiguration } from "../install/foreign-install.ts";
import type { Logger } from "../log.ts";
import type { ServiceRef } from "./published-bundle.ts";
import { watchCaBundle, type RepairPacing } from "./ca-bundle-watch.ts";
import { ensureCaBundle, ensureWebhookCertificates, type CertificateState, type SelfManagedOptions } from "./self-managed-certs.ts";

export interface CertificateManagerOptions extends SelfManagedOptions {
  logger: Logger;
  /** Between checks (jittered ±10 %). */
  intervalMs: number;
  /** Called when the serving pair changed (the server hands over). */
  onChange: (state: CertificateState) => Promise<unknown> | unknown;
  /** Spacing of watch-triggered repairs in a row (default: at once, then 1 s doubling to 60 s). */
  repairPacing?: RepairPacing;
}

export interface CertificateManager {
  /** Ensures certificates once, retrying until it succeeds or `signal` aborts. */
  initial(signal: AbortSignal): Promise<CertificateState>;
  current(): CertificateState;
  /** Re-checks every interval, and repairs the VWC when the watch sees it lack the bundle, until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Creates the manager (call `initial`, then `run`). */
export function createCertificateManager(options: CertificateManagerOptions): CertificateManager {
  const { logger } = options;
  let state: CertificateState | undefined;
  let missingLogged = false;
  /** The other install's Service the configuration calls, as last reported ("" when it calls ours). */
  let reportedOwner = "";

  /**
   * Says once that the configuration serves another install (an error) or calls no Service at
   * all (a warning), and once when it calls ours again: the watch and the periodic check both
   * call this, each time they look. `owner` undefined: ours; "none": no Service.
   */
  function reportOwner(owner: ServiceRef | "none" | undefined): void {
    const key = owner === "none" ? "none" : owner ? `${owner.namespace}/${owner.name}` : "";
    if (key === reportedOwner) return;
    const configuration = options.webhookConfigurationName;
    const ours = `${options.namespace}/${options.serviceName}`;
    if (owner === "none") {
      logger.warn(`the webhook configuration ${configuration} calls no Service (its webhooks are gone or use url): the API server sends this webhook nothing`, { configuration, service: ours, hint: `re-apply it: kube-devops webhook install-config --service-name ${options.serviceName} --namespace ${options.namespace} (or the deploy manifests)` });
    } else if (owner) {
      const { message, hint } = describeForeignConfiguration(configuration, { name: options.serviceName, namespace: options.namespace }, owner);
      logger.error(message, { configuration, service: ours, owner: key, hint });
    } else if (reportedOwner) {
      logger.info(`the webhook configuration ${configuration} calls this install's Service ${ours} again`, { configuration, previous: reportedOwner });
    }
    reportedOwner = key;
  }

  async function publish(current: CertificateState): Promise<void> {
    const result = await ensureCaBundle(options, current.caBundle);
    if (result.outcome === "updated") logger.info("caBundle of the webhook configuration updated", { configuration: options.webhookConfigurationName });
    if (result.outcome === "missing" && !missingLogged) logger.warn("webhook configuration not found; its caBundle will be set once it exists", { configuration: options.webhookConfigurationName });
    missingLogged = result.outcome === "missing";
    if (result.outcome !== "conflict" && result.outcome !== "missing") reportOwner(result.outcome === "foreign" ? result.owner : result.outcome === "none" ? "none" : undefined);
  }

  async function check(): Promise<void> {
    const next = await ensureWebhookCertificates(options);
    const changed = !state || next.pair.cert !== state.pair.cert || next.pair.key !== state.pair.key;
    state = next;
    if (next.action !== "keep") logger.info("webhook certificates renewed", { action: next.action, secret: `${options.namespace}/${options.secretName}` });
    if (changed) await options.onChange(next);
    await publish(next);
  }

  // the periodic check and a watch-triggered repair would otherwise race each other's writes
  let queue: Promise<unknown> = Promise.resolve();
  function checkExclusively(): Promise<void> {
    const run = queue.then(check);
    queue = run.catch(() => undefined);
    return run;
  }

  async function checkPeriodically(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(options.intervalMs * (0.9 + Math.random() * 0.2), signal);
      if (signal.aborted) break;
      try {
        await checkExclusively();
      } catch (err) {
        logger.warn("certificate check failed; keeping the current certificate", { error: message(err) });
      }
    }
  }

  return {
    async initial(signal) {
      let delay = 500;
      for (;;) {
        try {
          state = await ensureWebhookCertificates(options);
          if (state.action !== "keep") logger.info("webhook certificates written", { action: state.action, secret: `${options.namespace}/${options.secretName}` });
          await publish(state).catch((err) => logger.warn("cannot set the caBundle yet", { error: message(err) }));
          return state;
        } catch (err) {
          if (signal.aborted) throw err;
          logger.warn("cannot ensure the webhook certificates yet; retrying", { error: message(err), retryInMs: delay });
          await sleep(delay, signal);
          delay = Math.min(delay * 2, 30_000);
        }
      }
    },
    current() {
      if (!state) throw new Error("certificates not ensured yet");
      return state;
    },
    async run(signal) {
      const watch = watchCaBundle({
        client: options.client,
        name: options.webhookConfigurationName,
        service: { name: options.serviceName, namespace: options.namespace },
        logger,
        desired: () => state?.caBundle,
        onOwner: reportOwner,
        // the whole check, which re-reads the Secret first: a replica that missed a rotation publishes the current bundle, not its stale one
        repair: checkExclusively,
        ...(options.repairPacing ? { pacing: options.repairPacing } : {}),
      });
      // the periodic check stays: it renews, picks up other replicas' renewals, and covers a watch that cannot run
      await Promise.all([watch.start(signal), checkPeriodically(signal)]);
    },
  };
}
