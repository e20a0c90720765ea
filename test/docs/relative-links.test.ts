/**
 * The docs point at files that exist: every relative Markdown link, and every `code span` that
 * names a repository path (`lib/…`, `test/…`, …), in README.md and the Markdown under the source
 * directories. A rename that leaves a doc pointing nowhere fails here.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "../support/binary.ts";

const DIRS = ["bench", "chart", "cmd", "docs", "examples", "gen", "lib", "scripts", "test"];
const REPO_PATH = new RegExp(`^(${DIRS.join("|")})/[A-Za-z0-9_.\\-/]*$`);

/** The references of one Markdown file that name no existing file, as `file: target`. */
function findBrokenReferences(file: string, text: string, exists: (path: string) => boolean): string[] {
  const broken: string[] = [];
  for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^([a-z]+:|#)/.test(target)) continue;
    const path = decodeURI(target.split("#")[0] ?? "");
    if (!exists(join(dirname(file), path))) broken.push(`${file}: ${target}`);
  }
  for (const [, span = ""] of text.matchAll(/`([^`\s]+)`/g)) {
    if (REPO_PATH.test(span) && !exists(span.replace(/\/$/, ""))) broken.push(`${file}: ${span}`);
  }
  return broken;
}

function markdownFiles(): string[] {
  const glob = new Bun.Glob(`{${DIRS.join(",")}}/**/*.md`);
  return ["README.md", ...glob.scanSync({ cwd: ROOT })].filter((f) => !f.includes("node_modules/"));
}

describe("docs references", () => {
  test("a link or path to a missing file is reported, one that exists is not", () => {
    const present = new Set(["docs/a.md", "lib/x.ts"]);
    const exists = (p: string) => present.has(p);
    const text = "[ok](a.md) [gone](b.md#x) [web](https://e.com) [anchor](#top) `lib/x.ts` `lib/y.ts` `kubectl get`";
    expect(findBrokenReferences("docs/index.md", text, exists)).toEqual(["docs/index.md: b.md#x", "docs/index.md: lib/y.ts"]);
  });

  test("every relative link and repository path in the docs resolves", () => {
    const files = markdownFiles();
    expect(files).toContain("docs/architecture.md");
    const broken = files.flatMap((f) => findBrokenReferences(f, readFileSync(join(ROOT, f), "utf8"), (p) => existsSync(join(ROOT, p))));
    expect(broken).toEqual([]);
  });
});
