/**
 * @module
 * What every command gets from the root: the global options and the logger.
 * The root (lib/cli/run-cli.ts) sets it once before dispatching; commands read
 * it with `cliRuntime()`. Tests set it with `setCliRuntime`.
 */
import { createLogger, type Logger } from "../log.ts";
import type { GlobalOptions } from "./globals.ts";

export interface CliRuntime {
  globals: GlobalOptions;
  logger: Logger;
  /** Writes data (never logs) to stdout. */
  out: (text: string) => void;
  /** The environment the command may read (KUBECONFIG, HOME, POD_NAME, ...). */
  env: Record<string, string | undefined>;
}

let current: CliRuntime | undefined;

/** Installs the runtime for the command about to run. */
export function setCliRuntime(runtime: CliRuntime): void {
  current = runtime;
}

/** The runtime of the running command (a default one when none was set). */
export function cliRuntime(): CliRuntime {
  current ??= {
    globals: { kubeconfig: undefined, context: undefined, requestTimeoutMs: undefined, logLevel: "info", logFormat: "text" },
    logger: createLogger(),
    out: (text) => void process.stdout.write(text),
    env: process.env,
  };
  return current;
}
