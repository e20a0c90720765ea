/**
 * @module
 * Binary figures: size, and startup time of `kube-devops version` against a
 * compiled "hello world" Bun binary built in the same run (the floor any Bun
 * executable pays). Prints one BenchResult.
 */
import { spawnSync } from "bun";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median, quantile } from "./lib/measure.ts";
import { emitResult } from "./lib/result.ts";

const ROOT = resolve(import.meta.dir, "..");
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 30);

function build(): { binary: string; baseline: string } {
  const built = spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stderr: "inherit", stdout: "inherit" });
  if (built.exitCode !== 0) throw new Error("build failed");
  const dir = mkdtempSync(join(tmpdir(), "kd-bench-"));
  writeFileSync(join(dir, "hello.ts"), 'console.log("hello");\n');
  const baseline = join(dir, "hello");
  const hello = spawnSync(["bun", "build", "--compile", "--minify", "--bytecode", "--no-compile-autoload-bunfig", "--no-compile-autoload-dotenv", join(dir, "hello.ts"), "--outfile", baseline], { stderr: "inherit", stdout: "ignore" });
  if (hello.exitCode !== 0) throw new Error("baseline build failed");
  return { binary: join(ROOT, "dist", "kube-devops"), baseline };
}

function startupMs(cmd: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    const r = spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    const ms = performance.now() - start;
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
    if (i >= 2) out.push(ms);
  }
  return out;
}

const { binary, baseline } = build();
const ours = startupMs([binary, "version"]);
const floor = startupMs([baseline]);
const size = statSync(binary).size;
const baseSize = statSync(baseline).size;
const p50 = median(ours);
const b50 = median(floor);

emitResult({
  name: "binary",
  title: "Binary size and startup",
  setup: `dist/kube-devops (bun build --compile, bytecode, minify) vs a compiled hello-world; ${RUNS} runs each after 2 warm-ups`,
  figures: [
    { label: "binary size", value: Math.round(size / 2 ** 20), unit: "MB", baseline: { label: "hello-world binary", value: Math.round(baseSize / 2 ** 20) }, ratio: size / baseSize, ratioMeaning: "ours / hello-world" },
    { label: "startup of `version` (median)", value: Number(p50.toFixed(1)), unit: "ms", baseline: { label: "hello-world startup (median)", value: Number(b50.toFixed(1)) }, ratio: p50 / b50, ratioMeaning: "ours / hello-world", target: "tens of ms", met: p50 < 100 },
    { label: "startup of `version` (p90)", value: Number(quantile(ours, 0.9).toFixed(1)), unit: "ms" },
  ],
});
