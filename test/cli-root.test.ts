/**
 * The CLI root: version, help, exit codes, strict flags, logs on stderr, and a
 * binary that ignores a hostile bunfig.toml/.env in the directory it runs from.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary } from "./support/binary.ts";

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
