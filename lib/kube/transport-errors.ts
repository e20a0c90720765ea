/**
 * @module
 * Turns fetch failures into user-facing errors that name the server and the
 * cause: unreachable (refused, DNS, timeout, reset) or which TLS check failed
 * (unknown CA, hostname mismatch, expired, client certificate rejected).
 */
import { KubeDevopsError } from "../errors.ts";

/** A request that never got an HTTP response. */
export class KubeTransportError extends KubeDevopsError {
  /** Worth retrying with backoff (the server may come back). */
  readonly retriable: boolean;
  /** The connection was never established, so the request was surely not processed. */
  readonly notSent: boolean;
  /** The fetch error code (ECONNREFUSED, SELF_SIGNED_CERT_IN_CHAIN, ...). */
  readonly errorCode: string;

  constructor(code: "UNREACHABLE" | "TLS", message: string, init: { retriable: boolean; notSent: boolean; errorCode: string; hint?: string; cause: unknown }) {
    super(code, message, { cause: init.cause, ...(init.hint ? { hint: init.hint } : {}) });
    this.name = "KubeTransportError";
    this.retriable = init.retriable;
    this.notSent = init.notSent;
    this.errorCode = init.errorCode;
  }
}

export interface TransportErrorContext {
  server: string;
  context?: string | undefined;
  /** Whether a client certificate was offered (changes what a reset handshake means). */
  sentClientCert: boolean;
  /** Whether tls.serverName overrides the host (for the hostname message). */
  serverName?: string | undefined;
}

const UNKNOWN_CA = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);
const EXPIRED = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_EXPIRED"]);
const HOSTNAME = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);
const NOT_SENT = new Set(["ECONNREFUSED", "ConnectionRefused", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "FailedToOpenSocket"]);

function errorCodeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return err.name;
  return "UNKNOWN";
}

/** Describes a fetch rejection for `server`; abort errors are returned unchanged by the caller. */
export function describeTransportError(err: unknown, ctx: TransportErrorContext): KubeTransportError {
  const code = errorCodeOf(err);
  const at = `the API server at ${ctx.server}`;
  const ctxName = ctx.context ? ` (context "${ctx.context}")` : "";
  const tls = (message: string, hint: string): KubeTransportError => new KubeTransportError("TLS", message, { retriable: false, notSent: true, errorCode: code, hint, cause: err });
  const down = (cause: string, retriable = true, hint?: string): KubeTransportError =>
    new KubeTransportError("UNREACHABLE", `Cannot reach ${at}${ctxName}: ${cause}`, { retriable, notSent: NOT_SENT.has(code), errorCode: code, cause: err, ...(hint ? { hint } : {}) });

  if (UNKNOWN_CA.has(code)) {
    return tls(`TLS failure talking to ${at}${ctxName}: the server certificate is signed by an unknown certificate authority (${code})`, "Set certificate-authority(-data) for this cluster in the kubeconfig to the cluster's CA");
  }
  if (HOSTNAME.has(code)) {
    return tls(
      `TLS failure talking to ${at}${ctxName}: the server certificate is not valid for ${ctx.serverName ?? new URL(ctx.server).hostname} (hostname mismatch)`,
      "Use a server address listed in the certificate's SANs, or set tls-server-name in the kubeconfig cluster",
    );
  }
  if (EXPIRED.has(code)) {
    return tls(`TLS failure talking to ${at}${ctxName}: the server certificate has expired or is not yet valid (${code})`, "Renew the API server certificate or check this machine's clock");
  }
  if (code === "EPROTO" || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS")) {
    return ctx.sentClientCert
      ? tls(`TLS failure talking to ${at}${ctxName}: the handshake failed; the server probably rejected the client certificate (${code})`, "Check that the kubeconfig's client certificate is signed by a CA the API server trusts and has not expired")
      : tls(`TLS failure talking to ${at}${ctxName}: the handshake failed; the server requires a client certificate, or does not speak TLS on this port (${code})`, "Check the server URL and the user's credentials in the kubeconfig");
  }
  switch (code) {
    case "ECONNREFUSED":
    case "ConnectionRefused":
      return down("connection refused (is the API server running and is the address right?)");
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return down("the host name does not resolve (DNS)");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return down("no route to host");
    case "ETIMEDOUT":
    case "TimeoutError":
      return down("timed out");
    case "ECONNRESET":
    case "ConnectionClosed":
      return ctx.sentClientCert
        ? down("the connection was reset (if this persists, the server may be rejecting the client certificate)", true, "Check that the kubeconfig's client certificate is signed by a CA the API server trusts")
        : down("the connection was reset");
    case "FailedToOpenSocket":
      return down("could not open a connection (a bad address, or unusable TLS material in the kubeconfig)");
    default:
      return down(`${err instanceof Error ? err.message : String(err)} (${code})`);
  }
}
