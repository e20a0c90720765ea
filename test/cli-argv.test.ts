/**
 * The CLI root's argv checks, negations, help text and stdout writer, in process: what every
 * command gets before (and after) it runs. The compiled binary is exercised in cli-root.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { type ArgsDef, type CommandDef, parseArgs } from "citty";
import { root } from "../cmd/main.ts";
import { peekLogFormat } from "../lib/cli/globals.ts";
import { renderHelp } from "../lib/cli/help.ts";
import { createOutputWriter, isBrokenPipe, type WritableLike } from "../lib/cli/output.ts";
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

describe("help", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- citty commands of any arg shape
  type AnyCommand = CommandDef<any>;
  const resolve = async <T>(value: unknown): Promise<T> => (typeof value === "function" ? await (value as () => unknown)() : await value) as T;

  async function everyCommand(cmd: AnyCommand, path: string[], out: Array<{ cmd: AnyCommand; path: string[] }>): Promise<typeof out> {
    out.push({ cmd, path });
    const subs = cmd.subCommands ? await resolve<Record<string, unknown>>(cmd.subCommands) : {};
    for (const [name, sub] of Object.entries(subs)) await everyCommand(await resolve<AnyCommand>(sub), [...path, name], out);
    return out;
  }

  test("every command's usage line starts with its whole name, and no default is shown empty", async () => {
    const commands = await everyCommand(root as AnyCommand, [], []);
    expect(commands.length).toBeGreaterThan(20);
    for (const { cmd, path } of commands) {
      const help = (await renderHelp(root as AnyCommand, cmd, path)).replace(/\u001B\[[0-9;]*m/g, "");
      const name = ["kube-devops", ...path].join(" ");
      expect({ name, usage: help.split("\n").find((l) => l.startsWith("USAGE"))?.startsWith(`USAGE ${name}`), emptyDefault: help.includes("(Default: )") }).toEqual({ name, usage: true, emptyDefault: false });
    }
  });

  test("a non-empty default is still shown", async () => {
    const observability = await resolve<AnyCommand>((root.subCommands as Record<string, unknown>).observability);
    const rules = await resolve<AnyCommand>((observability.subCommands as Record<string, unknown>)["generate-rules"]);
    const help = await renderHelp(root as AnyCommand, rules, ["observability", "generate-rules"]);
    expect(help).toContain("(Default: kube-devops)");
    expect(help).toContain("--monitor-labels");
  });
});

describe("peekLogFormat", () => {
  test("finds --log-format json in either spelling, text otherwise", () => {
    expect(peekLogFormat(["--log-format", "json", "--log-level", "bogus"])).toBe("json");
    expect(peekLogFormat(["version", "--log-format=json"])).toBe("json");
    expect(peekLogFormat(["--log-format", "xml"])).toBe("text");
    expect(peekLogFormat(["--", "--log-format", "json"])).toBe("text");
  });
});

describe("createOutputWriter", () => {
  function fakeStream(fail: (n: number) => { sync?: Error; async?: Error } = () => ({})) {
    const written: string[] = [];
    let calls = 0;
    const listeners: Array<(err: Error) => void> = [];
    const stream: WritableLike = {
      write(chunk, callback) {
        const outcome = fail(++calls);
        if (outcome.sync) throw outcome.sync;
        if (!outcome.async) written.push(chunk);
        setTimeout(() => callback(outcome.async ?? null), 1);
        return true;
      },
      on(_event, listener) {
        listeners.push(listener);
      },
    };
    return { stream, written, listeners, calls: () => calls };
  }
  const errno = (code: string) => Object.assign(new Error(`${code}: write failed`), { code });

  test("writes in order and settles without a failure", async () => {
    const fake = fakeStream();
    const out = createOutputWriter(fake.stream);
    out.write("a");
    out.write("b");
    expect(await out.settle()).toBeUndefined();
    expect(fake.written).toEqual(["a", "b"]);
  });

  test("a failure reported to the write's callback is kept, and later writes are dropped", async () => {
    const fake = fakeStream((n) => (n === 1 ? { async: errno("ENOSPC") } : {}));
    const out = createOutputWriter(fake.stream);
    out.write("a");
    const failure = await out.settle();
    out.write("b");
    expect([failure?.message, fake.calls(), fake.written]).toEqual(["ENOSPC: write failed", 1, []]);
  });

  test("a write that throws at once (Bun's fast path on EPIPE) does not escape to the command", async () => {
    const fake = fakeStream(() => ({ sync: errno("EPIPE") }));
    const out = createOutputWriter(fake.stream);
    expect(() => out.write("a")).not.toThrow();
    const failure = await out.settle();
    expect(failure && isBrokenPipe(failure)).toBe(true);
  });

  test("an 'error' event is handled (an unhandled one crashes with a stack trace) and kept", async () => {
    const fake = fakeStream();
    const out = createOutputWriter(fake.stream);
    expect(fake.listeners.length).toBe(1);
    fake.listeners[0]?.(errno("EIO"));
    expect((await out.settle())?.message).toBe("EIO: write failed");
    expect(isBrokenPipe(errno("EIO"))).toBe(false);
  });
});
