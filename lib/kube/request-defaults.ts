/**
 * @module
 * Process-wide request settings the CLI root sets once from the global flags: kubectl's
 * `--request-timeout`, and who hears about retries (the root logs a line on stderr when a call
 * is retried after a timeout, so a hung server is visible within seconds). Every executor reads
 * them, so commands need not thread them through each createKubeClient.
 */
import type { RetryEvent } from "./request-executor.ts";

export interface RequestDefaults {
  /** `--request-timeout`: overrides every executor's per-request timeout (and caps the handshake deadline). */
  requestTimeoutMs?: number | undefined;
  /** Called for every retry, after the executor's own onRetry. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

let defaults: RequestDefaults = {};

/** Sets the defaults (the root does, once per process; tests reset them with `{}`). */
export function setRequestDefaults(next: RequestDefaults): void {
  defaults = { ...next };
}

export function requestDefaults(): Readonly<RequestDefaults> {
  return defaults;
}

/** The user-facing line for a retry after a timeout; undefined for other retries. */
export function describeTimeoutRetry(event: RetryEvent): string | undefined {
  const { error, call, attempt, delayMs } = event;
  const code = "errorCode" in error ? error.errorCode : "";
  if (code !== "TimeoutError" && code !== "HandshakeTimeout" && code !== "ETIMEDOUT") return undefined;
  return `${call.verb} ${call.resource}: ${error.message}; retrying in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt + 1})`;
}
