/**
 * The CLI root's argv checks and negations, in process: what every command gets before it runs.
 * The compiled binary is exercised in cli-root.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { type ArgsDef, parseArgs } from "citty";
import { findArgvProblem, normalizeNegations } from "../lib/cli/strict-flags.ts";

const args = {
  filename: { type: "string", alias: "f" },
  output: { type: "enum", options: ["table", "json"], default: "table", alias: "o" },
  top: { type: "string", default: "10" },
  exemptions: { type: "boolean", default: true },
  "all-namespaces": { type: "boolean", alias: "A" },
} satisfies ArgsDef;
const withName = { ...args, name: { type: "positional", required: true } } satisfies ArgsDef;

describe("findArgvProblem", () => {
  test("accepts declared flags in every spelling, values, `-` and negative numbers as values", () => {
    for (const argv of [
      [],
      ["-f", "a.yaml", "--filename=b.yaml", "-f", "-", "-o", "json", "--output=table"],
      ["--exemptions", "--no-exemptions", "--exemptions=false", "-A", "--no-all-namespaces", "--help"],
      ["--top", "-1"],
      ["--filename="],
    ]) {
      expect({ argv, problem: findArgvProblem(argv, args) }).toEqual({ argv, problem: undefined });
    }
  });

  test("an undeclared flag is named as written, without its value", () => {
    expect(findArgvProblem(["--namspace", "x"], args)).toEqual({ kind: "unknown-flag", flag: "--namspace" });
    expect(findArgvProblem(["--namspace=x"], args)).toEqual({ kind: "unknown-flag", flag: "--namspace" });
    expect(findArgvProblem(["--no-top"], args)).toEqual({ kind: "unknown-flag", flag: "--no-top" });
    expect(findArgvProblem(["--no-exemptions=true"], args)).toEqual({ kind: "unknown-flag", flag: "--no-exemptions=true" });
  });

  test("a string or enum flag without its value: at the end, or followed by a flag or --", () => {
    expect(findArgvProblem(["-f"], args)).toEqual({ kind: "missing-value", flag: "-f", next: undefined });
    expect(findArgvProblem(["--output"], args)).toEqual({ kind: "missing-value", flag: "--output", next: undefined });
    expect(findArgvProblem(["-f", "--top", "3"], args)).toEqual({ kind: "missing-value", flag: "-f", next: "--top" });
    expect(findArgvProblem(["-f", "--"], args)).toEqual({ kind: "missing-value", flag: "-f", next: "--" });
  });

  test("more positional arguments than declared, counting those after --", () => {
    expect(findArgvProblem(["manifests/pod.yaml"], args)).toEqual({ kind: "unexpected-argument", value: "manifests/pod.yaml", accepted: 0 });
    expect(findArgvProblem(["-o", "json", "extra"], args)).toEqual({ kind: "unexpected-argument", value: "extra", accepted: 0 });
    expect(findArgvProblem(["--", "-f"], args)).toEqual({ kind: "unexpected-argument", value: "-f", accepted: 0 });
    expect(findArgvProblem(["baseline"], withName)).toBeUndefined();
    expect(findArgvProblem(["-"], withName)).toBeUndefined();
    expect(findArgvProblem(["baseline", "restricted"], withName)).toEqual({ kind: "unexpected-argument", value: "restricted", accepted: 1 });
  });
});

describe("normalizeNegations", () => {
  const parse = (argv: string[]) => parseArgs(normalizeNegations(argv, args), args) as Record<string, unknown>;

  test("the last of --x and --no-x wins, as for every other flag", () => {
    expect(parse([]).exemptions).toBe(true);
    expect(parse(["--no-exemptions"]).exemptions).toBe(false);
    expect(parse(["--no-exemptions", "--exemptions"]).exemptions).toBe(true);
    expect(parse(["--exemptions", "--no-exemptions"]).exemptions).toBe(false);
    expect(parse(["--no-exemptions", "--exemptions=true"]).exemptions).toBe(true);
    expect(parse(["-A", "--no-all-namespaces"])["all-namespaces"]).toBe(false);
    // Control: citty alone lets --no-x win wherever it stands.
    expect((parseArgs(["--no-exemptions", "--exemptions"], args) as Record<string, unknown>).exemptions).toBe(false);
  });

  test("leaves values, other flags and everything after -- alone", () => {
    expect(normalizeNegations(["-f", "--no-exemptions", "--no-exemptions", "--", "--no-exemptions"], args)).toEqual(["-f", "--no-exemptions", "--exemptions=false", "--", "--no-exemptions"]);
  });
});
