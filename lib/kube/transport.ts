/**
 * @module
 * The HTTP transport to the API server, on Bun's own fetch.
 *
 * Why not client-node's generated client: under Bun its `undici` import resolves
 * to a stand-in that drops the dispatcher, so the kubeconfig's CA, client
 * certificate and insecure-skip-tls-verify are lost (docs/decisions/0001).
 * Credentials come from credentials.ts (client-node's light pieces: kubeconfig
 * field mapping, exec plugins; docs/decisions/0023), and every byte goes through here.
 */
import { KubeDevopsError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { ExecPluginError, invalidateCredentials, resolveCredentials } from "./credentials.ts";
import type { LoadedKubeconfig } from "./loaded-kubeconfig.ts";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, probeHandshake } from "./handshake-probe.ts";
import { describeTransportError, KubeTransportError } from "./transport-errors.ts";

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
  /**
   * Abort if no response headers arrive within this many ms, without bounding the body (a watch):
   * a non-retriable UNREACHABLE error that says the server did not answer.
   */
  headerTimeoutMs?: number;
}

class HeaderTimeout extends Error {}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** A transport bound to one kubeconfig context. */
export interface Transport {
  readonly server: string;
  readonly contextName: string;
  request(path: string, options?: RequestOptions): Promise<Response>;
  /** Drops cached credentials (exec plugin output, token files) so the next request fetches fresh ones. */
  invalidateCredentials(): void;
}

function checkPem(what: string, pem: string | undefined, context: string): void {
  if (pem !== undefined && !pem.includes("-----BEGIN ")) {
    throw new KubeDevopsError("CONFIG", `The ${what} of context "${context}" is not PEM data`, { hint: "Check the *-data fields (base64 of a PEM file) or the file paths in the kubeconfig" });
  }
}

/** Reads TLS material and auth headers from the kubeconfig (exec plugins run here). */
export async function resolveAuth(kc: LoadedKubeconfig): Promise<{ tls: TlsMaterial; headers: Record<string, string> }> {
  const context = kc.getCurrentContext();
  let creds;
  try {
    creds = await resolveCredentials(kc);
  } catch (err) {
    if (err instanceof KubeDevopsError) throw err;
    const detail = ((err as Error).message || String(err)).trim();
    if (err instanceof ExecPluginError) {
      throw new KubeDevopsError("CONFIG", `The exec credential plugin "${err.command}" of user "${kc.getCurrentUser()?.name}" (context "${context}") failed: ${detail}`, {
        cause: err,
        hint: "Run the plugin by hand to see why; it must print an ExecCredential JSON on stdout",
      });
    }
    throw new KubeDevopsError("CONFIG", `Cannot authenticate with context "${context}": ${detail}`, { cause: err });
  }
  const tls: TlsMaterial = { rejectUnauthorized: !creds.skipTLSVerify };
  checkPem("certificate authority", creds.ca, context);
  checkPem("client certificate", creds.cert, context);
  checkPem("client key", creds.key, context);
  if (creds.ca) tls.ca = creds.ca;
  if (creds.cert) tls.cert = creds.cert;
  if (creds.key) tls.key = creds.key;
  if (creds.serverName) tls.serverName = creds.serverName;
  return { tls, headers: { ...creds.headers } };
}

function buildUrl(server: string, path: string, query: RequestOptions["query"]): string {
  const url = new URL(server.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

export interface TransportOptions {
  /** Connect + TLS handshake deadline, checked before the first request and after a failed one (default 10 s); 0 turns it off. */
  handshakeTimeoutMs?: number;
}

function usesProxy(proxy: string | undefined): boolean {
  // Through a proxy the TCP peer is the proxy, so a direct probe would judge the wrong host.
  const env = process.env;
  return Boolean(proxy || env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

/** Creates a transport for the current context of `kc`. Auth is refreshed per request. */
export function createTransport(kc: LoadedKubeconfig, options: TransportOptions = {}): Transport {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeDevopsError("CONFIG", "The kubeconfig has no current cluster");
  const server = cluster.server;
  const contextName = kc.getCurrentContext();
  // kubeconfig `proxy-url` (kubectl honours it; Bun's fetch also reads HTTPS_PROXY/NO_PROXY itself).
  const proxy = cluster.proxyUrl || undefined;
  const handshakeTimeoutMs = usesProxy(proxy) ? 0 : (options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  // Proven once per transport; a failed request (the server may have gone) makes the next one probe again.
  let reachable = false;
  return {
    server,
    contextName,
    invalidateCredentials: () => invalidateCredentials(kc),
    async request(path, options = {}) {
      const { tls, headers } = await resolveAuth(kc);
      if (handshakeTimeoutMs > 0 && !reachable) {
        const deadline = Math.min(handshakeTimeoutMs, options.timeoutMs || Number.POSITIVE_INFINITY);
        // Per request, not shared: a caller's abort (a deadline) then ends its own probe and socket.
        await probeHandshake({ server, context: contextName, serverName: tls.serverName }, deadline, options.signal);
        reachable = true;
      }
      const allHeaders: Record<string, string> = { ...headers, ...(options.headers ?? {}) };
      allHeaders.Accept = options.accept ?? "application/json";
      if (options.contentType) allHeaders["Content-Type"] = options.contentType;
      allHeaders["User-Agent"] ??= `kube-devops/${VERSION}`;
      const headerDeadline = options.headerTimeoutMs ? new AbortController() : undefined;
      const headerTimer = headerDeadline ? setTimeout(() => headerDeadline.abort(new HeaderTimeout()), options.headerTimeoutMs) : undefined;
      const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined, headerDeadline?.signal].filter((s): s is AbortSignal => s !== undefined);
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
        reachable = false;
        if (options.signal?.aborted) throw err;
        if (headerDeadline?.signal.reason instanceof HeaderTimeout) {
          const where = `the API server at ${server}${contextName ? ` (context "${contextName}")` : ""}`;
          const message = `Cannot reach ${where}: no response within ${formatMs(options.headerTimeoutMs ?? 0)} (the connection is open, nothing answers)`;
          throw new KubeTransportError("UNREACHABLE", message, { retriable: false, notSent: false, errorCode: "HeaderTimeout", cause: err, hint: "The API server may be overloaded, or a load balancer in front of it accepts connections it cannot forward" });
        }
        throw describeTransportError(err, { server, context: contextName, sentClientCert: tls.cert !== undefined, serverName: tls.serverName });
      } finally {
        clearTimeout(headerTimer);
      }
    },
  };
}
