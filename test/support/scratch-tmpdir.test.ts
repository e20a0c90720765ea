/**
 * The run's temporary files go under one scratch directory that the preload removes at exit
 * (test/support/scratch-tmpdir.ts): a `bun test` run leaves nothing in the system's /tmp.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("the test run's scratch directory", () => {
  test("tmpdir() is the run's own directory while tests run", () => {
    expect(tmpdir()).toMatch(/\/kube-devops-test-[^/]+$/);
  });

  test("a bun test process removes it, and what tests made in it, when it exits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-scratch-"));
    writeFileSync(join(dir, "probe.test.ts"), `import { test, expect } from "bun:test";\nimport { mkdtempSync, writeFileSync } from "node:fs";\nimport { tmpdir } from "node:os";\nimport { join } from "node:path";\ntest("leaves a file", () => { const d = mkdtempSync(join(tmpdir(), "leak-")); writeFileSync(join(d, "f"), "x"); console.log("SCRATCH " + tmpdir()); expect(true).toBe(true); });\n`);
    // a child run with this repository's bunfig (the preload), from the repository root
    const run = Bun.spawnSync(["bun", "test", join(dir, "probe.test.ts")], { cwd: join(import.meta.dir, "..", ".."), env: { ...process.env, TMPDIR: dir }, stdout: "pipe", stderr: "pipe" });
    const out = `${run.stdout.toString()}${run.stderr.toString()}`;
    expect(run.exitCode).toBe(0);
    const scratch = /SCRATCH (\S+)/.exec(out)?.[1];
    expect(scratch).toStartWith(join(dir, "kube-devops-test-"));
    expect(existsSync(scratch as string)).toBe(false);
  });
});
