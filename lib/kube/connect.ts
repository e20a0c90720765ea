/**
 * @module
 * One call for commands: resolve the kubeconfig from the global flags, build a
 * rate-limited client, and report the namespace to use. Plus the `--qps` /
 * `--burst` flag definitions every API-talking command declares.
 */
import type { ArgsDef } from "citty";
import { usageError } from "../errors.ts";
import { integerFlag } from "../integer-flag.ts";
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
  // decimal only: Number() reads " " as 0 (no rate limit at all) and "0x10" as 16
  const qps = args.qps === undefined || args.qps === "" ? defaults.qps : /^\d{1,9}(\.\d{1,9})?$/.test(args.qps) ? Number(args.qps) : Number.NaN;
  if (Number.isNaN(qps)) throw usageError(`Invalid --qps "${args.qps}": expected a number >= 0`);
  const burst = args.burst === undefined || args.burst === "" ? defaults.burst : integerFlag("--burst", args.burst, { min: 1 });
  return { qps, burst };
}
