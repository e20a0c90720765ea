/**
 * @module
 * Data to stdout without crashing when stdout fails: Bun throws a write error (ENOSPC on a full
 * disk, EPIPE when `| head` stopped reading) either at once or as an unhandled 'error' event,
 * both printed as a stack trace. Here the first failure is kept, later writes are dropped, and
 * the CLI root reports it once the command is done (lib/cli/run-cli.ts).
 */

/** The part of a Node writable stream the writer uses (process.stdout, or a test's fake). */
export interface WritableLike {
  write(chunk: string, callback: (err?: Error | null) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}

export interface OutputWriter {
  /** Writes data; after a failure, does nothing. */
  write: (text: string) => void;
  /** Waits for every write to finish; the first failure, if any. */
  settle: () => Promise<Error | undefined>;
}

/** A writer over `stream` that records its first failure instead of throwing it. */
export function createOutputWriter(stream: WritableLike): OutputWriter {
  let failure: Error | undefined;
  const pending = new Set<Promise<void>>();
  const fail = (err: Error): void => {
    failure ??= err;
  };
  stream.on("error", fail);
  return {
    write(text) {
      if (failure) return;
      const done = new Promise<void>((resolve) => {
        try {
          stream.write(text, (err) => {
            if (err) fail(err);
            resolve();
          });
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
          resolve();
        }
      });
      pending.add(done);
      void done.then(() => pending.delete(done));
    },
    async settle() {
      while (pending.size > 0) await Promise.all(pending);
      return failure;
    },
  };
}

/** A reader that stopped reading (`| head -1`): not an error of ours, the output just ends. */
export function isBrokenPipe(err: Error): boolean {
  return (err as Error & { code?: unknown }).code === "EPIPE";
}
