/**
 * `--now` takes RFC 3339 with an explicit zone and a real calendar date only: what
 * Date.parse also takes (`1`, `March 7`, Feb 30 rolled into March, a zone-less local
 * time that moves with TZ) is refused with the reason, a usage error on the CLI.
 */
import { describe, expect, test } from "bun:test";
import { parseRfc3339 } from "../lib/rfc3339.ts";
import { runBinary } from "./support/binary.ts";

const iso = (text: string) => {
  const r = parseRfc3339(text);
  return "ms" in r ? new Date(r.ms).toISOString() : r.error;
};

describe("parseRfc3339", () => {
  test.each([
    ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00.000Z"],
    ["2026-11-26t10:00:00z", "2026-11-26T10:00:00.000Z"],
    ["2026-11-26T10:00:00.123456+01:00", "2026-11-26T09:00:00.123Z"],
    ["2026-11-26T10:00:00-00:30", "2026-11-26T10:30:00.000Z"],
    ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
    ["0099-12-31T00:00:00Z", "0099-12-31T00:00:00.000Z"],
  ])("%s is %s", (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  test.each([
    ["1", "not an RFC 3339 date-time"],
    ["March 7", "not an RFC 3339 date-time"],
    ["2026-11-26T10:00:00", "not an RFC 3339 date-time with a time zone"],
    ["2026-11-26 10:00:00Z", "not an RFC 3339 date-time"],
    ["2026-11-26", "not an RFC 3339 date-time"],
    ["2026-02-30T00:00:00Z", "2026-02-30 is not a calendar date"],
    ["2026-02-29T00:00:00Z", "2026-02-29 is not a calendar date"],
    ["1900-02-29T00:00:00Z", "1900-02-29 is not a calendar date"],
    ["2026-04-31T00:00:00Z", "2026-04-31 is not a calendar date"],
    ["2026-13-01T00:00:00Z", "2026-13-01 is not a calendar date"],
    ["2026-11-26T24:00:00Z", "24:00:00 is not a time of day"],
    ["2026-11-26T10:60:00Z", "10:60:00 is not a time of day"],
    ["2026-11-26T10:00:00+24:00", "+24:00 is not a time zone offset"],
  ])("%s is refused: %s", (text, reason) => {
    expect(iso(text)).toStartWith(reason);
  });
});

describe("analyze --now", () => {
  test("a non-RFC 3339 value is a usage error (exit 2) naming the value and why", () => {
    for (const [value, why] of [["1", "not an RFC 3339 date-time"], ["2026-02-30T00:00:00Z", "2026-02-30 is not a calendar date"]] as const) {
      const { code, stdout, stderr } = runBinary(["analyze", "-f", "examples/cluster-snapshot.yaml", "--now", value]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain(`Invalid --now "${value}": ${why}`);
    }
  });

  test("the evaluation time does not depend on the machine's time zone", () => {
    const at = (tz: string) => JSON.parse(runBinary(["analyze", "-f", "examples/cluster-snapshot.yaml", "--now", "2026-11-26T10:00:00+09:00", "-o", "json"], { env: { TZ: tz } }).stdout).evaluatedAt;
    expect(at("UTC")).toBe("2026-11-26T01:00:00.000Z");
    expect(at("America/New_York")).toBe("2026-11-26T01:00:00.000Z");
  });
});
