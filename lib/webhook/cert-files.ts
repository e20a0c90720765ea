/**
 * @module
 * The file edge of the webhook PKI: reads and writes the `ca.crt`, `ca.key`, `tls.crt`,
 * `tls.key` set and the CA rotation files beside it. Writes are all-or-nothing: every destination
 * must be a regular file or absent, every file is written and synced to a temporary name, the old
 * files are kept as backups (a file to remove is renamed to one), and a rename that fails puts the
 * old files back. Private keys are mode 0600.
 */
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { KubeDevopsError } from "../errors.ts";
import type { PemPair } from "./certs.ts";

export const CERT_FILES = { caCert: "ca.crt", caKey: "ca.key", tlsCert: "tls.crt", tlsKey: "tls.key" } as const;
type CertFile = keyof typeof CERT_FILES;
/** A CA rotation's files, named as the self-managed Secret's keys (lib/webhook/cert-plan.ts), plus the bundle to publish. */
export const ROTATION_FILES = { nextCaCert: "ca-next.crt", nextCaKey: "ca-next.key", previousCa: "ca-previous.crt", caBundle: "ca-bundle.crt" } as const;

/** One file of a write: its name in the directory, its content and mode. */
export interface FileWrite {
  name: string;
  content: string;
  mode: number;
}

export interface CertificateSet {
  ca: PemPair;
  server: PemPair;
}

/** The file operations a write may fail in; tests replace `rename` to fail one on purpose. */
export interface CertificateWriteOps {
  rename: (from: string, to: string) => void;
}

interface Slot {
  name: string;
  path: string;
  temp: string;
  content: string;
  mode: number;
  /** The file is removed (renamed to its backup name), not replaced. */
  remove?: boolean;
  /** This write created `temp` (so it, and only it, may remove it). */
  tempWritten?: boolean;
  /** Hard link (or copy) of the file being replaced; undefined when there was none. */
  backup?: string;
  /** The backup could not be put back, so it must survive the clean-up. */
  keepBackup?: boolean;
}

function describeFsError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function writeTemp(path: string, content: string, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    chmodSync(path, mode); // the umask may have narrowed or widened nothing; be explicit
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    removeQuietly(path); // ours: "wx" created it
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** True for a file to replace, false when absent; refuses what a rename would not replace as a file. */
function isRegularFile(path: string): boolean {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  if (stat.isFile()) return true;
  const what = stat.isDirectory() ? "a directory" : stat.isSymbolicLink() ? "a symbolic link" : "not a regular file";
  throw new KubeDevopsError("INPUT", `Cannot write certificates: ${path} is ${what}; nothing was written`, {
    hint: "move it out of the way: cert-generate replaces ca.crt, ca.key, tls.crt and tls.key as regular files",
  });
}

/** Keeps the file being replaced under a second name: a hard link, or a copy where links fail. */
function backUp(path: string, backup: string): void {
  try {
    linkSync(path, backup);
  } catch {
    copyFileSync(path, backup, constants.COPYFILE_EXCL);
    chmodSync(backup, lstatSync(path).mode & 0o777);
  }
}

function removeQuietly(path: string | undefined): void {
  if (path === undefined) return;
  try {
    rmSync(path, { force: true });
  } catch {
    // a leftover temporary name is untidy, not wrong; the error that matters is reported
  }
}

/** Makes the renames durable (best effort: not every platform syncs a directory). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // the files themselves are synced; only the order of the names may be lost on a crash
  }
}

/** Puts the old files back after a failed rename; returns what could not be restored. */
function restore(renamed: readonly Slot[], ops: CertificateWriteOps): string[] {
  const failures: string[] = [];
  for (const slot of [...renamed].reverse()) {
    try {
      if (slot.backup === undefined) rmSync(slot.path, { force: true });
      else ops.rename(slot.backup, slot.path);
      slot.backup = undefined;
    } catch (err) {
      slot.keepBackup = true;
      failures.push(slot.backup === undefined ? `${slot.path} (${describeFsError(err)})` : `${slot.path} (the old file is kept as ${slot.backup})`);
    }
  }
  return failures;
}

/** Removes the temporary files and backups, and the directory when this write created it. */
function cleanUp(slots: readonly Slot[], created: string | undefined): void {
  for (const slot of slots) {
    if (slot.tempWritten) removeQuietly(slot.temp);
    if (!slot.keepBackup) removeQuietly(slot.backup);
  }
  if (created !== undefined && !slots.some((slot) => slot.keepBackup)) rmSync(created, { recursive: true, force: true });
}

/**
 * Writes the four files into `dir` (created if missing). All or nothing: on any failure the
 * files that were there are there unchanged, and no temporary or backup file is left behind.
 */
export function writeCertificateSet(dir: string, set: CertificateSet, ops: CertificateWriteOps = { rename: renameSync }): Record<CertFile, string> {
  writeCertificateFiles(dir, certificateSetFiles(set), [], ops);
  return Object.fromEntries(Object.entries(CERT_FILES).map(([key, name]) => [key, join(dir, name)])) as Record<CertFile, string>;
}

/** The four files of a set, with their modes, in the order they are swapped in (the serving pair last). */
export function certificateSetFiles(set: CertificateSet): FileWrite[] {
  return [
    { name: CERT_FILES.caCert, content: set.ca.cert, mode: 0o644 },
    { name: CERT_FILES.caKey, content: set.ca.key, mode: 0o600 },
    { name: CERT_FILES.tlsCert, content: set.server.cert, mode: 0o644 },
    { name: CERT_FILES.tlsKey, content: set.server.key, mode: 0o600 },
  ];
}

/**
 * Writes `writes` and removes `removals` (names absent already are skipped) in `dir`, created if
 * missing, in the order given, removals last. All or nothing, as writeCertificateSet.
 */
export function writeCertificateFiles(dir: string, writes: readonly FileWrite[], removals: readonly string[], ops: CertificateWriteOps = { rename: renameSync }): void {
  const suffix = `-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const slots: Slot[] = writes.map(({ name, content, mode }) => ({ name, path: join(dir, name), temp: join(dir, `.${name}.tmp${suffix}`), content, mode }));
  const removed: Slot[] = removals.map((name) => ({ name, path: join(dir, name), temp: "", content: "", mode: 0, remove: true }));
  const all = [...slots, ...removed];
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
    const existing = slots.filter((slot) => isRegularFile(slot.path));
    const present = removed.filter((slot) => isRegularFile(slot.path));
    removed.splice(0, removed.length, ...present);
    for (const slot of slots) {
      writeTemp(slot.temp, slot.content, slot.mode);
      slot.tempWritten = true;
    }
    for (const slot of existing) {
      slot.backup = join(dir, `.${slot.name}.old${suffix}`);
      backUp(slot.path, slot.backup);
    }
  } catch (err) {
    cleanUp(all, created);
    if (err instanceof KubeDevopsError) throw err;
    throw new KubeDevopsError("INPUT", `Cannot write certificates to ${dir}: ${describeFsError(err)}; nothing was changed`, { cause: err });
  }
  const renamed: Slot[] = [];
  for (const slot of [...slots, ...removed]) {
    try {
      if (slot.remove) {
        const backup = join(dir, `.${slot.name}.old${suffix}`);
        ops.rename(slot.path, backup);
        slot.backup = backup;
      } else {
        ops.rename(slot.temp, slot.path);
        slot.tempWritten = false;
      }
      renamed.push(slot);
    } catch (err) {
      const failures = restore(renamed, ops);
      cleanUp(all, created);
      const outcome = failures.length === 0 ? "nothing was changed" : `could not restore ${failures.join(", ")}`;
      throw new KubeDevopsError("INPUT", `Cannot write certificates: cannot ${slot.remove ? "remove" : "replace"} ${slot.path}: ${describeFsError(err)}; ${outcome}`, { cause: err });
    }
  }
  cleanUp(all, undefined);
  syncDirectory(dir);
}

/** Reads the CA pair from `dir`, or undefined when neither file exists. A half set is an error. */
export function readCertificateAuthority(dir: string): PemPair | undefined {
  return readPair(dir, CERT_FILES.caCert, CERT_FILES.caKey, "Cannot reuse the CA", "put it back, or pass --new-ca for a new CA (then publish ca-bundle.crt with `webhook install-config`)");
}

/** Reads the staged next CA (`ca-next.crt`, `ca-next.key`), or undefined when neither exists. */
export function readStagedCertificateAuthority(dir: string): PemPair | undefined {
  return readPair(dir, ROTATION_FILES.nextCaCert, ROTATION_FILES.nextCaKey, "Cannot use the staged CA", "put it back, or delete the other file too and stage a new CA with --new-ca");
}

/** Reads a whole text file, or undefined when there is none. */
export function readOptionalTextFile(path: string): string | undefined {
  return existsSync(path) ? readTextFile(path) : undefined;
}

function readPair(dir: string, certName: string, keyName: string, what: string, hint: string): PemPair | undefined {
  const certPath = join(dir, certName);
  const keyPath = join(dir, keyName);
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert || !hasKey) {
    const [missing, present] = hasCert ? [keyPath, certPath] : [certPath, keyPath];
    throw new KubeDevopsError("INPUT", `${what}: ${missing} is missing (${present} is there); nothing was written`, { hint });
  }
  return { cert: readTextFile(certPath), key: readTextFile(keyPath) };
}

/** What went wrong reading `path`, in words, with the path: "d/tls.key is a directory". */
export function describeReadError(path: string, err: unknown): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case "EISDIR":
      return `${path} is a directory, not a file`;
    case "ENOENT":
      return `${path} does not exist`;
    case "EACCES":
      return `${path} is not readable (permission denied)`;
    default:
      return `Cannot read ${path}: ${describeFsError(err)}`;
  }
}

/** Reads a whole text file; throws an INPUT error naming the path. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new KubeDevopsError("INPUT", describeReadError(path, err), { cause: err });
  }
}
