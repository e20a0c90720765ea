/**
 * @module
 * Preloaded by `bun test` (bunfig.toml): the run's temporary files all go under one directory,
 * removed when the run exits. Test files make their own with `mkdtemp(tmpdir())` and many do not
 * remove them (a failing test never reaches its cleanup); one `bun run test` left ~500 directories
 * in /tmp, and a day of CI runs filled the disk. Child processes that inherit the environment
 * (the emulator, kubectl) write there too.
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const scratch = mkdtempSync(join(tmpdir(), "kube-devops-test-"));
process.env.TMPDIR = scratch;
// a preload's afterAll runs once, after every file (bun test exits without an "exit" event)
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
