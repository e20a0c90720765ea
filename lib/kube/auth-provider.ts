/**
 * @module
 * The legacy `auth-provider` plugins client-node implements — `oidc` (token
 * refresh through openid-client), `azure`, `gcp` — run by client-node's full
 * `KubeConfig`, loaded with a dynamic import the first time such a user sends
 * a request. That import costs ~19 MB RSS (the generated API, undici, openid-client...:
 * docs/decisions/0023), so only those users pay it.
 */
import type { KubeconfigData, KubeUser } from "./kubeconfig-file.ts";

/** Provider names delegated to client-node (its AzureAuth, GoogleCloudPlatformAuth, OpenIDConnectAuth). */
export const DELEGATED_AUTH_PROVIDERS: ReadonlySet<string> = new Set(["oidc", "azure", "gcp"]);

/** Sets `Authorization` (and whatever else the provider sets) for the current user. */
export type AuthProviderHeaders = () => Promise<Record<string, string>>;

/**
 * Builds a client-node `KubeConfig` over the same clusters, users and contexts
 * (one instance per loaded kubeconfig, so a refreshed OIDC token is kept) and
 * returns a function that yields the headers it would send.
 */
export async function loadAuthProvider(data: KubeconfigData): Promise<AuthProviderHeaders> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  // client-node's User has no tokenFile; a token-file user is never delegated anyway.
  kc.loadFromOptions({ ...data, users: data.users.map(({ tokenFile: _unused, ...user }: KubeUser) => user) });
  return async () => {
    const opts: { headers?: Record<string, string> } = { headers: {} };
    await kc.applyToHTTPSOptions(opts as never);
    return { ...(opts.headers ?? {}) };
  };
}
