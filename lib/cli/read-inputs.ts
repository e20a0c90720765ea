/**
 * @module
 * Reads `-f` inputs for offline commands: files, directories (recursively,
 * `.yaml`/`.yml`/`.json`, hidden directories included, `.git` and
 * `node_modules` skipped, in sorted order) and `-` for stdin. Parsing stays in
 * the pure lib/manifests.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { KubeDevopsError } from "../errors.ts";

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

/** Every value of a repeatable flag (`-f a -f b`, `--filename=c`); citty keeps only the last. */
export function collectFlagValues(rawArgs: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i] as string;
    if (token === "--") break;
    const eq = token.indexOf("=");
    const flag = eq > 0 ? token.slice(0, eq) : token;
    if (!names.includes(flag)) continue;
    if (eq > 0) values.push(token.slice(eq + 1));
    else if (i + 1 < rawArgs.length) values.push(rawArgs[++i] as string);
  }
  return values;
}
