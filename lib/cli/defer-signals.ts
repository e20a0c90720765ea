/**
 * @module
 * Runs a synchronous step that must not be cut short — the renames that swap a certificate set
 * into place — with SIGINT, SIGTERM and SIGHUP held back: a signal that arrives meanwhile is
 * re-raised once the step is done (so the process still ends by it, exit 128+n), instead of
 * killing the process between two renames and leaving temporary and backup files behind.
 */
const DEFERRED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** `step()`'s result; a signal received while it ran is re-raised after it, with the default action. */
export async function withSignalsDeferred<T>(step: () => T): Promise<T> {
  let received: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals) => {
    received ??= signal;
  };
  for (const signal of DEFERRED) process.on(signal, hold);
  try {
    return step();
  } finally {
    // a signal that came during the step is dispatched on the next turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    for (const signal of DEFERRED) process.off(signal, hold);
    if (received !== undefined) process.kill(process.pid, received);
  }
}
