/**
 * The streaming list decoder: items come out page by page whatever the chunk boundaries (keys,
 * strings with escaped quotes, multi-byte characters split across chunks), metadata before or
 * after the items, and a cut body is an error rather than a short list.
 */
import { describe, expect, test } from "bun:test";
import { decodeListBody, ListBodyError } from "../../lib/kube/list-decoder.ts";

const encoder = new TextEncoder();

async function* chunked(text: string, sizes: (i: number) => number): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(text);
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes(i));
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function decodeAll(text: string, pageSize: number, sizes: (i: number) => number = () => 1 << 16) {
  const pages = [];
  for await (const page of decodeListBody<{ metadata: { name: string } }>(chunked(text, sizes), pageSize)) pages.push(page);
  return pages;
}

const tricky = (i: number) => ({ metadata: { name: `p${i}`, annotations: { note: `a "quoted" \\ value, ünïcødé ✓ {not: [a, structure]} items`, items: "[]", trail: "ends in a backslash \\\\", quote: "\\\"" } }, spec: { items: [{ x: [1, { y: "}" }] }] } });
const list = (n: number, metadataFirst = true) => {
  const items = Array.from({ length: n }, (_, i) => tricky(i));
  const meta = { resourceVersion: "4711", remainingItemCount: 0 };
  return JSON.stringify(metadataFirst ? { kind: "PodList", apiVersion: "v1", metadata: meta, items } : { kind: "PodList", items, apiVersion: "v1", metadata: meta });
};

describe("decodeListBody", () => {
  test("pages of pageSize, the last flagged, every item equal to JSON.parse's", async () => {
    const text = list(7);
    const pages = await decodeAll(text, 3);
    expect(pages.map((p) => [p.items.length, p.last, p.resourceVersion])).toEqual([[3, false, "4711"], [3, false, "4711"], [1, true, "4711"]]);
    expect(pages.flatMap((p) => p.items)).toEqual(JSON.parse(text).items);
  });

  test("any chunk boundary: one byte at a time and random sizes give the same items", async () => {
    const text = list(5);
    const expected = JSON.parse(text).items;
    expect((await decodeAll(text, 2, () => 1)).flatMap((p) => p.items)).toEqual(expected);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) % 97) + 1;
    for (let round = 0; round < 20; round++) {
      const pages = await decodeAll(text, 2, random);
      expect(pages.flatMap((p) => p.items)).toEqual(expected);
      expect(pages.at(-1)?.resourceVersion).toBe("4711");
    }
  });

  test("metadata after the items: the last page carries the resourceVersion", async () => {
    const pages = await decodeAll(list(3, false), 2);
    expect(pages.map((p) => [p.items.length, p.resourceVersion])).toEqual([[2, ""], [1, "4711"]]);
  });

  test("an empty list is one empty last page", async () => {
    expect(await decodeAll(`{"kind":"PodList","metadata":{"resourceVersion":"9"},"items":[]}`, 500)).toEqual([{ items: [], resourceVersion: "9", last: true }]);
  });

  test("a body cut mid-way is an error, not a shorter list", async () => {
    const text = list(4);
    await expect(decodeAll(text.slice(0, text.length - 40), 2)).rejects.toBeInstanceOf(ListBodyError);
  });
});
