/**
 * @module
 * The executables a bench measures: dist/kube-devops (scripts/build.ts) and small
 * baselines compiled in the same run with the same `bun build --compile` flags, so the
 * floor any compiled Bun program pays is measured on the same machine and Bun.
 */
import { spawnSync } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", "kube-devops");

/** Builds dist/kube-devops; returns its path. */
export function buildBinary(): string {
  const built = spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stderr: "inherit", stdout: "inherit" });
  if (built.exitCode !== 0) throw new Error("build failed");
  return BINARY;
}

/** Compiles `source` (a TypeScript program) as the build compiles dist/kube-devops; returns the executable's path. */
export function compileBaseline(name: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kd-bench-"));
  writeFileSync(join(dir, `${name}.ts`), source);
  const out = join(dir, name);
  const flags = ["--compile", "--minify", "--bytecode", "--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv"];
  const built = spawnSync(["bun", "build", ...flags, join(dir, `${name}.ts`), "--outfile", out], { stderr: "inherit", stdout: "ignore" });
  if (built.exitCode !== 0) throw new Error(`baseline ${name} build failed`);
  return out;
}
