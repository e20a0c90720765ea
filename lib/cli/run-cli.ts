/**
 * @module
 * The only place that turns errors into messages and exit codes:
 * 0 ok, 1 error, 2 usage, 3 policy violation (`--fail-on`), 4 score below `--min-score`.
 * Errors go to stderr as `error:`/`hint:` lines, or as one JSON line with `--log-format json`.
 */
import { runCommand, type ArgsDef, type CommandDef } from "citty";
import { KubeDevopsError, exitCodeOf, usageError } from "../errors.ts";
import { createLogger, formatJsonRecord, type LogFormat, type Logger } from "../log.ts";
import { formatVersion } from "../version.ts";
import { extractGlobalOptions, peekLogFormat } from "./globals.ts";
import { describeTimeoutRetry, setRequestDefaults } from "../kube/request-defaults.ts";
import { renderHelp } from "./help.ts";
import { createOutputWriter, isBrokenPipe, type OutputWriter } from "./output.ts";
import { type ArgvProblem, findArgvProblem, normalizeNegations } from "./strict-flags.ts";
import { setCliRuntime } from "./runtime.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- citty commands of any arg shape
type AnyCommand = CommandDef<any>;

async function resolveValue<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/**
 * Walks argv down the subcommand tree; returns the leaf, its parent, the leaf's own argv, and
 * the first flag written before a subcommand name (`kube-devops --bogus version`), which no
 * command would read.
 */
export async function resolveLeaf(
  root: AnyCommand,
  argv: readonly string[],
): Promise<{ cmd: AnyCommand; parent: AnyCommand | undefined; argv: string[]; path: string[]; misplaced?: { flag: string; path: string[] } }> {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let rest = [...argv];
  const path: string[] = [];
  let misplaced: { flag: string; path: string[] } | undefined;
  for (;;) {
    const subs = cmd.subCommands ? await resolveValue(cmd.subCommands) : undefined;
    const index = rest.findIndex((t) => !t.startsWith("-"));
    if (!subs || index < 0) return { cmd, parent, argv: rest, path, ...(misplaced ? { misplaced } : {}) };
    const name = rest[index] as string;
    const next = subs[name];
    if (!next) return { cmd, parent, argv: rest, path, ...(misplaced ? { misplaced } : {}) };
    if (index > 0) misplaced ??= { flag: rest[0] as string, path: [...path] };
    parent = cmd;
    cmd = (await resolveValue(next)) as AnyCommand;
    path.push(name);
    rest = rest.slice(index + 1);
  }
}

function isCittyError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && err.name === "CLIError";
}

function stripAnsi(text: string): string {
  return text.replace(/\u001B\[[0-9;]*m/g, "");
}

function commandName(path: readonly string[]): string {
  return ["kube-devops", ...path].join(" ");
}

/** The usage error for what `findArgvProblem` found in the argv of `name`. */
function argvError(problem: ArgvProblem, name: string, args: ArgsDef): KubeDevopsError {
  const help = `Run "${name} --help" for the flags it accepts.`;
  switch (problem.kind) {
    case "unknown-flag":
      return usageError(`Unknown flag ${problem.flag} for "${name}"`, help);
    case "missing-value":
      return problem.next === undefined || problem.next === "--"
        ? usageError(`Flag ${problem.flag} of "${name}" needs a value`, help)
        : usageError(`Flag ${problem.flag} of "${name}" needs a value, not the flag ${problem.next}`, `A value that starts with "-" is written ${problem.flag}=<value>.`);
    case "unexpected-argument": {
      const takes = problem.accepted === 0 ? "takes no arguments" : `takes ${problem.accepted} argument${problem.accepted === 1 ? "" : "s"}`;
      const hint = "filename" in args && problem.accepted === 0 ? `Give files with -f: ${name} -f ${problem.value}` : `Run "${name} --help" for its arguments and flags.`;
      return usageError(`Unexpected argument '${problem.value}': "${name}" ${takes}`, hint);
    }
  }
}

/** Runs the CLI and returns the exit code (the caller exits). */
export async function runCli(root: AnyCommand, argv: readonly string[]): Promise<number> {
  // A stderr that cannot be written leaves nowhere to report anything; the exit code still says it.
  process.stderr.on("error", () => {});
  const stdout = createOutputWriter(process.stdout);
  let format: LogFormat = peekLogFormat(argv);
  let logger = createLogger({ format });
  let code: number;
  try {
    const { globals, rest } = extractGlobalOptions(argv);
    format = globals.logFormat;
    logger = createLogger({ level: globals.logLevel, format });
    setCliRuntime({ globals, logger, out: stdout.write, env: process.env });
    const retryLogger = logger;
    // A hung API server must show within seconds: say so each time a call is retried after a timeout.
    setRequestDefaults({
      requestTimeoutMs: globals.requestTimeoutMs,
      onRetry: (event) => {
        const line = describeTimeoutRetry(event);
        if (line) retryLogger.warn(line);
      },
    });
    code = await dispatch(root, rest, stdout, format);
  } catch (err) {
    code = reportError(err, format, logger);
  }
  const failure = await stdout.settle();
  if (failure && !isBrokenPipe(failure)) {
    const failed = reportError(new KubeDevopsError("OUTPUT", `Cannot write the output to stdout: ${failure.message}`, { cause: failure }), format, logger);
    if (code === 0) code = failed;
  }
  return code;
}

async function dispatch(root: AnyCommand, rest: string[], stdout: OutputWriter, format: LogFormat): Promise<number> {
  if (rest.length === 1 && (rest[0] === "--version" || rest[0] === "-v")) {
    stdout.write(`${formatVersion()}\n`);
    return 0;
  }
  const leaf = await resolveLeaf(root, rest);
  if (rest.includes("--help") || rest.includes("-h")) {
    const usage = await renderHelp(root, leaf.cmd, leaf.path);
    stdout.write(`${process.stdout.isTTY && !process.env.NO_COLOR ? usage : stripAnsi(usage)}\n`);
    return 0;
  }
  if (leaf.misplaced) {
    const name = commandName(leaf.misplaced.path);
    throw usageError(`Unknown flag ${leaf.misplaced.flag} for "${name}"`, `Flags go after the command they belong to: run "${commandName(leaf.path)} --help" for its flags.`);
  }
  const leafArgs: ArgsDef = leaf.cmd.args ? await resolveValue(leaf.cmd.args) : {};
  const leafSubs = leaf.cmd.subCommands ? await resolveValue(leaf.cmd.subCommands) : undefined;
  if (leafSubs && !leaf.cmd.run) {
    const word = leaf.argv.find((t) => !t.startsWith("-"));
    if (format === "text") process.stderr.write(`${stripAnsi(await renderHelp(root, leaf.cmd, leaf.path))}\n\n`);
    throw usageError(word ? `Unknown command "${word}"` : "No command given");
  }
  const problem = findArgvProblem(leaf.argv, leafArgs);
  if (problem) throw argvError(problem, commandName(leaf.path), leafArgs);
  await runCommand(root, { rawArgs: [...leaf.path, ...normalizeNegations(leaf.argv, leafArgs)] });
  return 0;
}

/** Writes the final error: `error: …` (and `hint: …`) lines in text mode, one JSON line in json mode. */
function writeError(format: LogFormat, message: string, fields: { code: string; hint?: string | undefined }, verdict = false): void {
  if (format === "json") {
    process.stderr.write(formatJsonRecord("error", [message, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))], new Date()));
    return;
  }
  process.stderr.write(verdict ? `${message}\n` : `error: ${message}\n`);
  if (fields.hint) process.stderr.write(`hint: ${fields.hint}\n`);
}

function reportError(err: unknown, format: LogFormat, logger: Logger): number {
  if (isCittyError(err)) {
    writeError(format, stripAnsi(err.message), { code: "USAGE" });
    return 2;
  }
  if (err instanceof KubeDevopsError) {
    // Verdict-style codes (violations, score) are reported by the command itself.
    if (err.code !== "POLICY_VIOLATION" && err.code !== "SCORE_BELOW") {
      writeError(format, err.message, { code: err.code, hint: err.hint });
      if (err.cause !== undefined) logger.debug("caused by", { cause: String(err.cause) });
    } else if (err.message) {
      writeError(format, err.message, { code: err.code }, true);
    }
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeError(format, `internal error: ${message}`, { code: "INTERNAL" });
  if (err instanceof Error && err.stack) logger.debug(err.stack);
  return exitCodeOf(err);
}
