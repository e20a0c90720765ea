/**
 * @module
 * Kubeconfig resolution exactly as kubectl does it: `--kubeconfig`, else
 * `KUBECONFIG` (several paths merged), else `~/.kube/config`, else the
 * in-cluster service account; then `--context`. kubeconfig-file.ts parses and
 * merges; this module turns every failure into a user-facing error.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KubeDevopsError } from "../errors.ts";
import { IN_CLUSTER_PATHS, isInCluster, loadInClusterConfig, type InClusterPaths } from "./in-cluster.ts";
import { mergeKubeconfigs, readKubeconfigFile, type KubeconfigData } from "./kubeconfig-file.ts";
import { LoadedKubeconfig } from "./loaded-kubeconfig.ts";

export interface KubeConfigOptions {
  /** `--kubeconfig`: one path; wins over KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** `--context`: must exist in the loaded config. */
  context?: string | undefined;
  /** Environment to read KUBECONFIG, HOME and the in-cluster variables from. */
  env?: Record<string, string | undefined>;
  /** Service-account file locations (tests point these at a temp dir). */
  inClusterPaths?: InClusterPaths;
  /**
   * false: the caller reads every context itself (multi-cluster), so an unset or broken current
   * context is not an error here, as `kubectl config get-contexts` lists them anyway (default true).
   */
  requireCurrentContext?: boolean;
}

function loadFile(path: string, from = ""): KubeconfigData {
  if (!existsSync(path)) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig "${path}"${from}: file does not exist`);
  }
  try {
    return readKubeconfigFile(path);
  } catch (err) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig "${path}"${from}: ${(err as Error).message}`, { cause: err });
  }
}

/** KUBECONFIG: missing files are skipped (as kubectl does), the rest merged by mergeKubeconfigs. */
function loadMerged(paths: string[]): KubeconfigData {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) {
    throw new KubeDevopsError("CONFIG", `Cannot load kubeconfig: none of the KUBECONFIG paths exist (${paths.join(", ")})`);
  }
  return mergeKubeconfigs(existing.map((path) => loadFile(path, " (from KUBECONFIG)")));
}

/** Loads and validates the kubeconfig the way kubectl would, or throws a CONFIG error. */
export function loadKubeConfig(options: KubeConfigOptions = {}): LoadedKubeconfig {
  const env = options.env ?? process.env;
  const envPaths = (env.KUBECONFIG ?? "").split(":").filter((p) => p.length > 0);
  const homeConfig = env.HOME ? join(env.HOME, ".kube", "config") : undefined;
  let data: KubeconfigData;
  if (options.kubeconfig) data = loadFile(options.kubeconfig);
  else if (envPaths.length > 0) data = loadMerged(envPaths);
  else if (homeConfig && existsSync(homeConfig)) data = loadFile(homeConfig);
  else if (isInCluster(env, options.inClusterPaths ?? IN_CLUSTER_PATHS)) return selectContext(loadInClusterConfig(env, options.inClusterPaths ?? IN_CLUSTER_PATHS), options.context, options.requireCurrentContext);
  else {
    throw new KubeDevopsError("CONFIG", "No kubeconfig found: --kubeconfig is not set, KUBECONFIG is empty, ~/.kube/config does not exist and this is not a pod", {
      hint: "Pass --kubeconfig <file> or set KUBECONFIG",
    });
  }
  return selectContext(new LoadedKubeconfig(data), options.context, options.requireCurrentContext);
}

/** The namespace of the current context ("default" when it sets none), like kubectl. */
export function currentNamespace(kc: LoadedKubeconfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
}

function selectContext(kc: LoadedKubeconfig, context: string | undefined, requireCurrentContext = true): LoadedKubeconfig {
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
  if (!cluster && requireCurrentContext) {
    const ctx = kc.getCurrentContext();
    throw new KubeDevopsError("CONFIG", ctx ? `Context "${ctx}" names no cluster that the kubeconfig defines` : "The kubeconfig has no current context", {
      hint: "Pass --context <name>",
    });
  }
  return kc;
}
