/**
 * @module
 * A long-running compiled component (`dist/kube-devops watch|reconcile|webhook serve`)
 * as a bench child: started with JSON logs, awaited until a log record says what the
 * bench waits for, its stderr drained from then on (a full pipe would block it), and
 * stopped with SIGTERM.
 */
import type { Subprocess } from "bun";

/** One JSON log record of a component (`msg` plus fields). */
export type LogRecord = Record<string, unknown> & { msg?: string };

export interface Component {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  /** Every record logged up to and including the awaited one. */
  records: LogRecord[];
  /** ms from spawn to the awaited record. */
  readyMs: number;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number>;
}

/** The environment a bench child gets: no inherited KUBECONFIG or proxies, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...extra };
}

/** The first record with message `msg` (e.g. the one holding the metrics address). */
export function findRecord(records: readonly LogRecord[], msg: string): LogRecord | undefined {
  return records.find((r) => r.msg === msg);
}

/**
 * Spawns `cmd` and resolves once a JSON log line on stderr satisfies `until`; rejects when the
 * child exits first or `timeoutMs` passes (the child is then killed), with its last output.
 */
export async function startComponent(cmd: string[], until: (record: LogRecord) => boolean, options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Component> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: options.env ?? childEnv() });
  const stop = async (): Promise<number> => {
    proc.kill("SIGTERM");
    return proc.exited;
  };
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  const records: LogRecord[] = [];
  let buffer = "";
  let tail = "";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, options.timeoutMs ?? 120_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${cmd.slice(1, 3).join(" ")} ${timedOut ? "was not ready in time" : "exited before it was ready"} (code ${await proc.exited}): ${tail}`);
      const text = decoder.decode(value, { stream: true });
      tail = (tail + text).slice(-2000);
      buffer += text;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        let record: LogRecord;
        try {
          record = JSON.parse(line) as LogRecord;
        } catch {
          continue;
        }
        records.push(record);
        if (until(record)) {
          const readyMs = performance.now() - started;
          void (async () => {
            while (!(await reader.read()).done);
          })();
          return { proc, records, readyMs, stop };
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
