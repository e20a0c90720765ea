/**
 * @module
 * In-cluster configuration: the service-account token, CA and namespace that
 * the kubelet mounts into every pod. The projected token rotates (hourly by
 * default); it is re-read whenever the file changes (checked on each request
 * by mtime and size, which follows the kubelet's `..data` symlink swap), not on
 * client-go's fixed one-minute timer. Paths are injectable for tests.
 */
import { KubeConfig, type User } from "@kubernetes/client-node";
import { existsSync, readFileSync, statSync } from "node:fs";
import { isIPv6 } from "node:net";
import { KubeDevopsError } from "../errors.ts";

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

const AUTH_PROVIDER = "kube-devops-token-file";
export const IN_CLUSTER_CONTEXT = "in-cluster";

/** True when this process runs in a pod with a mounted service-account token. */
export function isInCluster(env: Record<string, string | undefined>, paths: InClusterPaths = IN_CLUSTER_PATHS): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) && existsSync(paths.token);
}

/** A bearer token read from a file and re-read when the file changes. */
export class TokenFile {
  private token = "";
  private stamp = "";

  constructor(readonly path: string) {}

  /** Forces a re-read on the next call (after a 401). */
  invalidate(): void {
    this.stamp = "";
  }

  /** The current token (re-reads the file if it changed since the last read). */
  read(): string {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      throw new KubeDevopsError("CONFIG", `Cannot read the service-account token "${this.path}": ${(err as Error).message}`, { cause: err });
    }
    if (stamp !== this.stamp) {
      this.token = readFileSync(this.path, "utf8").trim();
      this.stamp = stamp;
    }
    return this.token;
  }
}

/** client-node authenticator that sets `Authorization` from a TokenFile. */
class TokenFileAuthenticator {
  private readonly files = new Map<string, TokenFile>();

  invalidate(): void {
    for (const file of this.files.values()) file.invalidate();
  }

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === AUTH_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: Record<string, string> }): Promise<void> {
    const path = String(user.authProvider?.config?.path ?? "");
    let file = this.files.get(path);
    if (!file) {
      file = new TokenFile(path);
      this.files.set(path, file);
    }
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${file.read()}`;
  }
}

/** Builds the KubeConfig of the pod's service account, or throws a CONFIG error. */
export function loadInClusterConfig(env: Record<string, string | undefined>, paths: InClusterPaths = IN_CLUSTER_PATHS): KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeDevopsError("CONFIG", "Not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  for (const [what, path] of [["token", paths.token], ["CA certificate", paths.ca]] as const) {
    if (!existsSync(path)) throw new KubeDevopsError("CONFIG", `In-cluster ${what} "${path}" does not exist`, { hint: "Is automountServiceAccountToken disabled for this pod?" });
  }
  const namespace = existsSync(paths.namespace) ? readFileSync(paths.namespace, "utf8").trim() : undefined;
  const kc = new KubeConfig();
  kc.addAuthenticator(new TokenFileAuthenticator() as never);
  kc.loadFromClusterAndUser(
    { name: IN_CLUSTER_CONTEXT, server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: paths.ca, skipTLSVerify: false },
    { name: "service-account", authProvider: { name: AUTH_PROVIDER, config: { path: paths.token } } },
  );
  kc.contexts = [{ name: IN_CLUSTER_CONTEXT, cluster: IN_CLUSTER_CONTEXT, user: "service-account", ...(namespace ? { namespace } : {}) }];
  kc.setCurrentContext(IN_CLUSTER_CONTEXT);
  return kc;
}
