/**
 * @module
 * The webhook's HTTPS listener with certificate hot reload. `server.reload({ tls })`
 * keeps the old certificate in Bun, so a changed certificate is handed over: a new
 * `Bun.serve` with `reusePort` binds the same port with the new files; the old one
 * answers with `Connection: close` for a short hand-over (1 s), then stops accepting
 * (every later handshake gets the new certificate) while its open connections drain.
 * Invalid new files keep the old server.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname } from "node:path";
import type { X509Certificate } from "node:crypto";
import { KubeDevopsError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { localUrlHost, parseListenAddress } from "../server/listen-address.ts";
import { internalErrorResponse, withAbsoluteUrl } from "../server/serve-http.ts";
import { describeReadError } from "./cert-files.ts";
import { checkServingPair, describeServingValidity } from "./check-serving-files.ts";

export interface TlsServerOptions {
  /** host:port (hostnames, `:8443`, `[::1]:8443`); port 0 picks one. */
  addr: string;
  /** The files read; with `loadPair`, only what logs and errors call the pair's two halves. */
  certFile: string;
  keyFile: string;
  /** Where the pair comes from instead of the files (self-managed certificates); no file watch then. */
  loadPair?: () => Promise<{ cert: string; key: string }>;
  fetch: (request: Request) => Response | Promise<Response>;
  /** POST handlers by exact path, served by Bun's native router before `fetch` (the hot path). */
  postRoutes?: Record<string, (request: Request) => Promise<Response>>;
  logger: Logger;
  /** How long a replaced listener still accepts, answering with Connection: close, before it stops accepting. */
  handOverMs?: number;
  /** How long a replaced listener's open connections may take to finish before they are cut. */
  drainMs?: number;
  /** How often the files are re-read, besides file-system events. 0 disables polling. */
  pollMs?: number;
  /** The request body limit: larger bodies get a bare 413 before any handler runs (Bun's maxRequestBodySize). */
  maxRequestBodySize?: number;
  /** Called with the PEM in use after start and after every successful reload. */
  onCertificate?: (certPem: string) => void;
  /** Called when new files could not be loaded (the old certificate stays). */
  onReloadError?: (error: Error) => void;
  /** What to do when the files cannot be read at start (default: the webhook's flags). */
  filesHint?: string;
}

export type ReloadResult = "reloaded" | "unchanged" | "failed";

export interface TlsServer {
  readonly url: string;
  readonly port: number;
  /** Re-reads the files; hands over to a new listener when they changed. Resolves once the old listener accepts no more. */
  reload(): Promise<ReloadResult>;
  /**
   * Stops watching and listening. Unless `force`, answers with `Connection: close` for the
   * hand-over (so keep-alive clients leave between two calls), then stops accepting and lets
   * in-flight requests finish (at most `drainMs`).
   */
  stop(force?: boolean): Promise<void>;
}

interface Listener {
  server: ReturnType<typeof Bun.serve>;
  draining: boolean;
}

/**
 * How long an idle keep-alive connection stays open: longer than the API server keeps one
 * (client-go's transport closes its idle connections after 90 s), so the caller, never we,
 * ends it. Bun's default (10 s) closed every connection idle for 10-14 s, and a call the API
 * server wrote on one at that moment got EOF, which it does not retry for a POST: admitted
 * unchecked under `Ignore`, refused under `Fail` (docs/decisions/0024). Bun's maximum is 255.
 */
export const IDLE_TIMEOUT_SECONDS = 120;

/** A serving certificate that ends within this is logged as a warning at start and on reload. */
const EXPIRY_WARNING_MS = 7 * 86_400_000;

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new KubeDevopsError("INPUT", describeReadError(file, err), { cause: err });
  }
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const cert = await readPem(certFile); // one after the other: the first wrong file is the one named
  return { cert, key: await readPem(keyFile) };
}

/** Bun.serve throws OpenSSL/BoringSSL errors (ERR_OSSL_*, ERR_SSL_*) for TLS material, errno codes for the bind. */
function isTlsError(err: unknown): boolean {
  return /^ERR_(OSSL|SSL)_/.test(String((err as { code?: unknown }).code ?? ""));
}

function markClose(response: Response): Response {
  try {
    response.headers.set("Connection", "close");
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("Connection", "close");
    return copy;
  }
}

function nativeRoutes(listener: Listener, routes: Record<string, (request: Request) => Promise<Response>>): Record<string, { POST: (request: Request) => Promise<Response> }> {
  return Object.fromEntries(
    Object.entries(routes).map(([path, handler]) => [path, { POST: (request: Request) => (listener.draining ? handler(request).then(markClose) : handler(request)) }]),
  );
}

/** Binds host:port without SO_REUSEPORT and lets go: rejects when someone else holds it. */
function assertPortFree(hostname: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host: hostname, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Starts the listener; throws STARTUP when the files cannot be read or the port bound. */
export async function startTlsServer(options: TlsServerOptions): Promise<TlsServer> {
  const { hostname, port: requestedPort } = parseListenAddress(options.addr);
  const drainMs = options.drainMs ?? 5_000;
  // The longer, the fewer keep-alive connections are still idle (and closed under a client about
  // to write) when the old listener stops; the shorter, the sooner every handshake gets the new
  // certificate. 100 ms let 1 rotation test in ~40 on a loaded 2-core machine see a reset (a
  // failed admission call); for 1 s the old certificate, still valid and trusted, is harmless.
  const handOverMs = options.handOverMs ?? 1_000;
  const names = { tlsCert: options.certFile, tlsKey: options.keyFile };
  const read = options.loadPair ?? (() => readPair(options.certFile, options.keyFile));
  // Checked before Bun.serve, whose errors are bare OpenSSL codes naming no file.
  const check = async (loaded: { cert: string; key: string }) => ({ ...loaded, x509: await checkServingPair(loaded, names) });
  let pair: { cert: string; key: string; x509: X509Certificate };
  try {
    pair = await check(await read());
  } catch (err) {
    throw new KubeDevopsError("STARTUP", (err as Error).message, {
      cause: err,
      hint: options.filesHint ?? "pass --tls-cert and --tls-key (e.g. /tls/tls.crt and /tls/tls.key from the webhook Secret)",
    });
  }

  /**
   * Logs a serving certificate outside its validity (error) or near its end (warning). It is
   * served all the same: refusing would turn a renewable problem into a crash loop, and the
   * files are hot-reloaded, so a renewal fixes it without a restart.
   */
  function reportValidity(x509: X509Certificate): void {
    const notice = describeServingValidity(x509, options.certFile, new Date(), EXPIRY_WARNING_MS);
    if (notice) options.logger[notice.level](`TLS serving certificate: ${notice.message}`, { certFile: options.certFile, notBefore: notice.notBefore, notAfter: notice.notAfter });
  }

  function listen(port: number, tls: { cert: string; key: string }): Listener {
    const listener: Listener = { server: undefined as never, draining: false };
    listener.server = Bun.serve({
      hostname,
      port,
      // Bun defaults to development mode unless NODE_ENV=production: error pages with stack
      // traces (decision 0024).
      development: false,
      reusePort: true,
      tls,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      ...(options.maxRequestBodySize ? { maxRequestBodySize: options.maxRequestBodySize } : {}),
      ...(options.postRoutes ? { routes: nativeRoutes(listener, options.postRoutes) } : {}),
      error(error) {
        options.logger.error("request handler failed", { error: error.message });
        return internalErrorResponse();
      },
      fetch(request, server) {
        const absolute = withAbsoluteUrl(request, server);
        if (!listener.draining) return options.fetch(absolute); // no extra promise unless draining
        return Promise.resolve(options.fetch(absolute)).then(markClose);
      },
    });
    return listener;
  }

  let current: Listener;
  try {
    // The listeners share the port (SO_REUSEPORT) for the hand-over, which would also let
    // another process's port be shared silently: bind it once exclusively first.
    if (requestedPort !== 0) await assertPortFree(hostname, requestedPort);
    current = listen(requestedPort, { cert: pair.cert, key: pair.key });
  } catch (err) {
    const message = isTlsError(err) ? `Cannot serve ${options.certFile} with ${options.keyFile}: ${(err as Error).message}` : `Cannot listen on ${options.addr}: ${(err as Error).message}`;
    throw new KubeDevopsError("STARTUP", message, { cause: err });
  }
  const port = current.server.port ?? requestedPort;
  reportValidity(pair.x509);
  options.onCertificate?.(pair.cert);
  const retiring = new Map<Listener, Promise<void>>();
  let reloading: Promise<ReloadResult> | undefined;
  let stopped = false;

  async function handOver(): Promise<ReloadResult> {
    let next: typeof pair;
    try {
      const loaded = await read();
      if (stopped || (loaded.cert === pair.cert && loaded.key === pair.key)) return "unchanged";
      next = await check(loaded);
    } catch (err) {
      return reportFailure(err);
    }
    let fresh: Listener;
    try {
      fresh = listen(port, { cert: next.cert, key: next.key });
    } catch (err) {
      return reportFailure(isTlsError(err) ? new Error(`Cannot serve ${options.certFile} with ${options.keyFile}: ${(err as Error).message}`) : err);
    }
    const old = current;
    current = fresh;
    pair = next;
    await retire(old, handOverMs);
    options.logger.info("TLS certificate reloaded", { certFile: options.certFile, keyFile: options.keyFile, handOverMs, drainMs });
    reportValidity(next.x509);
    options.onCertificate?.(next.cert);
    return "reloaded";
  }

  /**
   * Stops the replaced listener accepting and lets its connections drain. Measured on Bun
   * 1.4.5 (decision 0013): `stop(false)` closes the listening socket at once (every later
   * handshake reaches the new listener) but also closes idle keep-alive connections at
   * once, and a client that was just sending on one gets ECONNRESET (22-26 of 32 in the
   * rotation test). Bun has no call that closes only the listening socket, so the old
   * listener first answers with `Connection: close` for `handOverMs` (clients between two
   * requests get their next answer that way and reconnect), then stops accepting. Busy
   * connections close after their response; one that finished its handshake but sent no
   * request stays open until the idle timeout (IDLE_TIMEOUT_SECONDS), so `drainMs` bounds the wait.
   */
  async function retire(old: Listener, graceMs: number): Promise<void> {
    old.draining = true;
    if (graceMs > 0) await Bun.sleep(graceMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    const done = Promise.race([old.server.stop(false), bounded])
      .then(() => old.server.stop(true))
      .finally(() => {
        clearTimeout(timer);
        retiring.delete(old);
      });
    retiring.set(old, done);
  }

  function reportFailure(err: unknown): ReloadResult {
    const error = err instanceof Error ? err : new Error(String(err));
    options.logger.warn(`TLS certificate reload failed; keeping the current certificate: ${error.message}`, { certFile: options.certFile, keyFile: options.keyFile, error: error.message });
    options.onReloadError?.(error);
    return "failed";
  }

  /** Set when a reload is asked for while one runs: the running one may have read the files before they changed. */
  let again = false;

  function reload(): Promise<ReloadResult> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      let result = await handOver();
      while (again && !stopped) {
        again = false;
        const next = await handOver();
        if (next !== "unchanged") result = next;
      }
      return result;
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  let debounce: ReturnType<typeof setTimeout> | undefined;
  const watchers: FSWatcher[] = [];
  const dirs = options.loadPair ? [] : [dirname(options.certFile), dirname(options.keyFile)];
  for (const dir of new Set(dirs)) {
    try {
      // Secret volumes swap a `..data` symlink: watch the directory, not the file.
      const watcher = watch(dir, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload(), 100);
      });
      watcher.on("error", (err) => options.logger.warn("TLS directory watch failed; relying on polling", { dir, error: err.message }));
      watchers.push(watcher);
    } catch (err) {
      options.logger.warn("cannot watch the TLS directory; relying on polling", { dir, error: (err as Error).message });
    }
  }
  const pollMs = options.loadPair ? 0 : (options.pollMs ?? 30_000);
  const poll = pollMs > 0 ? setInterval(() => void reload(), pollMs) : undefined;

  return {
    url: `https://${localUrlHost(hostname)}:${port}`,
    port,
    reload,
    async stop(force = false) {
      stopped = true;
      clearTimeout(debounce);
      if (poll) clearInterval(poll);
      for (const w of watchers) w.close();
      await reloading;
      if (force) {
        for (const old of retiring.keys()) void old.server.stop(true);
        await Promise.all([current.server.stop(true), ...retiring.values()]);
        return;
      }
      // Retired like a replaced certificate's listener: the API server's keep-alive connections
      // stay pinned to this pod after it left the endpoints and it goes on writing calls on them;
      // closing them outright fails a call written at that moment (EOF, not retried for a POST).
      await retire(current, handOverMs);
      await Promise.all(retiring.values());
    },
  };
}
