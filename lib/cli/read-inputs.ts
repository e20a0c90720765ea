/**
 * @module
 * Reads `-f` inputs for offline commands: files, directories (recursively,
 * `.yaml`/`.yml`/`.json`, hidden directories included, `.git` and
 * `node_modules` skipped, in sorted order) and `-` for stdin. Parsing stays in
 * the pure lib/manifests.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { NamedPolicy } from "../analysis/select-checks.ts";
import { KubeDevopsError, usageError } from "../errors.ts";
import { parsePolicyDocuments } from "../policy/parse-policy.ts";

export interface InputText {
  /** The path as given (or joined under a given directory); `-` for stdin. */
  name: string;
  text: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const SKIPPED_DIRS = new Set([".git", "node_modules"]);

function walk(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) walk(path, out);
    } else if (e.isFile() && MANIFEST_FILE.test(e.name)) out.push(path);
  }
}

/** Expands `-f` values into file paths (directories walked); stdin stays `-`. */
export function expandInputPaths(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (value === "-") {
      out.push("-");
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(value).isDirectory();
    } catch (err) {
      throw new KubeDevopsError("INPUT", `${value}: no such file or directory`, { cause: err, hint: "check the path given to -f" });
    }
    if (isDir) walk(value, out);
    else out.push(value);
  }
  return out;
}

/** Reads one input path (or stdin for `-`). */
export async function readInput(path: string): Promise<InputText> {
  if (path === "-") return { name: "-", text: await Bun.stdin.text() };
  try {
    return { name: path, text: readFileSync(path, "utf8") };
  } catch (err) {
    throw new KubeDevopsError("INPUT", `${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
}

/** The DevOpsPolicies of a `--policy <file>` (each validated, labelled file:line); none is a usage error. */
export async function policiesFromFile(path: string): Promise<NamedPolicy[]> {
  const { name, text } = await readInput(path);
  const found = parsePolicyDocuments(text, name).flatMap((d) => (d.policy ? [{ label: `${name}:${d.line}`, policy: d.policy }] : []));
  if (found.length === 0) throw usageError(`--policy ${path}: the file holds no DevOpsPolicy`);
  return found;
}
