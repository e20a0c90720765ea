/**
 * The distroless image without a container engine: the compiled binary runs in a root filesystem
 * that holds only what `ldd` says it needs (what distroless/cc provides) plus /proc, as the image's
 * non-root user, with the root filesystem mounted read-only — as the generated Deployments run it.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureBinary, ROOT } from "../support/binary.ts";

const isRoot = process.getuid?.() === 0;

/** The shared libraries and loader `ldd` lists for a binary (absolute paths). */
function linkedLibraries(binary: string): string[] {
  const out = Bun.spawnSync(["ldd", binary], { stdout: "pipe" }).stdout.toString();
  return out
    .split("\n")
    .map((line) => line.match(/=>\s*(\/\S+)/)?.[1] ?? line.trim().match(/^(\/\S+)/)?.[1])
    .filter((p): p is string => p !== undefined);
}

/** A root filesystem with the binary at the image's path and nothing else but its libraries. */
function buildRootfs(binary: string): string {
  const root = mkdtempSync(join(tmpdir(), "kd-rootfs-"));
  chmodSync(root, 0o755); // mkdtemp makes it 0700: the non-root user could not even reach /usr
  for (const dir of ["usr/local/bin", "proc", "tmp"]) mkdirSync(join(root, dir), { recursive: true });
  copyFileSync(binary, join(root, "usr/local/bin/kube-devops"));
  for (const lib of linkedLibraries(binary)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib)); // follows symlinks: the real file under the linked name
  }
  return root;
}

/** Runs `args` in `root` in a private mount+pid namespace, read-only root, as uid 65532. */
function runInRootfs(root: string, args: string[], withProc: boolean): { code: number; stdout: string } {
  const script = [
    `mount --bind ${root} ${root}`,
    `mount -o remount,bind,ro ${root}`,
    ...(withProc ? [`mount -t proc proc ${root}/proc`] : []),
    `exec chroot --userspec=65532:65532 ${root} /usr/local/bin/kube-devops ${args.join(" ")}`,
  ].join(" && ");
  const result = Bun.spawnSync(["unshare", "--mount", "--pid", "--fork", "sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString() };
}

describe("distroless runtime (Containerfile)", () => {
  test("the Containerfile builds with Bun 1.4.5 and runs on distroless/cc as non-root", () => {
    const text = readFileSync(join(ROOT, "Containerfile"), "utf8");
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(["oven/bun:1.4.5", "gcr.io/distroless/cc-debian12:nonroot"]);
    expect(text).toContain("bun install --frozen-lockfile");
    expect(text).toContain("bun run build");
    expect(text).toMatch(/^USER 65532:65532$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/kube-devops"\]$/m);
  });

  test("the binary needs only glibc libraries that distroless/cc ships", () => {
    const names = linkedLibraries(ensureBinary()).map((p) => p.split("/").pop());
    const glibc = /^(libc|libm|libdl|libpthread|librt)\.so\.\d+$|^ld-linux[-\w.]*\.so\.\d+$/;
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !glibc.test(n ?? ""))).toEqual([]);
  });

  test.skipIf(!isRoot)("runs `version` and a generator in a minimal read-only rootfs as uid 65532", () => {
    const root = buildRootfs(ensureBinary());
    try {
      const version = runInRootfs(root, ["version"], true);
      expect(version.stdout).toMatch(/^kube-devops version \d+\.\d+\.\d+ /);
      expect(version.code).toBe(0);
      const rbac = runInRootfs(root, ["deploy", "generate-rbac"], true);
      expect(rbac.code).toBe(0);
      expect(rbac.stdout).toContain("kind: ServiceAccount");
      // the control: without /proc the same rootfs cannot run it, so the rootfs really is minimal
      expect(runInRootfs(root, ["version"], false).code).not.toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
