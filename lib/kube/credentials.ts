/**
 * @module
 * What the current kubeconfig user and cluster send: CA, client certificate and
 * key (inline `*-data` or files), skip-verify, SNI name, bearer token, token
 * file, basic auth, impersonation, exec plugins (client-node's `ExecAuth`: the
 * ExecCredential protocol and its expiry-aware cache) and the oidc/azure/gcp
 * auth providers (client-node's full KubeConfig, loaded only for them).
 * State (exec cache, token files, the provider delegate) lives per loaded
 * kubeconfig, so every transport made from it shares one cache.
 */
import { ExecAuth } from "@kubernetes/client-node/dist/exec_auth.js";
import { readFileSync } from "node:fs";
import { KubeDevopsError } from "../errors.ts";
import { DELEGATED_AUTH_PROVIDERS, loadAuthProvider, type AuthProviderHeaders } from "./auth-provider.ts";
import type { KubeUser } from "./kubeconfig-file.ts";
import type { LoadedKubeconfig } from "./loaded-kubeconfig.ts";
import { TokenFile } from "./token-file.ts";

export interface ResolvedCredentials {
  /** PEM text, or undefined when the kubeconfig sets none. */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  skipTLSVerify: boolean;
  serverName?: string | undefined;
  headers: Record<string, string>;
}

/** An exec plugin failed: transport.ts names the plugin in its message. */
export class ExecPluginError extends Error {
  constructor(
    readonly command: string,
    detail: string,
    options: { cause: unknown },
  ) {
    super(detail, options);
  }
}

/** kubectl reads `*-data` first (base64 of the PEM), else the file. */
function readMaterial(data: string | undefined, file: string | undefined, field: string, owner: string): string | undefined {
  if (data) return Buffer.from(data, "base64").toString("utf8");
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new KubeDevopsError("CONFIG", `Cannot read the ${field} file "${file}" of ${owner}: ${(err as Error).message}`, { cause: err, hint: "Relative paths are resolved against the kubeconfig file's directory" });
  }
}

function isExecUser(user: KubeUser): boolean {
  return Boolean(user.exec) || user.authProvider?.name === "exec" || Boolean(user.authProvider?.config?.exec);
}

class CredentialCache {
  private exec = new ExecAuth();
  private readonly tokenFiles = new Map<string, TokenFile>();
  private provider: Promise<AuthProviderHeaders> | undefined;

  constructor(private readonly kc: LoadedKubeconfig) {}

  /** After a 401: the next request runs the exec plugin again and re-reads token files. */
  invalidate(): void {
    // A fresh ExecAuth has an empty token cache; its cache is private, so it is not poked.
    this.exec = new ExecAuth();
    for (const file of this.tokenFiles.values()) file.invalidate();
  }

  private tokenFile(path: string, user: string): string {
    let file = this.tokenFiles.get(path);
    if (!file) {
      file = new TokenFile(path, `the token file "${path}" of user "${user}"`);
      this.tokenFiles.set(path, file);
    }
    return file.read();
  }

  /** The token file's token; `fallback` (the user's static token) when there is one and the file cannot be read. */
  private tokenOrFallback(path: string, user: string, fallback: string | undefined): string {
    try {
      return this.tokenFile(path, user);
    } catch (err) {
      if (fallback) return fallback;
      throw err;
    }
  }

  async resolve(): Promise<ResolvedCredentials> {
    const kc = this.kc;
    const context = kc.getCurrentContext();
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    const out: ResolvedCredentials = { skipTLSVerify: cluster?.skipTLSVerify ?? false, serverName: cluster?.tlsServerName || undefined, headers: {} };
    if (cluster) out.ca = readMaterial(cluster.caData, cluster.caFile, "certificate-authority", `cluster "${cluster.name}" (context "${context}")`);
    if (!user) return out;
    const owner = `user "${user.name}" (context "${context}")`;
    out.cert = readMaterial(user.certData, user.certFile, "client-certificate", owner);
    out.key = readMaterial(user.keyData, user.keyFile, "client-key", owner);
    if (user.impersonateUser) out.headers["Impersonate-User"] = user.impersonateUser;

    if (isExecUser(user)) {
      const opts: { cert?: string; key?: string; headers: Record<string, string> } = { headers: out.headers };
      try {
        await this.exec.applyAuthentication(user, opts as never);
      } catch (err) {
        const command = String((user.exec ?? user.authProvider?.config?.exec)?.command ?? "");
        throw new ExecPluginError(command, ((err as Error).message || String(err)).trim(), { cause: err });
      }
      if (opts.cert) out.cert = opts.cert;
      if (opts.key) out.key = opts.key;
    } else if (user.authProvider?.config?.tokenFile) {
      // client-node's FileAuth shape (`auth-provider: {config: {tokenFile}}`), read like `token-file`.
      out.headers.Authorization = `Bearer ${this.tokenFile(String(user.authProvider.config.tokenFile), user.name)}`;
    } else if (user.authProvider) {
      const name = String(user.authProvider.name ?? "");
      if (!DELEGATED_AUTH_PROVIDERS.has(name)) {
        throw new KubeDevopsError("CONFIG", `The auth-provider "${name}" of ${owner} is not supported`, { hint: "Supported: oidc, azure, gcp; or use an exec credential plugin" });
      }
      this.provider ??= loadAuthProvider(kc.toData());
      Object.assign(out.headers, await (await this.provider)());
    }

    // A token overrides a plugin's. Of the two tokens the file wins, re-read as it rotates; the
    // static one is used when the file cannot be read (kubectl's rule: client-go's BearerTokenFile,
    // "the last successfully read value takes precedence over Token"; client-node preferred token).
    if (user.tokenFile) out.headers.Authorization = `Bearer ${this.tokenOrFallback(user.tokenFile, user.name, user.token)}`;
    else if (user.token) out.headers.Authorization = `Bearer ${user.token}`;
    if (user.username) {
      if (user.token || user.tokenFile) {
        throw new KubeDevopsError("CONFIG", `The ${owner} sets both a token and username/password; use one`, { hint: "kubectl refuses this combination too" });
      }
      out.headers.Authorization ??= `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
    }
    return out;
  }
}

const caches = new WeakMap<LoadedKubeconfig, CredentialCache>();

function cacheOf(kc: LoadedKubeconfig): CredentialCache {
  let cache = caches.get(kc);
  if (!cache) {
    cache = new CredentialCache(kc);
    caches.set(kc, cache);
  }
  return cache;
}

/** The TLS material and headers for the current context (runs the exec plugin when its credential is not cached). */
export function resolveCredentials(kc: LoadedKubeconfig): Promise<ResolvedCredentials> {
  return cacheOf(kc).resolve();
}

/** Drops cached credentials (exec output, token files) of this kubeconfig, as client-go does after a 401. */
export function invalidateCredentials(kc: LoadedKubeconfig): void {
  cacheOf(kc).invalidate();
}
