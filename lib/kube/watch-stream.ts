/**
 * @module
 * One watch request as an async iterator of decoded events. The request goes
 * through the client's executor (rate limit, retries of refused connections,
 * typed errors such as a 410 GoneError); the body is decoded line by line; a
 * stream silent for longer than `idleTimeoutMs` is closed so the caller can
 * reconnect instead of hanging on a half-dead connection.
 */
import type { KubeClient } from "./client.ts";
import { decodeJsonLines, JsonLineError } from "./json-lines.ts";
import type { RequestOptions } from "./transport.ts";
import { describeTransportError } from "./transport-errors.ts";

export interface WatchLine {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR" | string;
  object: unknown;
}

export interface WatchRequest {
  path: string;
  resource: string;
  namespace?: string | undefined;
  query: RequestOptions["query"];
  idleTimeoutMs: number;
  /**
   * The server answers a watch's headers at once; none within this long (ms) is an error (an
   * overloaded or blackholed API server), not a quiet idle reconnect. Default 30 s.
   */
  headerTimeoutMs?: number | undefined;
  signal: AbortSignal;
  /** Called once the server accepted the watch (HTTP 200). */
  onOpen?: () => void;
}

class IdleTimeout extends Error {}

const DEFAULT_HEADER_TIMEOUT_MS = 30_000;

/** Streams the events of one watch; ends when the server closes it or it idles out. */
export async function* streamWatch(client: KubeClient, req: WatchRequest): AsyncGenerator<WatchLine> {
  const ctrl = new AbortController();
  const onAbort = (): void => ctrl.abort(req.signal.reason);
  req.signal.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new IdleTimeout("idle")), req.idleTimeoutMs);
  };
  try {
    arm();
    const res = await client.executor.send({ method: "GET", path: req.path, query: req.query, verb: "watch", resource: req.resource, namespace: req.namespace, idempotent: true, stream: true, headerTimeoutMs: Math.min(req.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS, req.idleTimeoutMs), signal: ctrl.signal });
    req.onOpen?.();
    arm();
    if (!res.body) return;
    const body = res.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        arm();
        yield chunk;
      }
    }
    try {
      for await (const value of decodeJsonLines(chunks())) yield value as WatchLine;
    } catch (err) {
      if (ctrl.signal.aborted) return; // idle timeout or caller stop: end quietly, the caller decides
      if (err instanceof JsonLineError) throw err;
      throw describeTransportError(err, { server: client.transport.server, context: client.transport.contextName, sentClientCert: false });
    }
  } catch (err) {
    if (ctrl.signal.reason instanceof IdleTimeout && !req.signal.aborted) return;
    throw err;
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener("abort", onAbort);
    if (!ctrl.signal.aborted) ctrl.abort();
  }
}
