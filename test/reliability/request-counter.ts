/**
 * @module
 * Counts the requests an emulator receives (those answered by an injected fault
 * included), for "no unbounded retries" assertions in the reliability suite.
 */
import type { Emulator } from "../kube/emulator.ts";
import { defaultAuthenticate } from "../kube/hooks.ts";

export interface RequestCounter {
  /** Requests matching the path filter since `countRequests`, faulted ones included. */
  count(): number;
  stop(): void;
}

/**
 * Starts counting requests whose path contains `pathPart`. Requests that reach
 * authentication are counted through the hook; those an injected fault answered
 * first, from the fault rules' used-up budget (call `noteFaults` before adding
 * fault rules with the number of uses each adds).
 */
export function countRequests(emu: Emulator, pathPart: string): RequestCounter & { noteFaults(uses: number): void } {
  const inner = emu.hooks.authenticate ?? defaultAuthenticate;
  let reached = 0;
  let budget = 0;
  const pendingAtStart = emu.faults.pendingFailures;
  emu.hooks.authenticate = (req) => {
    if (req.url.pathname.includes(pathPart)) reached++;
    return inner(req);
  };
  return {
    noteFaults(uses) {
      budget += uses;
    },
    count: () => reached + (pendingAtStart + budget - emu.faults.pendingFailures),
    stop() {
      emu.hooks.authenticate = inner;
    },
  };
}
