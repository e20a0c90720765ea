/**
 * @module
 * Builds the single native executable `dist/kube-devops` with Bun.build:
 * compile, bytecode + ESM, minify, code splitting, version and commit baked in through `define`,
 * and autoload of bunfig.toml/.env switched OFF so that whoever runs the binary
 * cannot change it by dropping files in their working directory.
 *
 *   bun scripts/build.ts                 # dist/kube-devops for this machine
 *   bun scripts/build.ts --release       # every release target + SHA256SUMS
 */
import { $ } from "bun";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import pkg from "../package.json" with { type: "json" };

const RELEASE_TARGETS = [
  "bun-linux-x64",
  "bun-linux-x64-baseline",
  "bun-linux-arm64",
  "bun-darwin-x64",
  "bun-darwin-arm64",
] as const;

async function gitCommit(): Promise<string> {
  if (process.env.KUBE_DEVOPS_COMMIT) return process.env.KUBE_DEVOPS_COMMIT;
  const result = await $`git rev-parse --short=12 HEAD`.quiet().nothrow();
  const commit = result.stdout.toString().trim();
  if (result.exitCode !== 0 || commit === "") return "unknown";
  const dirty = (await $`git status --porcelain --untracked-files=no`.quiet().nothrow()).stdout.toString().trim();
  return dirty ? `${commit}-dirty` : commit;
}

async function compile(outfile: string, commit: string, target?: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: ["./cmd/main.ts"],
    minify: true,
    bytecode: true,
    format: "esm",
    // Every dynamic import (each command in cmd/main.ts, client-node's full KubeConfig in
    // lib/kube/auth-provider.ts) becomes its own chunk inside the executable, loaded when first
    // imported. In one bundle, code that is never run still costs memory: ~11 MiB for `version`,
    // ~3 MiB more for `watch` (docs/decisions/0023).
    splitting: true,
    sourcemap: "none",
    define: {
      KUBE_DEVOPS_VERSION: JSON.stringify(pkg.version),
      KUBE_DEVOPS_COMMIT: JSON.stringify(commit),
    },
    compile: {
      outfile,
      ...(target ? { target: target as Bun.Build.CompileTarget } : {}),
      autoloadBunfig: false,
      autoloadDotenv: false,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build of ${outfile} failed`);
  }
}

async function main(): Promise<void> {
  const release = process.argv.includes("--release");
  const commit = await gitCommit();
  await mkdir("dist", { recursive: true });
  if (!release) {
    await compile("dist/kube-devops", commit);
    console.error(`built dist/kube-devops ${pkg.version} (${commit})`);
    return;
  }
  const sums: string[] = [];
  for (const target of RELEASE_TARGETS) {
    const name = `kube-devops-${pkg.version}-${target.replace(/^bun-/, "")}`;
    await compile(`dist/${name}`, commit, target);
    const digest = createHash("sha256").update(await readFile(`dist/${name}`)).digest("hex");
    sums.push(`${digest}  ${name}`);
    console.error(`built dist/${name}`);
  }
  await writeFile("dist/SHA256SUMS", `${sums.join("\n")}\n`);
  console.error("wrote dist/SHA256SUMS");
}

await main();
