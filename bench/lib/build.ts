/**
 * @module
 * The executable a bench measures: dist/kube-devops, built by scripts/build.ts.
 */
import { spawnSync } from "bun";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", "kube-devops");

/** Builds dist/kube-devops; returns its path. */
export function buildBinary(): string {
  const built = spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stderr: "inherit", stdout: "inherit" });
  if (built.exitCode !== 0) throw new Error("build failed");
  return BINARY;
}
