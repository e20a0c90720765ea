/**
 * @module
 * The compiled binary for end-to-end tests: built once per test run when
 * dist/kube-devops is missing or older than any source file.
 */
import { spawnSync } from "bun";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", "kube-devops");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let built = false;

/** Returns the path of an up-to-date compiled binary, building it if needed. */
export function ensureBinary(): string {
  if (built) return BINARY;
  const sources = Math.max(...["cmd", "lib", "gen"].filter((d) => existsSync(join(ROOT, d))).map((d) => newestSource(join(ROOT, d))));
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < sources) {
    const result = spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`build failed: ${result.stderr.toString()}`);
  }
  built = true;
  return BINARY;
}

/** Runs the binary with `args` in `cwd`; returns exit code, stdout and stderr. */
export function runBinary(args: string[], options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync([ensureBinary(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...(options.env ?? {}) },
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/**
 * Like runBinary, but asynchronous: use it whenever the binary talks to a server
 * running in this test process (the emulator), which a blocking spawn would starve.
 */
export async function runBinaryAsync(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([ensureBinary(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...(options.env ?? {}) },
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
