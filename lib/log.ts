/**
 * @module
 * The logger: consola writing to stderr only, as text for humans or as JSON
 * lines for controllers. Created once from validated options and passed in;
 * nothing reads the environment at import time.
 */
import { createConsola, type ConsolaInstance, type LogObject } from "consola";

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type Logger = ConsolaInstance;

const CONSOLA_LEVEL: Record<LogLevel, number> = {
  silent: Number.NEGATIVE_INFINITY,
  error: 0,
  warn: 1,
  info: 3,
  debug: 4,
  trace: 5,
};

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr unless a test captures them. */
  write?: (line: string) => void;
  /** Clock for JSON timestamps (injected for tests). */
  now?: () => Date;
}

function writeStderr(line: string): void {
  process.stderr.write(line);
}

/** Turns a consola log object into one JSON line: time, level, msg, tag and fields. */
export function formatJsonLine(log: LogObject, now: Date): string {
  return formatJsonRecord(log.type === "log" ? "info" : log.type, log.args as unknown[], now, log.tag);
}

/**
 * One JSON line as the logger writes it, for lines that bypass the log level (the CLI's final
 * error): `args` as a log call takes them, a message and then objects of fields.
 */
export function formatJsonRecord(level: string, args: readonly unknown[], now: Date, tag?: string): string {
  const [first, ...rest] = args;
  const record: Record<string, unknown> = { time: now.toISOString(), level };
  if (tag) record.component = tag;
  if (first instanceof Error) {
    record.msg = first.message;
    record.error = first.name;
  } else {
    record.msg = typeof first === "string" ? first : JSON.stringify(first);
  }
  for (const extra of rest) {
    if (extra instanceof Error) record.error = extra.message;
    else if (extra && typeof extra === "object") Object.assign(record, extra);
    else if (extra !== undefined) record.detail = extra;
  }
  return `${JSON.stringify(record)}\n`;
}

/** logfmt: a bare word stays bare; a string with spaces, quotes, `=` or nothing in it is quoted, so `key=value` pairs split unambiguously. */
function textValue(value: unknown): string {
  if (typeof value !== "string") return JSON.stringify(value);
  return value === "" || /[\s"=\\]/.test(value) ? JSON.stringify(value) : value;
}

function formatTextLine(log: LogObject): string {
  const [first, ...rest] = log.args as unknown[];
  const message = first instanceof Error ? first.message : String(first);
  const fields = rest
    .map((extra) => {
      if (extra instanceof Error) return `error=${JSON.stringify(extra.message)}`;
      if (extra && typeof extra === "object") {
        return Object.entries(extra as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${textValue(v)}`)
          .join(" ");
      }
      return String(extra);
    })
    .filter((s) => s.length > 0);
  const level = log.type === "log" || log.type === "success" ? "info" : log.type;
  const tag = log.tag ? `[${log.tag}] ` : "";
  return `${level.toUpperCase().padEnd(5)} ${tag}${message}${fields.length ? ` ${fields.join(" ")}` : ""}\n`;
}

/** Creates the process logger. Logs go to stderr; data never does. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  const format = options.format ?? "text";
  return createConsola({
    level: CONSOLA_LEVEL[options.level ?? "info"],
    reporters: [
      {
        log(log) {
          write(format === "json" ? formatJsonLine(log, now()) : formatTextLine(log));
        },
      },
    ],
  });
}
