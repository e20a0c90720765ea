/**
 * @module
 * The HTTP transport to the API server, on Bun's own fetch.
 *
 * Why not client-node's generated client: under Bun its `undici` import resolves
 * to a stand-in that drops the dispatcher, so the kubeconfig's CA, client
 * certificate and insecure-skip-tls-verify are lost (docs/decisions/0001).
 * client-node is used for what works — kubeconfig parsing and auth (token,
 * token file, exec plugins, in-cluster) — and every byte goes through here.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeDevopsError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { describeTransportError } from "./transport-errors.ts";

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  serverName?: string;
}

export interface RequestOptions {
  method?: string;
  /** Query parameters; undefined values are dropped. */
  query?: Record<string, string | number | boolean | undefined>;
  body?: string;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Abort if no response headers arrive within this many ms (not for watches). */
  timeoutMs?: number;
}

/** A transport bound to one kubeconfig context. */
export interface Transport {
  readonly server: string;
  readonly contextName: string;
  request(path: string, options?: RequestOptions): Promise<Response>;
  /** Drops cached credentials (exec plugin output, token files) so the next request fetches fresh ones. */
  invalidateCredentials(): void;
}

/**
 * Clears client-node's exec-credential cache after a 401, as client-go does, so
 * a revoked or rotated token is replaced before its stated expiry. The cache
 * is a private field: if its shape changes this does nothing and the cached
 * credential is used until it expires, as before.
 */
function clearCachedCredentials(kc: KubeConfig): void {
  const holders = kc as unknown as { authenticators?: unknown[]; custom_authenticators?: unknown[] };
  for (const auth of [...(holders.authenticators ?? []), ...(holders.custom_authenticators ?? [])]) {
    const a = auth as { tokenCache?: unknown; invalidate?: () => void };
    if (a.tokenCache && typeof a.tokenCache === "object") a.tokenCache = {};
    if (typeof a.invalidate === "function") a.invalidate();
  }
}

function toText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

function checkPem(what: string, pem: string | undefined, context: string): void {
  if (pem !== undefined && !pem.includes("-----BEGIN ")) {
    throw new KubeDevopsError("CONFIG", `The ${what} of context "${context}" is not PEM data`, { hint: "Check the *-data fields (base64 of a PEM file) or the file paths in the kubeconfig" });
  }
}

/** Reads TLS material and auth headers from the kubeconfig (exec plugins run here). */
export async function resolveAuth(kc: KubeConfig): Promise<{ tls: TlsMaterial; headers: Record<string, string> }> {
  const opts: { ca?: unknown; cert?: unknown; key?: unknown; rejectUnauthorized?: boolean; headers?: Record<string, string> } = {};
  try {
    await kc.applyToHTTPSOptions(opts as never);
  } catch (err) {
    const user = kc.getCurrentUser();
    const detail = ((err as Error).message || String(err)).trim();
    if (user?.exec?.command) {
      throw new KubeDevopsError("CONFIG", `The exec credential plugin "${user.exec.command}" of user "${user.name}" (context "${kc.getCurrentContext()}") failed: ${detail}`, {
        cause: err,
        hint: "Run the plugin by hand to see why; it must print an ExecCredential JSON on stdout",
      });
    }
    throw new KubeDevopsError("CONFIG", `Cannot authenticate with context "${kc.getCurrentContext()}": ${detail}`, { cause: err });
  }
  const cluster = kc.getCurrentCluster();
  const tls: TlsMaterial = { rejectUnauthorized: !(cluster?.skipTLSVerify ?? false) };
  const ca = toText(opts.ca);
  const cert = toText(opts.cert);
  const key = toText(opts.key);
  const context = kc.getCurrentContext();
  checkPem("certificate authority", ca, context);
  checkPem("client certificate", cert, context);
  checkPem("client key", key, context);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (cluster?.tlsServerName) tls.serverName = cluster.tlsServerName;
  return { tls, headers: { ...(opts.headers ?? {}) } };
}

function buildUrl(server: string, path: string, query: RequestOptions["query"]): string {
  const url = new URL(server.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** Creates a transport for the current context of `kc`. Auth is refreshed per request. */
export function createTransport(kc: KubeConfig): Transport {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeDevopsError("CONFIG", "The kubeconfig has no current cluster");
  const server = cluster.server;
  const contextName = kc.getCurrentContext();
  // kubeconfig `proxy-url` (kubectl honours it; Bun's fetch also reads HTTPS_PROXY/NO_PROXY itself).
  const proxy = cluster.proxyUrl || undefined;
  return {
    server,
    contextName,
    invalidateCredentials: () => clearCachedCredentials(kc),
    async request(path, options = {}) {
      const { tls, headers } = await resolveAuth(kc);
      const allHeaders: Record<string, string> = { ...headers, ...(options.headers ?? {}) };
      allHeaders.Accept = options.accept ?? "application/json";
      if (options.contentType) allHeaders["Content-Type"] = options.contentType;
      allHeaders["User-Agent"] ??= `kube-devops/${VERSION}`;
      const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
      const init: RequestInit & { tls: TlsMaterial; proxy?: string } = {
        method: options.method ?? "GET",
        headers: allHeaders,
        tls,
        ...(proxy ? { proxy } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
      };
      try {
        return await fetch(buildUrl(server, path, options.query), init);
      } catch (err) {
        // The caller's own abort is not a transport failure: let it through.
        if (options.signal?.aborted) throw err;
        throw describeTransportError(err, { server, context: contextName, sentClientCert: tls.cert !== undefined, serverName: tls.serverName });
      }
    },
  };
}
