/**
 * @module
 * Binds an HTTP(S) server for a hono app and fails fast: a port that cannot be
 * bound or a TLS key that cannot be loaded throws a STARTUP error at once, so no
 * process is left running that serves nothing (reference W-P2).
 */
import type { Hono } from "hono";
import { KubeDevopsError } from "../errors.ts";
import { localUrlHost, parseListenAddress } from "./listen-address.ts";

export interface HttpServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (unless `force`). */
  stop(force?: boolean): Promise<void>;
}

export interface ServeOptions {
  addr: string;
  flag?: string;
  tls?: { cert: string; key: string };
  /** Seconds a keep-alive connection may idle (Bun's default of 10 s is kept unless set). */
  idleTimeout?: number;
  reusePort?: boolean;
}

/**
 * Bun's answer when a handler throws or rejects: a bare JSON 500 (no error page, no
 * stack; the caller logs). Bun's own default without it resets the connection.
 */
export function internalErrorResponse(): Response {
  return new Response('{"error":"internal error"}', { status: 500, headers: { "Content-Type": "application/json" } });
}

/**
 * The request with an absolute URL. Bun gives an HTTP/1.0 request without a Host header
 * (HAProxy's httpchk, some load balancers) a relative `url` ("/healthz"), from which hono's
 * path parsing cuts the wrong part ("z": a 404 on every probe).
 */
export function withAbsoluteUrl(request: Request, server: { readonly url: URL }): Request {
  if (request.url.charCodeAt(0) !== 47 /* "/" */) return request;
  return new Request(new URL(request.url, server.url).href, request);
}

/** Serves `app` on `options.addr`; throws STARTUP when it cannot. */
export function serveHttp(app: Hono, options: ServeOptions): HttpServer {
  const { hostname, port } = parseListenAddress(options.addr, options.flag);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port,
      // Bun defaults to development mode unless NODE_ENV=production: error pages with stack traces.
      development: false,
      fetch: (request, bun) => app.fetch(withAbsoluteUrl(request, bun), bun),
      error: internalErrorResponse,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
      // Explicit: outside development mode Bun's default is SO_REUSEPORT, under which a port
      // another process holds is shared instead of failing to bind.
      reusePort: options.reusePort ?? false,
    });
  } catch (err) {
    throw new KubeDevopsError("STARTUP", `Cannot listen on ${options.addr}: ${(err as Error).message}`, { cause: err });
  }
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://${localUrlHost(hostname)}:${server.port}`,
    port: server.port ?? port,
    async stop(force = false) {
      await server.stop(force);
    },
  };
}
