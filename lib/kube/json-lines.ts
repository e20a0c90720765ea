/**
 * @module
 * Incremental JSON-lines decoding of a streaming body (a watch): bytes are
 * decoded as they arrive, lines may be split across chunks (and UTF-8
 * characters across bytes), and only one line is held at a time.
 */

/** Splits text chunks into complete lines, keeping the unfinished tail. */
export class LineSplitter {
  private tail = "";

  /** Adds a chunk; returns the lines it completed (without newlines, blank lines dropped). */
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split("\n");
    this.tail = parts.pop() ?? "";
    return parts.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)).filter((l) => l.trim() !== "");
  }

  /** The unterminated last line at end of stream, if any. */
  flush(): string | undefined {
    const rest = this.tail.trim();
    this.tail = "";
    return rest === "" ? undefined : rest;
  }
}

/** A line that is not valid JSON: the stream is corrupt or was cut mid-object. */
export class JsonLineError extends Error {
  constructor(readonly line: string, cause: unknown) {
    super(`invalid JSON line in watch stream (${line.length} bytes): ${(cause as Error).message}`, { cause });
    this.name = "JsonLineError";
  }
}

/** Yields each JSON value of a newline-delimited stream as soon as its line is complete. */
export async function* decodeJsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch (err) {
      throw new JsonLineError(line, err);
    }
  };
  for await (const chunk of body) {
    for (const line of splitter.push(decoder.decode(chunk, { stream: true }))) yield parse(line);
  }
  const last = splitter.push(decoder.decode());
  for (const line of last) yield parse(line);
  const rest = splitter.flush();
  if (rest !== undefined) yield parse(rest);
}
