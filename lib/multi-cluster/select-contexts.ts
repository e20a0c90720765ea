/**
 * @module
 * Which contexts `multi-cluster analyze` looks at: the `--contexts` list without repeats, and
 * one context per cluster — two contexts on the same server with the same CA are the same
 * cluster seen by two users, and counting it twice doubles its pods and findings (decision 0028).
 */
import { usageError } from "../errors.ts";

/** A context and the cluster it points at; `ca` is the CA's PEM text ("" when none is configured). */
export interface ContextTarget {
  context: string;
  server: string;
  ca: string;
}

export interface ClusterSelection {
  /** One context per cluster, in the order given. */
  contexts: string[];
  /** Context names given more than once (analyzed once). */
  repeated: string[];
  /** Contexts skipped because an earlier one points at the same cluster. */
  sameCluster: Array<{ skipped: string; kept: string; server: string }>;
}

/**
 * Parses `--contexts a,b`: undefined when the flag is absent (every context); an empty value
 * ("", ",") is a usage error, not a silent "all".
 */
export function parseContextsFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw usageError(`Invalid --contexts "${value}": expected comma-separated context names (omit the flag to analyze every context)`);
  return names;
}

/** `https://API.example:443/` and `https://api.example` are one server. */
export function normalizeServer(server: string): string {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return server.trim().replace(/\/+$/, "");
  }
}

/** Drops repeated names, then every context whose server and CA an earlier context already has (contexts without a server are kept, each fails on its own). */
export function selectClusters(targets: readonly ContextTarget[]): ClusterSelection {
  const seenNames = new Set<string>();
  const byCluster = new Map<string, string>();
  const selection: ClusterSelection = { contexts: [], repeated: [], sameCluster: [] };
  for (const t of targets) {
    if (seenNames.has(t.context)) {
      if (!selection.repeated.includes(t.context)) selection.repeated.push(t.context);
      continue;
    }
    seenNames.add(t.context);
    // No server (a context naming a cluster the kubeconfig lacks, or one without `server`) is no
    // cluster at all: two such contexts are two errors to report, not one cluster seen twice.
    if (normalizeServer(t.server) === "") {
      selection.contexts.push(t.context);
      continue;
    }
    const key = `${normalizeServer(t.server)}\n${t.ca.trim()}`;
    const kept = byCluster.get(key);
    if (kept !== undefined) {
      selection.sameCluster.push({ skipped: t.context, kept, server: t.server });
      continue;
    }
    byCluster.set(key, t.context);
    selection.contexts.push(t.context);
  }
  return selection;
}
