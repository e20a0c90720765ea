/** The text log line is logfmt: values that would split wrongly are quoted, absent ones left out. */
import { expect, test } from "bun:test";
import { createLogger } from "../lib/log.ts";

function lines(fn: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const out: string[] = [];
  fn(createLogger({ level: "debug", write: (line) => void out.push(line) }));
  return out;
}

test("bare words stay bare; spaces, quotes, = and empty strings are quoted; undefined fields are left out", () => {
  const [line] = lines((log) => log.warn("api_unreachable", { server: "https://10.0.0.1:6443", error: "Cannot reach the API server at x", owner: undefined, note: "", expr: "a=b", count: 3, ok: true }));
  expect(line).toBe('WARN  api_unreachable server=https://10.0.0.1:6443 error="Cannot reach the API server at x" note="" expr="a=b" count=3 ok=true\n');
});

test("JSON lines keep every field as JSON (undefined dropped by JSON itself)", () => {
  const out: string[] = [];
  createLogger({ level: "info", format: "json", write: (line) => void out.push(line), now: () => new Date(0) }).info("started", { owner: undefined, addr: ":8080" });
  expect(JSON.parse(out[0]!)).toMatchObject({ level: "info", msg: "started", addr: ":8080" });
  expect(out[0]).not.toContain("owner");
});
