/**
 * @module
 * Incremental decoding of one unpaginated list response (`{"metadata":{...},"items":[...]}`):
 * each item is parsed as soon as its bytes are complete and handed out in pages, so a full list
 * of 100k pods never exists as one body string nor as 100k parsed objects at once.
 */

/** The response ended before its JSON did (a cut connection), or it is not a list object. */
export class ListBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ListBodyError";
  }
}

export interface DecodedListPage<T> {
  items: T[];
  /** `metadata.resourceVersion` once read ("" before: servers send metadata first). */
  resourceVersion: string;
  last: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Bytes of one value being collected across chunks. */
class Collector {
  private parts: Uint8Array[] = [];
  private size = 0;
  add(part: Uint8Array): void {
    this.parts.push(part.slice());
    this.size += part.length;
  }
  take(tail: Uint8Array): string {
    if (this.parts.length === 0) return decoder.decode(tail);
    const all = new Uint8Array(this.size + tail.length);
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    all.set(tail, at);
    this.parts = [];
    this.size = 0;
    return decoder.decode(all);
  }
}

const decoder = new TextDecoder();

/**
 * Yields the items of a list body in pages of `pageSize` (the last page flagged; a list without
 * items yields one empty last page). Only the top-level `items` array and `metadata` object are
 * interpreted; every other field is skipped.
 */
export async function* decodeListBody<T>(body: AsyncIterable<Uint8Array>, pageSize: number): AsyncGenerator<DecodedListPage<T>> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let closed = false;
  // The last string seen directly in the top-level object, and the key whose value comes next.
  let stringStart = -1;
  let partialString = "";
  let lastString = "";
  let key = "";
  // What the current depth-2 value is: an item of `items`, the `metadata` object, or something skipped.
  let capture: "item" | "metadata" | undefined;
  let inItems = false;
  let captureStart = -1;
  const collector = new Collector();
  let resourceVersion = "";
  let page: T[] = [];

  const finish = (json: string): T | undefined => {
    try {
      const value = JSON.parse(json) as unknown;
      if (capture === "metadata") {
        const rv = (value as { resourceVersion?: unknown }).resourceVersion;
        if (typeof rv === "string") resourceVersion = rv;
        return undefined;
      }
      return value as T;
    } catch (err) {
      throw new ListBodyError(`invalid JSON in a list item: ${(err as Error).message}`);
    }
  };

  for await (const chunk of body) {
    const n = chunk.length;
    if (captureStart >= 0) captureStart = 0;
    if (stringStart >= 0) stringStart = 0;
    for (let i = 0; i < n; i++) {
      if (inString) {
        if (escaped) {
          escaped = false; // this byte is escaped: whatever it is, it does not end the string
          continue;
        }
        // Most of a list's bytes are inside strings: jump to the next quote (memchr-fast); it ends
        // the string unless an odd run of backslashes precedes it.
        const q = chunk.indexOf(QUOTE, i);
        const end = q < 0 ? n : q;
        let run = 0;
        while (end - run - 1 >= i && chunk[end - run - 1] === BACKSLASH) run++;
        if (q < 0) {
          escaped = run % 2 === 1;
          break;
        }
        i = q;
        if (run % 2 === 1) continue;
        inString = false;
        // Keys of the top-level object are short; a long string there is a value and never "items".
        if (depth === 1 && stringStart >= 0) lastString = partialString.length + i - stringStart < 64 ? partialString + decoder.decode(chunk.subarray(stringStart, i)) : "";
        stringStart = -1;
        partialString = "";
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) {
        inString = true;
        if (depth === 1) stringStart = i + 1;
      } else if (c === COLON) {
        if (depth === 1) key = lastString;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (closed) throw new ListBodyError("the list response has data after its end");
        depth++;
        if (depth === 1 && c !== OPEN_OBJECT) throw new ListBodyError("the list response is not a JSON object");
        if (depth === 2 && c === OPEN_ARRAY && key === "items") inItems = true;
        else if (depth === 2 && c === OPEN_OBJECT && key === "metadata") (capture = "metadata"), (captureStart = i);
        else if (depth === 3 && inItems) (capture = "item"), (captureStart = i);
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) closed = true;
        else if (depth === 1) {
          inItems = false;
          key = "";
          if (capture === "metadata") finish(collector.take(chunk.subarray(captureStart, i + 1)));
          capture = undefined;
          captureStart = -1;
        } else if (depth === 2 && capture === "item") {
          const item = finish(collector.take(chunk.subarray(captureStart, i + 1))) as T;
          capture = undefined;
          captureStart = -1;
          if (page.length === pageSize) {
            yield { items: page, resourceVersion, last: false };
            page = [];
          }
          page.push(item);
        }
      }
    }
    if (captureStart >= 0) collector.add(chunk.subarray(captureStart));
    // A top-level string cut by the chunk boundary (a key may be): keep its start, unless it is long.
    if (stringStart >= 0) partialString = partialString.length + n - stringStart < 64 ? partialString + decoder.decode(chunk.subarray(stringStart)) : " ".repeat(64);
  }
  if (!closed) throw new ListBodyError("the list response ended before its JSON did (connection cut mid-way?)");
  yield { items: page, resourceVersion, last: true };
}
