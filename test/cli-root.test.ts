/**
 * The CLI root: version, help, exit codes, strict flags and arguments, logs on stderr, errors
 * (text or one JSON line), a stdout that fails, and a binary that ignores a hostile
 * bunfig.toml/.env in the directory it runs from.
 */
import { spawnSync } from "bun";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, runBinary } from "./support/binary.ts";

const SNAPSHOT = "examples/cluster-snapshot.yaml";
/** Without a kubeconfig, a command that went live would fail with exit 1 "Cannot load kubeconfig". */
const NO_CLUSTER = { KUBECONFIG: "/nonexistent/kubeconfig" };

describe("compiled binary", () => {
  test("`version` prints the semver and the commit baked in at build time", () => {
    const { code, stdout } = runBinary(["version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^kube-devops version \d+\.\d+\.\d+ \((?!dev\))[\w-]+\)\n$/);
  });

  test("`--version` prints the same line", () => {
    expect(runBinary(["--version"]).stdout).toBe(runBinary(["version"]).stdout);
  });

  test("`--help` exits 0 and lists the registered commands on stdout", () => {
    const { code, stdout, stderr } = runBinary(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("version");
    expect(stdout).toContain("--log-format");
    expect(stderr).toBe("");
  });

  test("an unknown command is a usage error (exit 2)", () => {
    const { code, stderr, stdout } = runBinary(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command "frobnicate"');
    expect(stdout).toBe("");
  });

  test("an unknown flag is a usage error naming the flag (exit 2)", () => {
    const { code, stderr } = runBinary(["version", "--namspace", "x"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--namspace");
  });

  test("an invalid --log-format is a usage error (exit 2)", () => {
    const { code, stderr } = runBinary(["--log-format", "xml", "version"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--log-format");
  });

  test("global options are accepted after the subcommand too", () => {
    const { code } = runBinary(["version", "--log-level", "debug", "--log-format=json"]);
    expect(code).toBe(0);
  });

  test("a hostile bunfig.toml and .env in the working directory change nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-hostile-"));
    writeFileSync(join(dir, "evil.ts"), 'console.log("PWNED"); process.exit(99);\n');
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\nsmol = true\n');
    writeFileSync(join(dir, ".env"), "NODE_TLS_REJECT_UNAUTHORIZED=0\nKUBECONFIG=/nonexistent\n");
    const { code, stdout } = runBinary(["version"], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).not.toContain("PWNED");
    expect(stdout).toMatch(/^kube-devops version /);
  });
});

describe("compiled binary: arguments no command reads are usage errors (exit 2), never ignored", () => {
  test("a string flag without its value names the flag, instead of running a live analysis", () => {
    const cases = [
      { argv: ["analyze", "-f"], error: 'error: Flag -f of "kube-devops analyze" needs a value' },
      { argv: ["analyze", "--filename"], error: 'error: Flag --filename of "kube-devops analyze" needs a value' },
      { argv: ["analyze", "-o"], error: 'error: Flag -o of "kube-devops analyze" needs a value' },
      { argv: ["analyze", "-f", "--fail-on", "high"], error: 'error: Flag -f of "kube-devops analyze" needs a value, not the flag --fail-on' },
    ];
    for (const { argv, error } of cases) {
      const { code, stdout, stderr } = runBinary(argv, { env: NO_CLUSTER });
      expect({ argv, code, stdout, error: stderr.split("\n")[0] }).toEqual({ argv, code: 2, stdout: "", error });
    }
  });

  test("a positional argument where a command takes none is named (analyze points at -f)", () => {
    const analyze = runBinary(["analyze", "manifests/pod.yaml"], { env: NO_CLUSTER });
    expect(analyze).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Unexpected argument 'manifests/pod.yaml': "kube-devops analyze" takes no arguments\nhint: Give files with -f: kube-devops analyze -f manifests/pod.yaml\n`,
    });
    for (const argv of [["deploy", "generate-all", "extra"], ["policy", "bundle-show", "baseline", "restricted"], ["version", "extra"], ["list", "pods", "nodes"]]) {
      const { code, stdout, stderr } = runBinary(argv, { env: NO_CLUSTER });
      expect({ argv, code, stdout, named: stderr.startsWith(`error: Unexpected argument '${argv.at(-1)}'`) }).toEqual({ argv, code: 2, stdout: "", named: true });
    }
    expect(runBinary(["policy", "bundle-show", "baseline"]).code).toBe(0);
  });

  test("a flag before the command it belongs to is an unknown flag of the parent", () => {
    const { code, stderr } = runBinary(["--bogus", "version"]);
    expect({ code, first: stderr.split("\n")[0] }).toEqual({ code: 2, first: 'error: Unknown flag --bogus for "kube-devops"' });
  });

  test("--no-exemptions then --exemptions: the last one wins, as for every other flag", () => {
    const plain = runBinary(["analyze", "-f", SNAPSHOT]).stdout;
    const off = runBinary(["analyze", "-f", SNAPSHOT, "--no-exemptions"]).stdout;
    expect(off).not.toBe(plain);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "--no-exemptions", "--exemptions"]).stdout).toBe(plain);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "--exemptions", "--no-exemptions"]).stdout).toBe(off);
  });
});

describe("compiled binary: errors", () => {
  test("text mode: `error:` and `hint:` lines on stderr", () => {
    const { code, stdout, stderr } = runBinary(["analyze", "-f", "/nonexistent/pods.yaml"]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toMatch(/^error: .*\/nonexistent\/pods\.yaml.*\nhint: .+\n$/);
  });

  test("--log-format json: the final error is one JSON log line, whatever the log level", () => {
    for (const argv of [
      ["--log-format", "json", "analyze", "-f", "/nonexistent/pods.yaml"],
      ["analyze", "-f", "/nonexistent/pods.yaml", "--log-format=json", "--log-level", "silent"],
      ["--log-format", "json", "analyze", "-f"],
      ["--log-format", "json", "deploy"],
      ["--log-format", "json", "--log-level", "bogus", "version"],
    ]) {
      const { code, stdout, stderr } = runBinary(argv, { env: NO_CLUSTER });
      const lines = stderr.split("\n").filter((l) => l !== "");
      expect({ argv, stdout, lines: lines.length, codeIsError: code === 1 || code === 2 }).toEqual({ argv, stdout: "", lines: 1, codeIsError: true });
      expect(JSON.parse(lines[0] as string)).toEqual({ time: expect.any(String), level: "error", msg: expect.any(String), code: code === 2 ? "USAGE" : "INPUT", ...(lines[0]?.includes('"hint"') ? { hint: expect.any(String) } : {}) });
    }
  });

  test("--log-format json: a --fail-on verdict is a JSON line too, and the exit code stays 3", () => {
    const { code, stderr } = runBinary(["analyze", "-f", SNAPSHOT, "--fail-on", "high", "--log-format", "json"]);
    expect(code).toBe(3);
    expect(JSON.parse(stderr)).toMatchObject({ level: "error", code: "POLICY_VIOLATION", msg: expect.stringContaining("--fail-on high") });
  });
});

describe("compiled binary: a stdout that cannot be written", () => {
  test.skipIf(!existsSync("/dev/full"))("a full device (ENOSPC): one `error:` line, exit 1, no stack trace", () => {
    for (const argv of [["deploy", "generate-all"], ["analyze", "-f", SNAPSHOT, "-o", "json"], ["--help"]]) {
      const result = spawnSync([ensureBinary(), ...argv], { stdout: Bun.file("/dev/full"), stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      expect({ argv, code: result.exitCode, stderr: result.stderr.toString() }).toEqual({ argv, code: 1, stderr: "error: Cannot write the output to stdout: ENOSPC: no space left on device, write\n" });
    }
    const gate = spawnSync([ensureBinary(), "analyze", "-f", SNAPSHOT, "--fail-on", "high"], { stdout: Bun.file("/dev/full"), stderr: "pipe" });
    expect({ code: gate.exitCode, lines: gate.stderr.toString().split("\n").filter((l) => l !== "").length }).toEqual({ code: 3, lines: 2 });
  });

  test("a reader that stops early (`| head -c 10`, EPIPE): the output ends quietly with the command's exit code", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-epipe-"));
    const pod = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: ns${i % 20}}\nspec:\n  containers:\n  - {name: c, image: app:latest}\n`;
    writeFileSync(join(dir, "big.yaml"), Array.from({ length: 3000 }, (_, i) => pod(i)).join("---\n"));
    const err = join(dir, "stderr");
    const runs = [
      { extra: "", code: 0, stderr: "" },
      { extra: "--fail-on high", code: 3, stderr: "3000 violation(s) at or above severity high (--fail-on high)\n" },
    ];
    for (const run of runs) {
      const script = `"$0" analyze -f "$1" -o json ${run.extra} 2>"$2" | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}`;
      const result = spawnSync(["bash", "-c", script, ensureBinary(), join(dir, "big.yaml"), err], { stdout: "pipe", stderr: "pipe" });
      expect({ ...run, code: result.exitCode, stderr: readFileSync(err, "utf8") }).toEqual(run);
    }
  });
});

describe("compiled binary: help", () => {
  test("a nested command's usage line names the whole command", () => {
    for (const path of [["deploy", "generate-all"], ["policy", "bundle-list"], ["analyze"]]) {
      const { code, stdout } = runBinary([...path, "--help"]);
      expect({ path, code, usage: stdout.split("\n").find((l) => l.startsWith("USAGE"))?.startsWith(`USAGE kube-devops ${path.join(" ")}`) }).toEqual({ path, code: 0, usage: true });
    }
  });

  test("a command's help lists the global options it takes, and no line ends in padding", () => {
    for (const path of [["analyze"], ["webhook", "serve"], ["version"], []]) {
      const { stdout } = runBinary([...path, "--help"]);
      expect({ path, trailing: stdout.split("\n").filter((l) => /\s$/.test(l)).length }).toEqual({ path, trailing: 0 });
      if (path.length === 0) continue;
      expect(stdout).toContain("GLOBAL OPTIONS (before or after the command)");
      for (const flag of ["--kubeconfig=<path>", "--context=<name>", "--log-level=<silent|error|warn|info|debug|trace>", "--log-format=<text|json>"]) expect(stdout).toContain(flag);
    }
  });

  test("--no-exemptions says what it changes in the command at hand", () => {
    const effect = (path: string[]) => /--no-exemptions: ([^)]*) exempt-annotated/.exec(runBinary([...path, "--help"]).stdout)?.[1];
    expect(effect(["analyze"])).toBe("score and gate");
    expect(effect(["enforce"])).toBe("remediate and report unresolved");
    expect(effect(["webhook", "serve"])).toBe("judge at admission");
  });

  test("no flag shows an empty default", () => {
    const { stdout } = runBinary(["observability", "generate-all", "--help"]);
    expect(stdout).toContain("--monitor-labels");
    expect(stdout).not.toContain("(Default: )");
  });
});
