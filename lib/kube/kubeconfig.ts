/**
 * @module
 * Kubeconfig resolution exactly as kubectl does it: `--kubeconfig`, else
 * `KUBECONFIG` (several paths merged), else `~/.kube/config`, else the
 * in-cluster service account; then `--context`. client-node does the parsing and
 * the auth plugins; this module turns every failure into a user-facing error.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KubeDevopsError } from "../errors.ts";

export interface KubeConfigOptions {
  /** `--kubeconfig`: one path; wins over KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** `--context`: must exist in the loaded config. */
  context?: string | undefined;
  /** Environment to read KUBECONFIG, HOME and the in-cluster variables from. */
  env?: Record<string, string | undefined>;
}

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

function loadFile(kc: KubeConfig, path: string): void {
  if (!existsSync(path)) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig "${path}": file does not exist`);
  }
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig "${path}": ${(err as Error).message}`, { cause: err });
  }
}

function loadMerged(kc: KubeConfig, paths: string[]): void {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig: none of the KUBECONFIG paths exist (${paths.join(", ")})`);
  }
  try {
    kc.loadFromFile(existing[0] as string);
    for (const path of existing.slice(1)) {
      const next = new KubeConfig();
      next.loadFromFile(path);
      kc.mergeConfig(next, false);
    }
  } catch (err) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig from KUBECONFIG: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads and validates the kubeconfig the way kubectl would, or throws a CONFIG error. */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const envPaths = (env.KUBECONFIG ?? "").split(":").filter((p) => p.length > 0);
  const homeConfig = env.HOME ? join(env.HOME, ".kube", "config") : undefined;
  if (options.kubeconfig) loadFile(kc, options.kubeconfig);
  else if (envPaths.length > 0) loadMerged(kc, envPaths);
  else if (homeConfig && existsSync(homeConfig)) loadFile(kc, homeConfig);
  else if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) kc.loadFromCluster();
  else {
    throw new KubeDevopsError("CONFIG", "No kubeconfig found: --kubeconfig is not set, KUBECONFIG is empty, ~/.kube/config does not exist and this is not a pod", {
      hint: "Pass --kubeconfig <file> or set KUBECONFIG",
    });
  }
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeDevopsError("CONFIG", `Unknown context "${options.context}": the kubeconfig has ${known.length ? known.join(", ") : "no contexts"}`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    const ctx = kc.getCurrentContext();
    throw new KubeDevopsError("CONFIG", ctx ? `Context "${ctx}" names no cluster that the kubeconfig defines` : "The kubeconfig has no current context", {
      hint: "Pass --context <name>",
    });
  }
  return kc;
}
