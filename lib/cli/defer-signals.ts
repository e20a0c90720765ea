/**
 * @module
 * Runs a synchronous step that must not be cut short — the renames that swap a certificate set
 * into place — with SIGINT and SIGTERM held back: a signal that arrives meanwhile is
 * re-raised once the step is done (so the process still ends by it, exit 128+n), instead of
 * killing the process between two renames and leaving temporary and backup files behind.
 */
// Not SIGHUP: a handler added and removed leaves it at its default action, and under nohup, where
// it was ignored, that default would kill the command. (SIGINT has the same flaw in a shell's
// background job; a Ctrl-C guard is worth it there.)
const DEFERRED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

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
