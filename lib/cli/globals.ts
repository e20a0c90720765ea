/**
 * @module
 * Global options (`--kubeconfig`, `--context`, `--request-timeout`, `--log-level`, `--log-format`).
 * They may appear anywhere on the command line, kubectl-style, so the root lifts
 * them out of argv before citty dispatches to a subcommand.
 */
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";
import { usageError } from "../errors.ts";
import { durationFlag } from "../duration.ts";
import type { ArgsDef } from "citty";

export interface GlobalOptions {
  kubeconfig: string | undefined;
  context: string | undefined;
  /** kubectl's --request-timeout, ms (0 = no per-request timeout); undefined = each command's own (30 s by default). */
  requestTimeoutMs: number | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** citty definitions, shown in the root's `--help`. */
export const globalArgs = {
  kubeconfig: { type: "string", description: "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)", valueHint: "path" },
  context: { type: "string", description: "The kubeconfig context to use", valueHint: "name" },
  "request-timeout": { type: "string", description: "Give up on one API request after this long, e.g. 10s (0 = never; default 30s); it is retried, so a command may take longer", valueHint: "duration" },
  "log-level": { type: "enum", options: [...LOG_LEVELS], default: "info", description: "Log verbosity (logs go to stderr)" },
  "log-format": { type: "enum", options: [...LOG_FORMATS], default: "text", description: "Log format: text for humans, json for controllers" },
} satisfies ArgsDef;

const GLOBAL_FLAGS = new Set(["--kubeconfig", "--context", "--request-timeout", "--log-level", "--log-format"]);

/** Splits argv into global options and the rest (what the subcommand sees). */
export function extractGlobalOptions(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const found: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = token.indexOf("=");
    const flag = eq > 0 ? token.slice(0, eq) : token;
    if (!GLOBAL_FLAGS.has(flag)) {
      rest.push(token);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === "") throw usageError(`Flag ${flag} needs a value`);
    found[flag] = value;
  }
  return { globals: validateGlobals(found), rest };
}

/**
 * The log format argv asks for, read leniently: the error that `extractGlobalOptions` throws
 * (say, for a bad --log-level) is still reported in the format the caller asked for.
 */
export function peekLogFormat(argv: readonly string[]): LogFormat {
  let format: LogFormat = "text";
  for (let i = 0; i < argv.length && argv[i] !== "--"; i++) {
    const value = argv[i] === "--log-format" ? argv[i + 1] : argv[i]?.startsWith("--log-format=") ? argv[i]?.slice(13) : undefined;
    if (value === "json" || value === "text") format = value;
  }
  return format;
}

function validateGlobals(found: Record<string, string>): GlobalOptions {
  const level = found["--log-level"] ?? "info";
  const format = found["--log-format"] ?? "text";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw usageError(`Invalid --log-level "${level}": expected one of ${LOG_LEVELS.join(", ")}`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`Invalid --log-format "${format}": expected one of ${LOG_FORMATS.join(", ")}`);
  }
  return {
    kubeconfig: found["--kubeconfig"],
    context: found["--context"],
    requestTimeoutMs: found["--request-timeout"] === undefined ? undefined : durationFlag("--request-timeout", found["--request-timeout"]),
    logLevel: level as LogLevel,
    logFormat: format as LogFormat,
  };
}
