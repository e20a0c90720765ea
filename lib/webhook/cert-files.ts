/**
 * @module
 * The file edge of the webhook PKI: reads and writes the `ca.crt`, `ca.key`, `tls.crt`,
 * `tls.key` set. Writes are all-or-nothing (every file is written and synced to a
 * temporary name first, then renamed into place) and private keys are mode 0600.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { KubeDevopsError } from "../errors.ts";
import type { PemPair } from "./certs.ts";

export const CERT_FILES = { caCert: "ca.crt", caKey: "ca.key", tlsCert: "tls.crt", tlsKey: "tls.key" } as const;

export interface CertificateSet {
  ca: PemPair;
  server: PemPair;
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
  } finally {
    closeSync(fd);
  }
}

/** Writes the four files into `dir` (created if missing); nothing changes if any write fails. */
export function writeCertificateSet(dir: string, set: CertificateSet): Record<keyof typeof CERT_FILES, string> {
  const files: Array<[keyof typeof CERT_FILES, string, number]> = [
    ["caCert", set.ca.cert, 0o644],
    ["caKey", set.ca.key, 0o600],
    ["tlsCert", set.server.cert, 0o644],
    ["tlsKey", set.server.key, 0o600],
  ];
  const suffix = `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const temps: string[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, content, mode] of files) {
      const temp = join(dir, `.${CERT_FILES[name]}${suffix}`);
      temps.push(temp);
      writeTemp(temp, content, mode);
    }
  } catch (err) {
    for (const temp of temps) rmSync(temp, { force: true });
    throw new KubeDevopsError("INPUT", `Cannot write certificates to ${dir}: ${describeFsError(err)}`, { cause: err });
  }
  const paths = {} as Record<keyof typeof CERT_FILES, string>;
  for (const [index, [name]] of files.entries()) {
    paths[name] = join(dir, CERT_FILES[name]);
    renameSync(temps[index] as string, paths[name]);
  }
  return paths;
}

/** Reads the CA pair from `dir`, or undefined when neither file exists. A half set is an error. */
export function readCertificateAuthority(dir: string): PemPair | undefined {
  const certPath = join(dir, CERT_FILES.caCert);
  const keyPath = join(dir, CERT_FILES.caKey);
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert || !hasKey) {
    throw new KubeDevopsError("INPUT", `Cannot reuse the CA in ${dir}: ${hasCert ? CERT_FILES.caKey : CERT_FILES.caCert} is missing`, {
      hint: "pass --new-ca to create a new CA (the VWC caBundle must then be updated)",
    });
  }
  return { cert: readTextFile(certPath), key: readTextFile(keyPath) };
}

/** Reads a whole text file; throws an INPUT error naming the path. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new KubeDevopsError("INPUT", `Cannot read ${path}: ${describeFsError(err)}`, { cause: err });
  }
}
