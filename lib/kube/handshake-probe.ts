/**
 * @module
 * A connect + TLS-handshake deadline, which Bun's fetch does not have (it has one timeout, for
 * the whole request). Before a transport's first request — and again after a failed one — a
 * bare TCP (and TLS) connection to the server must complete within the deadline; a server that
 * accepts TCP and never answers is then reported in seconds, not after the 30 s response timeout
 * of every retry. The probe judges time only: certificate and refusal errors are left to fetch,
 * which names them precisely (transport-errors.ts).
 */
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { KubeTransportError } from "./transport-errors.ts";

/** kubectl's (client-go's) TLSHandshakeTimeout. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface HandshakeTarget {
  server: string;
  context: string;
  /** SNI override (kubeconfig tls-server-name). */
  serverName?: string | undefined;
}

/** Resolves once a connection (and, for https, a TLS handshake) completes or fails; rejects after `timeoutMs` without one. */
export function probeHandshake(target: HandshakeTarget, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const url = new URL(target.server);
  const https = url.protocol === "https:";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || (https ? 443 : 80));
  return new Promise<void>((resolve, reject) => {
    let socket: Socket | undefined;
    const finish = (err?: unknown): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket?.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => {
      const phase = https ? "no TLS handshake" : "no connection";
      const message = `Cannot reach the API server at ${target.server} (context "${target.context}"): ${phase} within ${timeoutMs / 1000}s (the server accepts connections but does not answer, or the network drops them)`;
      finish(new KubeTransportError("UNREACHABLE", message, { retriable: true, notSent: true, errorCode: "HandshakeTimeout", cause: undefined, hint: "Check that the address is the API server's and that it is healthy (kubectl cluster-info)" }));
    }, timeoutMs);
    const onAbort = (): void => finish(signal?.reason);
    if (signal?.aborted) return finish(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    // Any outcome but silence ends the probe: the real request reports errors in detail.
    const done = (): void => finish();
    if (https) {
      const servername = target.serverName ?? (isIP(host) ? undefined : host);
      socket = connectTls({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, done);
    } else {
      socket = connectTcp({ host, port }, done);
    }
    socket.once("error", done);
    socket.once("close", done);
  });
}
