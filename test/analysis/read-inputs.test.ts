/**
 * `-f <dir>` follows symbolic links to files and directories (a ConfigMap volume is
 * nothing but links), walks each real directory once (a link back up the tree is no
 * loop) and reads each real file once, naming the paths it left out; a file (or stdin) is
 * UTF-8, or UTF-16 when it starts with a byte order mark, as kubectl reads it.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeInput, describeRepeats, expandInputPaths, readInput } from "../../lib/cli/read-inputs.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import { runBinary } from "../support/binary.ts";

const POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - {name: app, image: 'app:1.0'}\n";

/** real/{a.yaml, nested/b.yml, nested/loop → in}; in/{own.json, linked.yaml → real/a.yaml, linked-dir → real/nested} */
function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "kd-inputs-"));
  mkdirSync(join(root, "real", "nested"), { recursive: true });
  writeFileSync(join(root, "real", "a.yaml"), POD);
  writeFileSync(join(root, "real", "nested", "b.yml"), POD.replace("web", "api"));
  mkdirSync(join(root, "in"));
  writeFileSync(join(root, "in", "own.json"), "{}");
  symlinkSync(join(root, "real", "a.yaml"), join(root, "in", "linked.yaml"));
  symlinkSync(join("..", "real", "nested"), join(root, "in", "linked-dir"));
  symlinkSync(join(root, "in"), join(root, "real", "nested", "loop"));
  return root;
}

const under = (root: string, paths: readonly string[]) => paths.map((p) => p.slice(root.length + 1));

describe("expandInputPaths", () => {
  test("follows linked files and directories, and not around a loop (nested/loop leads back to in/)", () => {
    const root = tree();
    const { files, repeats } = expandInputPaths([join(root, "in")]);
    expect(under(root, files)).toEqual(["in/linked-dir/b.yml", "in/linked.yaml", "in/own.json"]);
    expect(repeats).toEqual([]);
  });

  test("a link to a directory is followed whatever its name", () => {
    const root = tree();
    symlinkSync(join(root, "real"), join(root, "in", "notes.txt"));
    const { files, repeats } = expandInputPaths([join(root, "in")]);
    expect(under(root, files)).toEqual(["in/linked-dir/b.yml", "in/linked.yaml", "in/own.json"]);
    // real/ holds a.yaml, already read through in/linked.yaml; real/nested was walked as in/linked-dir.
    expect(repeats).toEqual([{ path: join(root, "in", "notes.txt", "a.yaml"), first: join(root, "in", "linked.yaml") }]);
  });

  test("a file reached twice (a repeated -f, a second link) is listed once and reported", () => {
    const root = tree();
    const real = join(root, "real", "a.yaml");
    const { files, repeats } = expandInputPaths([real, join(root, "in", "linked.yaml"), real]);
    expect(files).toEqual([real]);
    expect(repeats).toEqual([
      { path: join(root, "in", "linked.yaml"), first: real },
      { path: real, first: real },
    ]);
    expect(describeRepeats(repeats)).toBe(`2 input path(s) lead to a file already read, read once: ${join(root, "in", "linked.yaml")} (= ${real}), ${real} (given twice)`);
  });

  test("a ConfigMap volume (files linked through ..data) is read once per file, by the names the volume shows, without a warning", () => {
    const root = mkdtempSync(join(tmpdir(), "kd-cm-"));
    mkdirSync(join(root, "..2026_11_26_10_00_00.1"));
    writeFileSync(join(root, "..2026_11_26_10_00_00.1", "pods.yaml"), POD);
    writeFileSync(join(root, "..2026_11_26_10_00_00.1", "more.yaml"), POD.replace("web", "api"));
    symlinkSync("..2026_11_26_10_00_00.1", join(root, "..data"));
    symlinkSync(join("..data", "pods.yaml"), join(root, "pods.yaml"));
    symlinkSync(join("..data", "more.yaml"), join(root, "more.yaml"));
    const { files, repeats } = expandInputPaths([root]);
    expect(files).toEqual([join(root, "more.yaml"), join(root, "pods.yaml")]);
    expect(repeats).toEqual([]);
  });

  test("a broken link to a manifest fails naming it; a broken link to anything else is not a manifest", () => {
    const root = tree();
    symlinkSync(join(root, "gone"), join(root, "in", "README"));
    expect(expandInputPaths([join(root, "in")]).files).toHaveLength(3);
    symlinkSync(join(root, "gone.yaml"), join(root, "in", "gone.yaml"));
    expect(() => expandInputPaths([join(root, "in")])).toThrow(new KubeDevopsError("INPUT", `${join(root, "in", "gone.yaml")}: broken symbolic link`));
  });
});

describe("analyze -f through links", () => {
  test("a linked directory is scored, and a file given twice counts once with a warning", () => {
    const root = tree();
    const linked = runBinary(["analyze", "-f", join(root, "in"), "-o", "json"]);
    expect(linked.code).toBe(0);
    expect(JSON.parse(linked.stdout).summary.total_pods).toBe(2);
    const twice = runBinary(["analyze", "-f", join(root, "in"), "-f", join(root, "real", "a.yaml"), "-o", "json"]);
    expect(JSON.parse(twice.stdout).summary.total_pods).toBe(2);
    expect(twice.stderr).toContain(`1 input path(s) lead to a file already read, read once: ${join(root, "real", "a.yaml")} (= ${join(root, "in", "linked.yaml")})`);
  });
});

describe("readInput", () => {
  // Windows PowerShell's `>` and Out-File write UTF-16LE with a byte order mark; kubectl reads such files.
  const utf16 = (text: string, endian: "le" | "be"): Buffer => {
    const le = Buffer.from(`\ufeff${text}`, "utf16le");
    return endian === "le" ? le : Buffer.from(le.map((_, i) => le[i % 2 === 0 ? i + 1 : i - 1]!));
  };

  test("a UTF-16 file with a byte order mark (little- or big-endian) is read as its text, not as NUL-riddled UTF-8", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-utf16-"));
    for (const endian of ["le", "be"] as const) {
      const path = join(dir, `dump-${endian}.yaml`);
      writeFileSync(path, utf16(POD, endian));
      const { name, text } = await readInput(path);
      expect(name).toBe(path);
      expect(text).toBe(POD);
      expect(parseManifests(text, name).map((o) => o.object.metadata?.name)).toEqual(["web"]);
    }
  });

  test("UTF-8 is read as before, its byte order mark left for the parser", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "kd-utf8-")), "pod.yaml");
    writeFileSync(path, `\ufeff${POD}`);
    expect((await readInput(path)).text).toBe(`\ufeff${POD}`);
    expect(decodeInput(Buffer.from("ünïcode: ✓\n"))).toBe("ünïcode: ✓\n");
  });
});
