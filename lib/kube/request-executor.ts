/**
 * @module
 * Sends one API call through the rate limiter with retries: 429 and any
 * Retry-After answer are retried for every verb (the server did not act) but a
 * 504, which may still be processing, for a call that is not idempotent,
 * other 5xx and dropped connections only for idempotent calls, refused
 * connections always. Delays are full-jitter exponential, or the server's
 * Retry-After (bounded). Error answers become typed KubeApiErrors.
 */
import { KubeDevopsError } from "../errors.ts";
import { computeBackoff, parseRetryAfter } from "./backoff.ts";
import { systemClock, type Clock, type Random } from "./clock.ts";
import { KubeApiError, parseStatus, toApiError, type RequestContext } from "./api-errors.ts";
import { CONTROLLER_RATE_LIMIT, TokenBucket, type RateLimit } from "./rate-limiter.ts";
import { requestDefaults } from "./request-defaults.ts";
import { describeTransportError, KubeTransportError } from "./transport-errors.ts";
import type { RequestOptions, Transport } from "./transport.ts";
import { parseWarningHeaders } from "./warning-headers.ts";

export interface RetryPolicy {
  /** Total tries including the first (1 = no retries). */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  /** Retry-After values above this are clamped (a server asking for an hour gets this). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 200, maxMs: 10_000, maxRetryAfterMs: 30_000 };

export interface ApiCall {
  method: string;
  path: string;
  query?: RequestOptions["query"];
  /** A JSON body; strings are sent as they are. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** For messages and RBAC hints. */
  verb: string;
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  /** Safe to repeat after a 5xx or a dropped connection. */
  idempotent: boolean;
  signal?: AbortSignal | undefined;
  /** A long-lived stream (watch): no request timeout. */
  stream?: boolean;
  /** No response headers within this long (ms) fails the attempt at once, not retried (a stream's header deadline). */
  headerTimeoutMs?: number | undefined;
}

export interface RetryEvent {
  call: ApiCall;
  attempt: number;
  delayMs: number;
  error: KubeApiError | KubeTransportError;
}

export interface ExecutorOptions {
  rateLimit?: RateLimit | false;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  random?: Random;
  /** Per-request timeout for non-streaming calls, ms (default 30 s; the global --request-timeout overrides it). */
  timeoutMs?: number;
  onRetry?: (event: RetryEvent) => void;
}

export class RequestExecutor {
  readonly limiter: TokenBucket | undefined;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  private readonly random: Random;
  private readonly timeoutMs: number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(
    readonly transport: Transport,
    options: ExecutorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
    this.limiter = options.rateLimit === false ? undefined : new TokenBucket(options.rateLimit ?? CONTROLLER_RATE_LIMIT, this.clock);
    // kubectl's --request-timeout, when given, is the user's word for every call.
    this.timeoutMs = requestDefaults().requestTimeoutMs ?? options.timeoutMs ?? 30_000;
    this.onRetry = options.onRetry;
  }

  private context(call: ApiCall): RequestContext {
    return { verb: call.verb, resource: call.resource, namespace: call.namespace, name: call.name, server: this.transport.server, context: this.transport.contextName };
  }

  /** Sends `call`; resolves with a 2xx response or throws a typed error. */
  send(call: ApiCall): Promise<Response> {
    return this.sendAndRead(call, (res) => Promise.resolve(res));
  }

  /** Sends `call` and parses the JSON answer (a body cut off mid-way is retried like a dropped connection). */
  json<T>(call: ApiCall): Promise<T> {
    return this.sendAndRead(call, async (res) => (await res.json()) as T);
  }

  /** Like `json`, also resolving with the response's headers (its `Warning`s, say). */
  jsonWithHeaders<T>(call: ApiCall): Promise<{ body: T; headers: Headers }> {
    return this.sendAndRead(call, async (res) => ({ body: (await res.json()) as T, headers: res.headers }));
  }

  private async sendAndRead<T>(call: ApiCall, read: (res: Response) => Promise<T>): Promise<T> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      let error: KubeApiError | KubeTransportError;
      let retryable: boolean;
      let retryAfter: number | undefined;
      await this.limiter?.take(call.signal);
      call.signal?.throwIfAborted();
      try {
        const res = await this.transport.request(call.path, {
          method: call.method,
          query: call.query,
          ...(call.body !== undefined ? { body: typeof call.body === "string" ? call.body : JSON.stringify(call.body) } : {}),
          ...(call.contentType ? { contentType: call.contentType } : {}),
          ...(call.accept ? { accept: call.accept } : {}),
          ...(call.signal ? { signal: call.signal } : {}),
          ...(call.stream ? {} : { timeoutMs: this.timeoutMs }),
          ...(call.headerTimeoutMs ? { headerTimeoutMs: call.headerTimeoutMs } : {}),
        });
        if (res.ok) {
          try {
            return await read(res);
          } catch (err) {
            if (call.signal?.aborted) throw err;
            if (err instanceof SyntaxError) throw new KubeDevopsError("KUBE", `${call.verb} ${call.resource}: the API server at ${this.transport.server} answered with invalid JSON`, { cause: err });
            throw describeTransportError(err, { server: this.transport.server, context: this.transport.contextName, sentClientCert: false });
          }
        }
        retryAfter = parseRetryAfter(res.headers.get("retry-after"), this.clock.now());
        const text = await res.text().catch(() => "");
        error = toApiError(res.status, parseStatus(text), this.context(call), retryAfter, parseWarningHeaders(res.headers.get("warning")));
        retryAfter = error.retryAfterMs;
        if (res.status === 401 && !refreshed) {
          // Credentials may have rotated (exec plugin, projected token): fetch fresh ones once.
          refreshed = true;
          await res.body?.cancel().catch(() => {});
          this.transport.invalidateCredentials();
          attempt--;
          continue;
        }
        // A Retry-After says the server did not act — but a 504 Timeout says it may still be
        // processing: a call not safe to repeat is returned to its caller, who reads to know.
        const throttled = res.status === 429 || (retryAfter !== undefined && res.status >= 500 && (call.idempotent || res.status !== 504));
        retryable = throttled || (res.status >= 500 && res.status !== 501 && call.idempotent);
      } catch (err) {
        if (!(err instanceof KubeTransportError)) throw err;
        error = err;
        retryable = err.retriable && (err.notSent || call.idempotent);
      }
      if (!retryable || attempt + 1 >= this.retry.maxAttempts || call.signal?.aborted) throw error;
      const delayMs = retryAfter !== undefined ? Math.min(retryAfter, this.retry.maxRetryAfterMs) : computeBackoff(attempt, this.retry, this.random);
      const event: RetryEvent = { call, attempt: attempt + 1, delayMs, error };
      this.onRetry?.(event);
      requestDefaults().onRetry?.(event);
      await this.clock.sleep(delayMs, call.signal);
    }
  }
}
