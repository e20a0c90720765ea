/**
 * @module
 * Reads a file argument for a command, `-` meaning stdin; an unreadable file is
 * an INPUT error naming it.
 */
import { readFile } from "node:fs/promises";
import { KubeDevopsError } from "../errors.ts";

/** The text of `path` (or stdin for `-`) and the name to use in messages. */
export async function readInputFile(path: string): Promise<{ text: string; name: string }> {
  if (path === "-") return { text: await Bun.stdin.text(), name: "<stdin>" };
  try {
    return { text: await readFile(path, "utf8"), name: path };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new KubeDevopsError("INPUT", `Cannot read ${path}: ${why}`, { cause: err });
  }
}
