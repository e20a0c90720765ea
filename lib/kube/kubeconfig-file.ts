/**
 * @module
 * Reads one kubeconfig file (or string) into clusters, users and contexts, and
 * merges several the way kubectl merges KUBECONFIG. The field mapping and
 * validation (`certificate-authority-data` → `caData`, `clusters[0].cluster.server
 * is missing`, ...) is client-node's `config_types.js`, imported alone: its
 * `KubeConfig` (config.js) pulls in the whole generated API (~19 MB RSS,
 * docs/decisions/0023). Relative paths are made absolute against the file's
 * directory, as kubectl does.
 */
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from "@kubernetes/client-node/dist/config_types.js";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { parse, YAMLParseError } from "yaml";

export type { Cluster, Context };

/** A kubeconfig user as client-node maps it, plus `tokenFile` / `token-file` (kept as a path, read per request). */
export interface KubeUser extends User {
  readonly tokenFile?: string;
}

export interface KubeconfigData {
  clusters: Cluster[];
  users: KubeUser[];
  contexts: Context[];
  currentContext?: string | undefined;
}

/** A kubeconfig that is not what kubectl would read; the caller names the file. */
export class KubeconfigFormatError extends Error {}

function asList(doc: Record<string, unknown>, field: string): Record<string, unknown>[] {
  const value = doc[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KubeconfigFormatError(`${field} must be a list`);
  value.forEach((entry, i) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw new KubeconfigFormatError(`${field}[${i}] must be a mapping`);
  });
  return value as Record<string, unknown>[];
}

function parseDocument(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
      throw new KubeconfigFormatError(`invalid YAML${where}: ${err.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`);
    }
    throw new KubeconfigFormatError(`invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {}; // an empty file is an empty config, as for kubectl
  if (typeof doc !== "object" || Array.isArray(doc)) throw new KubeconfigFormatError("expected a mapping with clusters, users and contexts");
  return doc as Record<string, unknown>;
}

/** kubectl's `ResolveLocalPaths`: file references relative to the kubeconfig's directory. */
function absolute(base: string | undefined, file: string | undefined): string | undefined {
  if (!file || !base || isAbsolute(file)) return file;
  return resolve(base, file);
}

function mapUsers(raw: Record<string, unknown>[], base: string | undefined): KubeUser[] {
  // client-node would read `token-file` once, at load time, relative to the working directory;
  // we keep the path (resolved like kubectl) and read it per request, re-reading when it changes.
  // kubectl's own key is `tokenFile` (client-go's AuthInfo), which client-node ignores: a
  // kubeconfig written for kubectl then silently authenticated as system:anonymous.
  const tokenFiles: (string | undefined)[] = [];
  const withoutTokenFile = raw.map((entry) => {
    const user = entry.user as Record<string, unknown> | null | undefined;
    const tokenFile = user ? [user.tokenFile, user["token-file"]].find((v): v is string => typeof v === "string" && v !== "") : undefined;
    tokenFiles.push(tokenFile);
    if (!user || tokenFile === undefined) return entry;
    const { "token-file": _dropped, tokenFile: _kubectls, ...rest } = user;
    return { ...entry, user: rest };
  });
  return newUsers(withoutTokenFile).map((user, i) => {
    const exec = user.exec as { command?: unknown } | null | undefined;
    const execCommand = exec && typeof exec.command === "string" && exec.command.includes(sep) ? absolute(base, exec.command) : undefined;
    const tokenFile = absolute(base, tokenFiles[i]);
    return {
      ...user,
      ...(user.certFile ? { certFile: absolute(base, user.certFile) } : {}),
      ...(user.keyFile ? { keyFile: absolute(base, user.keyFile) } : {}),
      // kubectl resolves the plugin command only when it is a path, not a name looked up in PATH
      ...(execCommand ? { exec: { ...exec, command: execCommand } } : {}),
      ...(tokenFile ? { tokenFile } : {}),
    };
  });
}

/**
 * Parses kubeconfig YAML (or JSON). `baseDir` is the directory relative file
 * references are resolved against (the file's own; none for a string).
 * Throws KubeconfigFormatError with the field at fault.
 */
export function parseKubeconfig(text: string, baseDir?: string): KubeconfigData {
  const doc = parseDocument(text);
  const base = baseDir === undefined ? undefined : resolve(baseDir);
  try {
    const clusters = newClusters(asList(doc, "clusters")).map((c) => ({ ...c, ...(c.caFile ? { caFile: absolute(base, c.caFile) } : {}) }));
    const users = mapUsers(asList(doc, "users"), base);
    const contexts = newContexts(asList(doc, "contexts"));
    // kubectl refuses a file that names one cluster, user or context twice; the tools must not pick one silently
    for (const [list, items] of [["clusters", clusters], ["users", users], ["contexts", contexts]] as const) {
      const names = items.map((i) => i.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined) throw new KubeconfigFormatError(`duplicate name "${twice}" in ${list}: each ${list.slice(0, -1)} must be named once`);
    }
    const current = doc["current-context"];
    return { clusters, users, contexts, currentContext: typeof current === "string" && current !== "" ? current : undefined };
  } catch (err) {
    if (err instanceof KubeconfigFormatError) throw err;
    throw new KubeconfigFormatError((err as Error).message);
  }
}

/** Reads and parses one kubeconfig file; I/O errors and format errors are thrown as they are. */
export function readKubeconfigFile(path: string): KubeconfigData {
  return parseKubeconfig(readFileSync(path, "utf8"), dirname(path));
}

/**
 * Merges kubeconfigs kubectl's way: the first to define a cluster, user or
 * context name wins (later duplicates are ignored, not errors), and the first
 * that sets current-context wins.
 */
export function mergeKubeconfigs(configs: KubeconfigData[]): KubeconfigData {
  const merged: KubeconfigData = { clusters: [], users: [], contexts: [], currentContext: undefined };
  const addNew = <T extends { name: string }>(into: T[], from: T[]) => {
    for (const item of from) if (!into.some((k) => k.name === item.name)) into.push(item);
  };
  for (const next of configs) {
    addNew(merged.clusters, next.clusters);
    addNew(merged.users, next.users);
    addNew(merged.contexts, next.contexts);
    merged.currentContext ??= next.currentContext;
  }
  return merged;
}
