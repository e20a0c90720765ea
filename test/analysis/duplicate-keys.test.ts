/**
 * Every YAML parse error names file:line:column — binary junk, an alias without its anchor —
 * and a repeated mapping key, which Bun's parser resolves silently to the last value, is an
 * error too (kubectl's strict decoding says "mapping key … already defined"). The line scanner
 * that finds repeats must agree with the `yaml` library on every real file it does not defer.
 */
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { KubeDevopsError } from "../../lib/errors.ts";
import { findDuplicateKey } from "../../lib/manifests/duplicate-keys.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";
import { runBinary } from "../support/binary.ts";

function errorOf(text: string, file = "f.yaml"): string {
  try {
    parseManifests(text, file);
  } catch (err) {
    if (err instanceof KubeDevopsError && err.code === "INPUT") return err.message;
    throw err;
  }
  return "no error";
}

describe("parse errors name file:line:column", () => {
  test("binary junk: the first character YAML does not allow", () => {
    expect(errorOf("\u007fELF\u0002\u0001\u0001\u0000")).toBe("f.yaml:1:1: invalid YAML: character U+007F is not allowed in YAML (is this a text file?)");
    expect(errorOf("kind: Pod\nmetadata:\n  name: a\u0000b\n")).toBe("f.yaml:3:10: invalid YAML: character U+0000 is not allowed in YAML (is this a text file?)");
  });

  test("an alias whose anchor is not defined before it", () => {
    expect(errorOf("- *nope\n")).toBe("f.yaml:1:3: invalid YAML: unresolved alias *nope (no anchor &nope before it)");
    expect(errorOf("a: 1\nb:\n  c: *x\nd: &x 2\n")).toBe("f.yaml:3:6: invalid YAML: unresolved alias *x (no anchor &x before it)");
  });

  test("the CLI prints it and exits 1", () => {
    const { code, stdout, stderr } = runBinary(["analyze", "-f", "-"], { stdin: "- *nope\n" });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toStartWith("error: <stdin>:1:3: invalid YAML: unresolved alias *nope");
  });
});

describe("a repeated mapping key is an error", () => {
  test.each([
    ["a nested key", "kind: Pod\nmetadata:\n  name: aa\n  name: bb\n", 'f.yaml:4:3: invalid YAML: mapping key "name" already defined at line 3'],
    ["a top-level key", "apiVersion: v1\nkind: Pod\napiVersion: v2\n", 'f.yaml:3:1: invalid YAML: mapping key "apiVersion" already defined at line 1'],
    ["plain and quoted spellings", "a: 1\n'a': 2\n", 'f.yaml:2:1: invalid YAML: mapping key "a" already defined at line 1'],
    ["in a sequence item", "spec:\n  containers:\n  - name: a\n    image: x\n    image: y\n", 'f.yaml:5:5: invalid YAML: mapping key "image" already defined at line 4'],
    ["after a block scalar", "a: |\n  a: 1\n  a: 2\nb: 1\nb: 2\n", 'f.yaml:5:1: invalid YAML: mapping key "b" already defined at line 4'],
    ["in the second document", "a: 1\n---\na: 1\nb: 2\r\nb: 3\r\n", 'f.yaml:5:1: invalid YAML: mapping key "b" already defined at line 4'],
    ["an anchored key", "&a k: 1\nk: 2\n", 'f.yaml:2:1: invalid YAML: mapping key "k" already defined at line 1'],
    ["in a flow mapping (the yaml library decides)", "metadata: {name: aa, name: bb}\n", "f.yaml:1:22: invalid YAML: mapping key already defined (map keys must be unique)"],
  ])("%s", (_, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  test.each([
    ["equal keys in sibling items", "- name: a\n  image: x\n- name: b\n  image: y\n"],
    ["equal keys at different depths", "name: a\nmetadata:\n  name: b\n  labels:\n    name: c\n"],
    ["key-like lines in a block scalar", "script: |\n  a: 1\n  a: 1\nother: >-\n  a: 1\n\n  a: 1\n"],
    ["key-like lines in a multi-line quoted scalar", 'note: "first\n  a: 1\n  a: 1"\nnext: \'x\n  a: 1\n\n  a: 1\'\n'],
    ["a key per document", "a: 1\n---\na: 2\n...\n---\na: 3\n"],
    ["a colon inside a value or key", "image: nginx:1.2\nurl: http://x:80/a\na:b: 1\na:c: 2\n"],
    ["a comment that looks like a key", "a: 1 # a: 2\n# a: 3\nb: 2\n"],
    ["empty flow collections", "a: {}\nb: []\nc: [x, {}, 'y: z']\n"],
    // the mapping starts at the anchor or tag, not at the key text after it
    ["an anchored key holding a mapping", "&a k:\n   k: 1\nl:\n- &b k:\n     k: 1\n"],
    ["a tagged key holding a mapping", "!!str k:\n      k: 1\n"],
    ["an anchored key holding a block scalar", "&a k: |\n  x: 1\n  x: 1\n"],
  ])("none: %s", (_, text) => {
    expect(errorOf(text)).toBe("no error");
    expect(findDuplicateKey(text)).toBeUndefined();
  });

  test("deep nesting and large mappings: past the scanner's first stack sizes and its per-mapping index", () => {
    const deep = Array.from({ length: 40 }, (_, d) => `${" ".repeat(d * 2)}k${d}:`).join("\n") + `\n${" ".repeat(80)}a: 1\n${" ".repeat(80)}a: 2\n`;
    expect(findDuplicateKey(deep)).toEqual({ key: "a", line: 42, column: 81, firstLine: 41 });
    const keys = Array.from({ length: 300 }, (_, i) => `  key${i}: v`).join("\n");
    expect(findDuplicateKey(`m:\n${keys}\n  key7: again\n`)).toEqual({ key: "key7", line: 302, column: 3, firstLine: 9 });
    expect(findDuplicateKey(`m:\n${keys}\n  'key299': again\n`)).toEqual({ key: "key299", line: 302, column: 3, firstLine: 301 });
    const nested = Array.from({ length: 300 }, (_, i) => `  key${i}:\n    x: 1\n    y: 2`).join("\n");
    expect(findDuplicateKey(`m:\n${nested}\n`)).toBeUndefined();
  });

  test("keys that only start like true, false or null are strings", () => {
    expect(findDuplicateKey("name: a\nnull: b\n")).toBe("unsure");
    expect(findDuplicateKey("name: a\nnone: b\nfalsy: c\nTrue_: d\nname: e\n")).toEqual({ key: "name", line: 5, column: 1, firstLine: 1 });
  });

  test("what the scanner does not model is deferred, never guessed", () => {
    expect(findDuplicateKey("a: {x: 1}\n")).toBe("unsure");
    expect(findDuplicateKey("? a\n: 1\n")).toBe("unsure");
    expect(findDuplicateKey("1: a\n'1': b\n")).toBe("unsure");
    expect(findDuplicateKey("--- |\n  text\n")).toBe("unsure");
  });

  test("the CLI exits 1 naming the line of the repeat and of the first", () => {
    const { code, stderr } = runBinary(["analyze", "-f", "-"], { stdin: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: aa\n  name: bb\n" });
    expect(code).toBe(1);
    expect(stderr).toStartWith('error: <stdin>:5:3: invalid YAML: mapping key "name" already defined at line 4\n');
  });
});

const ROOTS = ["/work/shared/corpus", "examples", "test", "chart"].filter((r) => existsSync(r));

/** Line of the first DUPLICATE_KEY error the `yaml` library reports, if any. */
function libraryRepeat(text: string): number | undefined {
  for (const doc of parseAllDocuments(text)) for (const e of doc.errors) if (e.code === "DUPLICATE_KEY") return e.linePos?.[0].line;
  return undefined;
}

describe("the line scanner agrees with the yaml library", () => {
  test("on every YAML file of the corpus, the examples, the tests and the chart that Bun parses", () => {
    let compared = 0;
    let repeats = 0;
    const disagreements: string[] = [];
    for (const root of ROOTS) {
      for (const file of new Glob("**/*.{yaml,yml}").scanSync({ cwd: root, dot: true })) {
        if (file.includes("templates/")) continue; // Helm templates are not YAML until rendered
        const text = readFileSync(join(root, file), "utf8");
        try {
          Bun.YAML.parse(text);
        } catch {
          continue;
        }
        const scan = findDuplicateKey(text);
        if (scan === "unsure") continue;
        compared++;
        if (scan) repeats++;
        const expected = libraryRepeat(text);
        if (scan?.line !== expected) disagreements.push(`${root}/${file}: scanner ${scan?.line}, yaml library ${expected}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
    expect(repeats).toBeGreaterThan(0);
  });
});
