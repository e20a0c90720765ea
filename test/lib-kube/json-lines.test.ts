/** The streaming JSON-lines decoder: split lines, split UTF-8, trailing line, corrupt line. */
import { describe, expect, test } from "bun:test";
import { JsonLineError, LineSplitter, decodeJsonLines } from "../../lib/kube/json-lines.ts";

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? new TextEncoder().encode(p) : p;
}

async function collect(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe("LineSplitter", () => {
  test("keeps partial lines until their newline arrives", () => {
    const s = new LineSplitter();
    expect(s.push('{"a":')).toEqual([]);
    expect(s.push('1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(":2}\r\n\n")).toEqual(['{"b":2}']);
    expect(s.flush()).toBeUndefined();
    s.push('{"c":3}');
    expect(s.flush()).toBe('{"c":3}');
  });
});

describe("decodeJsonLines", () => {
  test("objects split across chunks at any byte, including inside a multi-byte character", async () => {
    const text = '{"type":"ADDED","object":{"name":"pöd-é"}}\n{"type":"DELETED","object":{"name":"x"}}\n';
    const bytes = new TextEncoder().encode(text);
    const pieces = Array.from(bytes, (b) => new Uint8Array([b])); // one byte per chunk
    const values = await collect(decodeJsonLines(chunks(...pieces)));
    expect(values).toEqual([
      { type: "ADDED", object: { name: "pöd-é" } },
      { type: "DELETED", object: { name: "x" } },
    ]);
  });
  test("yields a value before the stream ends (incremental)", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{"n":1}\n');
      await gate;
      yield new TextEncoder().encode('{"n":2}\n');
    }
    const it = decodeJsonLines(slow());
    expect((await it.next()).value).toEqual({ n: 1 });
    release();
    expect((await it.next()).value).toEqual({ n: 2 });
  });
  test("an unterminated final line is still decoded", async () => {
    expect(await collect(decodeJsonLines(chunks('{"n":1}\n{"n":2}')))).toEqual([{ n: 1 }, { n: 2 }]);
  });
  test("a corrupt line throws JsonLineError", async () => {
    await expect(collect(decodeJsonLines(chunks('{"n":1}\n{"n":\n')))).rejects.toBeInstanceOf(JsonLineError);
  });
});
