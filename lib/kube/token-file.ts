/**
 * @module
 * A bearer token read from a file and re-read when the file changes (checked on
 * each request by mtime, size and inode, which follows the kubelet's `..data`
 * symlink swap of a projected service-account token), not on a fixed timer.
 * Used for the in-cluster token and a kubeconfig user's `token-file`.
 */
import { readFileSync, statSync } from "node:fs";
import { KubeDevopsError } from "../errors.ts";

export class TokenFile {
  private token = "";
  private stamp = "";

  /** `label` names the file in errors, e.g. `the token file "/x" of user "u"`. */
  constructor(
    readonly path: string,
    private readonly label = `the token file "${path}"`,
  ) {}

  /** Forces a re-read on the next call (after a 401). */
  invalidate(): void {
    this.stamp = "";
  }

  /** The current token, trimmed (re-reads the file if it changed since the last read). */
  read(): string {
    try {
      const st = statSync(this.path);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp !== this.stamp) {
        this.token = readFileSync(this.path, "utf8").trim();
        this.stamp = stamp;
      }
    } catch (err) {
      throw new KubeDevopsError("CONFIG", `Cannot read ${this.label}: ${(err as Error).message}`, { cause: err });
    }
    return this.token;
  }
}
