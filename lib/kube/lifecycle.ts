/**
 * @module
 * Process lifecycle for long-running commands: SIGTERM/SIGINT abort the
 * component's signal (loops stop, leases are released), then the registered
 * shutdown hooks run in reverse order (drain HTTP servers); all within a
 * bounded grace period. A second signal exits at once. A component that fails
 * before any signal (a port that cannot be bound, a loop that cannot start)
 * becomes a STARTUP error, so the process exits non-zero with a clear message
 * instead of lingering while serving nothing.
 */
import { KubeDevopsError } from "../errors.ts";

export interface ShutdownContext {
  /** Aborts on the first SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Registers cleanup run after the component returns (last registered runs first). */
  onShutdown(name: string, fn: () => void | Promise<void>): void;
}

/** The parts of `process` used here (injectable for tests). */
export interface ProcessLike {
  on(event: string, listener: (signal: string) => void): unknown;
  off(event: string, listener: (signal: string) => void): unknown;
  exit(code: number): void;
}

export interface LifecycleLogger {
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

export interface RunUntilSignalOptions {
  logger?: LifecycleLogger;
  /** Bound on the whole shutdown, ms (default 25 s: inside Kubernetes' 30 s grace period). */
  graceMs?: number;
  signals?: string[];
  proc?: ProcessLike;
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const silent: LifecycleLogger = { info() {}, warn() {}, error() {} };

/**
 * Runs `component(ctx)` until it returns. It should start its servers and
 * loops and resolve once `ctx.signal` has aborted and they have stopped.
 */
export async function runUntilSignal(name: string, component: (ctx: ShutdownContext) => Promise<void>, options: RunUntilSignalOptions = {}): Promise<void> {
  const proc: ProcessLike = options.proc ?? process;
  const logger = options.logger ?? silent;
  const graceMs = options.graceMs ?? 25_000;
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const ctrl = new AbortController();
  const hooks: { name: string; fn: () => void | Promise<void> }[] = [];
  let graceTimer: ReturnType<typeof setTimeout> | undefined;

  const onSignal = (sig: string): void => {
    if (ctrl.signal.aborted) {
      logger.warn(`${name}: second ${sig}, exiting now`);
      proc.exit(SIGNAL_EXIT[sig] ?? 1);
      return;
    }
    logger.info(`${name}: ${sig} received, shutting down (at most ${Math.round(graceMs / 1000)} s)`);
    graceTimer = setTimeout(() => {
      logger.error(`${name}: shutdown did not finish within ${Math.round(graceMs / 1000)} s, exiting`);
      proc.exit(1);
    }, graceMs);
    ctrl.abort(new Error(sig));
  };
  for (const sig of signals) proc.on(sig, onSignal);

  const runHooks = async (): Promise<void> => {
    for (const hook of [...hooks].reverse()) {
      try {
        await hook.fn();
      } catch (err) {
        logger.warn(`${name}: shutdown step "${hook.name}" failed`, err instanceof Error ? err : new Error(String(err)));
      }
    }
  };

  const cleanup = (): void => {
    clearTimeout(graceTimer);
    for (const sig of signals) proc.off(sig, onSignal);
  };
  try {
    await component({ signal: ctrl.signal, onShutdown: (hookName, fn) => void hooks.push({ name: hookName, fn }) });
  } catch (err) {
    if (!ctrl.signal.aborted) {
      ctrl.abort(err);
      await runHooks();
      cleanup();
      if (err instanceof KubeDevopsError) throw err;
      throw new KubeDevopsError("STARTUP", `${name} stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    logger.warn(`${name}: error while stopping`, err instanceof Error ? err : new Error(String(err)));
  }
  if (!ctrl.signal.aborted) ctrl.abort(new Error("finished"));
  await runHooks();
  cleanup();
  logger.info(`${name}: stopped`);
}
