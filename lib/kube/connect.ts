/**
 * @module
 * One call for commands: resolve the kubeconfig from the global flags, build a
 * rate-limited client, and report the namespace to use. Plus the `--qps` /
 * `--burst` flag definitions every API-talking command declares.
 */
import type { ArgsDef } from "citty";
import { usageError } from "../errors.ts";
import { createKubeClient, type KubeClient } from "./client.ts";
import { currentNamespace, loadKubeConfig } from "./kubeconfig.ts";
import type { InClusterPaths } from "./in-cluster.ts";
import type { LoadedKubeconfig } from "./loaded-kubeconfig.ts";
import type { RateLimit } from "./rate-limiter.ts";
import type { ExecutorOptions } from "./request-executor.ts";

export interface ConnectOptions extends Omit<ExecutorOptions, "rateLimit"> {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  env: Record<string, string | undefined>;
  rateLimit: RateLimit | false;
  inClusterPaths?: InClusterPaths;
}

export interface KubeConnection {
  kc: LoadedKubeconfig;
  client: KubeClient;
  /** The context's namespace, the pod's namespace in-cluster, else "default". */
  namespace: string;
  contextName: string;
  server: string;
}

/** Loads the kubeconfig (CONFIG errors on failure) and creates the client; no request is sent yet. */
export function connect(options: ConnectOptions): KubeConnection {
  const { kubeconfig, context, env, inClusterPaths, ...executor } = options;
  const kc = loadKubeConfig({ kubeconfig, context, env, ...(inClusterPaths ? { inClusterPaths } : {}) });
  const client = createKubeClient(kc, executor);
  return { kc, client, namespace: currentNamespace(kc), contextName: kc.getCurrentContext(), server: client.transport.server };
}

/** `--qps` and `--burst`, for every command that talks to the API server. */
export const rateLimitArgs = {
  qps: { type: "string", description: "Client-side limit on API requests per second (0 = no limit)", valueHint: "n" },
  burst: { type: "string", description: "Client-side burst of API requests allowed at once", valueHint: "n" },
} satisfies ArgsDef;

/** Reads `--qps` / `--burst` over `defaults`; a bad value is a usage error naming the flag. */
export function parseRateLimit(args: { qps?: string | undefined; burst?: string | undefined }, defaults: RateLimit): RateLimit {
  const read = (flag: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw usageError(`Invalid --${flag} "${raw}": expected a number >= ${min}`);
    return n;
  };
  const qps = read("qps", args.qps, defaults.qps, 0);
  const burst = Math.floor(read("burst", args.burst, defaults.burst, 1));
  return { qps, burst };
}
