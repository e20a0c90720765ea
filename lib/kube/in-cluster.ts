/**
 * @module
 * In-cluster configuration: the service-account token, CA and namespace that
 * the kubelet mounts into every pod. The projected token rotates (hourly by
 * default); it is re-read whenever the file changes (checked on each request
 * by mtime and size, which follows the kubelet's `..data` symlink swap), not on
 * client-go's fixed one-minute timer (token-file.ts, through the user's
 * `tokenFile`). Paths are injectable for tests.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { KubeDevopsError } from "../errors.ts";
import { LoadedKubeconfig } from "./loaded-kubeconfig.ts";

export interface InClusterPaths {
  token: string;
  ca: string;
  namespace: string;
}

export const IN_CLUSTER_PATHS: InClusterPaths = {
  token: "/var/run/secrets/kubernetes.io/serviceaccount/token",
  ca: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  namespace: "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
};

export const IN_CLUSTER_CONTEXT = "in-cluster";

/** True when this process runs in a pod with a mounted service-account token. */
export function isInCluster(env: Record<string, string | undefined>, paths: InClusterPaths = IN_CLUSTER_PATHS): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) && existsSync(paths.token);
}

/** Builds the kubeconfig of the pod's service account, or throws a CONFIG error. */
export function loadInClusterConfig(env: Record<string, string | undefined>, paths: InClusterPaths = IN_CLUSTER_PATHS): LoadedKubeconfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeDevopsError("CONFIG", "Not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  for (const [what, path] of [["token", paths.token], ["CA certificate", paths.ca]] as const) {
    if (!existsSync(path)) throw new KubeDevopsError("CONFIG", `In-cluster ${what} "${path}" does not exist`, { hint: "Is automountServiceAccountToken disabled for this pod?" });
  }
  const namespace = existsSync(paths.namespace) ? readFileSync(paths.namespace, "utf8").trim() : undefined;
  return new LoadedKubeconfig({
    clusters: [{ name: IN_CLUSTER_CONTEXT, server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: paths.ca, skipTLSVerify: false }],
    users: [{ name: "service-account", tokenFile: paths.token }],
    contexts: [{ name: IN_CLUSTER_CONTEXT, cluster: IN_CLUSTER_CONTEXT, user: "service-account", ...(namespace ? { namespace } : {}) }],
    currentContext: IN_CLUSTER_CONTEXT,
  });
}
