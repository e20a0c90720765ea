/**
 * @module
 * Reads `-f` inputs for offline commands: files, directories (recursively,
 * `.yaml`/`.yml`/`.json`, hidden directories included, `.git` and
 * `node_modules` skipped, in sorted order; symbolic links followed, each real
 * directory walked and each real file read once) and `-` for stdin. Parsing
 * stays in the pure lib/manifests.
 */
import { readdirSync, readFileSync, realpathSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { NamedPolicy } from "../analysis/select-checks.ts";
import { KubeDevopsError, usageError } from "../errors.ts";
import { STDIN_NAME } from "../manifests/parse-manifests.ts";
import { parsePolicyDocuments } from "../policy/parse-policy.ts";

export interface InputText {
  /** The path as given (or joined under a given directory); {@link STDIN_NAME} for stdin. */
  name: string;
  text: string;
}

export interface ExpandedInputs {
  /** Paths to read, in order; stdin stays `-`. */
  files: string[];
  /** Paths left out because they lead to a file already listed (a repeated -f, a symbolic link). */
  repeats: { path: string; first: string }[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const SKIPPED_DIRS = new Set([".git", "node_modules"]);

interface Walk extends ExpandedInputs {
  /** Real paths of the directories entered: a link back up the tree is not followed again. */
  dirs: Set<string>;
  /** Real path of each listed file → the path it was listed under. */
  seen: Map<string, string>;
}

function statOrFail(path: string, what: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw new KubeDevopsError("INPUT", `${path}: ${what}`, { cause: err, hint: "check the path given to -f" });
  }
}

/** The canonical path (links resolved); the path itself where there is none (a pipe's /dev/fd/N). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function addFile(path: string, w: Walk): void {
  const real = realPath(path);
  const first = w.seen.get(real);
  if (first !== undefined) {
    w.repeats.push({ path, first });
    return;
  }
  w.seen.set(real, path);
  w.files.push(path);
}

function walk(dir: string, w: Walk): void {
  const real = realPath(dir);
  if (w.dirs.has(real)) return;
  w.dirs.add(real);
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    // `..data`, `..<timestamp>`: the kubelet's atomic-writer internals of a ConfigMap or Secret
    // volume. The volume's own names link through them; reading those reports the paths users know.
    if (e.name.startsWith("..")) continue;
    const path = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      // Followed like kubectl follows a linked file; a broken link to a manifest fails as kubectl's open would.
      if (!MANIFEST_FILE.test(e.name)) {
        try {
          isDir = statSync(path).isDirectory();
        } catch {
          continue;
        }
      } else {
        const target = statOrFail(path, "broken symbolic link");
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
    }
    if (isDir) {
      if (!SKIPPED_DIRS.has(e.name)) walk(path, w);
    } else if (isFile && MANIFEST_FILE.test(e.name)) addFile(path, w);
  }
}

/** Expands `-f` values into file paths (directories walked); stdin stays `-`. */
export function expandInputPaths(values: readonly string[]): ExpandedInputs {
  const w: Walk = { files: [], repeats: [], dirs: new Set(), seen: new Map() };
  for (const value of values) {
    if (value === "-") {
      w.files.push("-");
      continue;
    }
    if (statOrFail(value, "no such file or directory").isDirectory()) walk(value, w);
    else addFile(value, w);
  }
  return { files: w.files, repeats: w.repeats };
}

/** The warning for paths left out as repeats: how many, and each with the path it repeats. */
export function describeRepeats(repeats: ExpandedInputs["repeats"]): string {
  const each = repeats.map((r) => (r.path === r.first ? `${r.path} (given twice)` : `${r.path} (= ${r.first})`));
  return `${repeats.length} input path(s) lead to a file already read, read once: ${each.join(", ")}`;
}

/**
 * The text of an input's bytes: UTF-16 when they start with its byte order mark, else UTF-8
 * (a UTF-8 mark is left for the parser). Windows PowerShell's `>` writes UTF-16LE, YAML
 * processors must read UTF-16, and kubectl does; read as UTF-8 it was refused as binary.
 */
export function decodeInput(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Reads one input path, or stdin for `-` (named `<stdin>` in messages); every command's file argument goes through here. */
export async function readInput(path: string): Promise<InputText> {
  if (path === "-") return { name: STDIN_NAME, text: decodeInput(await Bun.stdin.bytes()) };
  try {
    return { name: path, text: decodeInput(readFileSync(path)) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new KubeDevopsError("INPUT", `${path}: cannot read: ${why}`, { cause: err });
  }
}

/** The DevOpsPolicies of a `--policy <file>` (each validated, labelled file:line); none is a usage error. */
export async function policiesFromFile(path: string): Promise<NamedPolicy[]> {
  const { name, text } = await readInput(path);
  const found = parsePolicyDocuments(text, name).flatMap((d) => (d.policy ? [{ label: `${name}:${d.line}`, policy: d.policy }] : []));
  if (found.length === 0) throw usageError(`--policy ${path}: the file holds no DevOpsPolicy`);
  return found;
}
