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
import { IN_CLUSTER_PATHS, isInCluster, loadInClusterConfig, type InClusterPaths } from "./in-cluster.ts";

export interface KubeConfigOptions {
  /** `--kubeconfig`: one path; wins over KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** `--context`: must exist in the loaded config. */
  context?: string | undefined;
  /** Environment to read KUBECONFIG, HOME and the in-cluster variables from. */
  env?: Record<string, string | undefined>;
  /** Service-account file locations (tests point these at a temp dir). */
  inClusterPaths?: InClusterPaths;
}

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

/**
 * Merges KUBECONFIG files kubectl's way: the first file to define a cluster,
 * user or context name wins (later duplicates are ignored, not errors), and
 * the first file that sets current-context wins.
 */
function loadMerged(kc: KubeConfig, paths: string[]): void {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig: none of the KUBECONFIG paths exist (${paths.join(", ")})`);
  }
  for (const path of existing) {
    const next = new KubeConfig();
    try {
      next.loadFromFile(path);
    } catch (err) {
      throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig "${path}" (from KUBECONFIG): ${(err as Error).message}`, { cause: err });
    }
    kc.clusters = [...(kc.clusters ?? []), ...(next.clusters ?? []).filter((c) => !kc.clusters?.some((k) => k.name === c.name))];
    kc.users = [...(kc.users ?? []), ...(next.users ?? []).filter((u) => !kc.users?.some((k) => k.name === u.name))];
    kc.contexts = [...(kc.contexts ?? []), ...(next.contexts ?? []).filter((c) => !kc.contexts?.some((k) => k.name === c.name))];
    if (!kc.currentContext && next.currentContext) kc.currentContext = next.currentContext;
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
  else if (isInCluster(env, options.inClusterPaths ?? IN_CLUSTER_PATHS)) return selectContext(loadInClusterConfig(env, options.inClusterPaths ?? IN_CLUSTER_PATHS), options.context);
  else {
    throw new KubeDevopsError("CONFIG", "No kubeconfig found: --kubeconfig is not set, KUBECONFIG is empty, ~/.kube/config does not exist and this is not a pod", {
      hint: "Pass --kubeconfig <file> or set KUBECONFIG",
    });
  }
  return selectContext(kc, options.context);
}

/** The namespace of the current context ("default" when it sets none), like kubectl. */
export function currentNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
}

function selectContext(kc: KubeConfig, context: string | undefined): KubeConfig {
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeDevopsError("CONFIG", `Unknown context "${context}": the kubeconfig has ${known.length ? known.join(", ") : "no contexts"}`, {
        hint: "List them with: kubectl config get-contexts",
      });
    }
    kc.setCurrentContext(context);
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
