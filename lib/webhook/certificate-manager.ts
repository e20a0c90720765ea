/**
 * @module
 * The self-managed certificate loop of `webhook serve --self-managed`: ensure the
 * Secret and the VWC caBundle at start (retrying with backoff until the API answers),
 * then re-check on an interval, so a replica renews before expiry and every replica
 * picks up a renewal another one wrote. Serving certificates live in memory: the
 * Secret volume, if mounted, is not needed.
 */
import type { Logger } from "../log.ts";
import { ensureCaBundle, ensureWebhookCertificates, type CertificateState, type SelfManagedOptions } from "./self-managed-certs.ts";

export interface CertificateManagerOptions extends SelfManagedOptions {
  logger: Logger;
  /** Between checks (jittered ±10 %). */
  intervalMs: number;
  /** Called when the serving pair changed (the server hands over). */
  onChange: (state: CertificateState) => Promise<unknown> | unknown;
}

export interface CertificateManager {
  /** Ensures certificates once, retrying until it succeeds or `signal` aborts. */
  initial(signal: AbortSignal): Promise<CertificateState>;
  current(): CertificateState;
  /** Re-checks every interval until `signal` aborts. */
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

  async function publish(current: CertificateState): Promise<void> {
    const result = await ensureCaBundle(options, current.caBundle);
    if (result === "updated") logger.info("caBundle of the webhook configuration updated", { configuration: options.webhookConfigurationName });
    if (result === "missing" && !missingLogged) logger.warn("webhook configuration not found; its caBundle will be set once it exists", { configuration: options.webhookConfigurationName });
    missingLogged = result === "missing";
  }

  async function check(): Promise<void> {
    const next = await ensureWebhookCertificates(options);
    const changed = !state || next.pair.cert !== state.pair.cert || next.pair.key !== state.pair.key;
    state = next;
    if (next.action !== "keep") logger.info("webhook certificates renewed", { action: next.action, secret: `${options.namespace}/${options.secretName}` });
    if (changed) await options.onChange(next);
    await publish(next);
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
      while (!signal.aborted) {
        await sleep(options.intervalMs * (0.9 + Math.random() * 0.2), signal);
        if (signal.aborted) break;
        try {
          await check();
        } catch (err) {
          logger.warn("certificate check failed; keeping the current certificate", { error: message(err) });
        }
      }
    },
  };
}
