/**
 * @module
 * Fault injection for chaos tests: fail the next N matching requests with a status (500, 503,
 * 429 + Retry-After, ...) — a watch also after it opened, as an in-stream ERROR event — add latency, expire continue tokens, and — wired by the emulator — drop watches, compact
 * history and stop/restart the listener.
 */
import { StatusError } from "./status.ts";

/** Which requests a fault applies to (all given fields must match). */
export interface RequestMatch {
  /** HTTP method, e.g. "GET". */
  method?: string;
  /** API verb: get list watch create update patch delete deletecollection. */
  verb?: string;
  /** Resource plural, e.g. "pods" (optionally "pods/status"). */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Substring of (or RegExp on) the request path. */
  path?: string | RegExp;
}

export interface RequestFacts {
  method: string;
  verb: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  path: string;
}

export interface FailureSpec extends RequestMatch {
  /** HTTP status to answer with (default 500). */
  status?: number;
  /** Retry-After seconds (429/503). */
  retryAfterSeconds?: number;
  message?: string;
  /**
   * Watches only: answer 200, send the Status as one in-stream `{"type":"ERROR","object":{"kind":"Status",...}}`
   * event and end the stream — what the API server does when a watch fails after it started (an
   * etcd watch error, a decode failure) — instead of failing the request itself.
   */
  inStream?: boolean;
}

/** An injected failure: the Status, and whether a watch gets it in-stream after a 200. */
export interface InjectedFault {
  error: StatusError;
  inStream: boolean;
}

interface FailRule {
  remaining: number;
  spec: FailureSpec;
}

interface LatencyRule {
  ms: number;
  match: RequestMatch;
}

export function matchesRequest(m: RequestMatch, r: RequestFacts): boolean {
  if (m.method && m.method.toUpperCase() !== r.method) return false;
  if (m.verb && m.verb !== r.verb) return false;
  if (m.resource && m.resource !== r.resource && m.resource !== `${r.resource}/${r.subresource}`) return false;
  if (m.namespace !== undefined && m.namespace !== r.namespace) return false;
  if (m.name !== undefined && m.name !== r.name) return false;
  if (m.path !== undefined && !(typeof m.path === "string" ? r.path.includes(m.path) : m.path.test(r.path))) return false;
  return true;
}

const REASONS: Record<number, [string, string]> = {
  429: ["TooManyRequests", "Too many requests, please try again later."],
  500: ["InternalError", "Internal error occurred: injected fault"],
  503: ["ServiceUnavailable", "The server is currently unable to handle the request"],
  504: ["Timeout", "The server was unable to return a response in the time allotted, but may still be processing the request"],
  409: ["Conflict", "Operation cannot be fulfilled: injected conflict"],
  403: ["Forbidden", "forbidden: injected fault"],
};

/** The failure registry consulted by the router before every request. */
export class FaultRules {
  private fails: FailRule[] = [];
  private latency: LatencyRule[] = [];
  private continueExpiries = 0;

  /** Fails the next `count` requests matching `spec` with `spec.status`. */
  failNext(count: number, spec: FailureSpec = {}): void {
    this.fails.push({ remaining: count, spec });
  }

  /** Adds `ms` of latency to every matching request until cleared. */
  addLatency(ms: number, match: RequestMatch = {}): void {
    this.latency.push({ ms, match });
  }

  /**
   * The next `count` list requests carrying a continue token answer 410 Expired, as when etcd
   * compacted the first page's revision meanwhile (every 5 min by default, so every paged list
   * slower than that): the Status offers an inconsistent continue token, as the real server's does.
   */
  expireContinueTokens(count = Number.POSITIVE_INFINITY): void {
    this.continueExpiries = count;
  }

  /** Consumes one continue-token expiry, if any is pending. */
  takeContinueExpiry(): boolean {
    if (this.continueExpiries <= 0) return false;
    this.continueExpiries--;
    return true;
  }

  clear(): void {
    this.fails = [];
    this.latency = [];
    this.continueExpiries = 0;
  }

  /** Pending injected failures (for assertions that they were consumed). */
  get pendingFailures(): number {
    return this.fails.reduce((n, f) => n + f.remaining, 0);
  }

  delayFor(r: RequestFacts): number {
    return this.latency.filter((l) => matchesRequest(l.match, r)).reduce((n, l) => n + l.ms, 0);
  }

  /** The injected error for this request, consuming one use of the rule. */
  take(r: RequestFacts): InjectedFault | undefined {
    const rule = this.fails.find((f) => f.remaining > 0 && matchesRequest(f.spec, r));
    if (!rule) return undefined;
    rule.remaining--;
    this.fails = this.fails.filter((f) => f.remaining > 0);
    const status = rule.spec.status ?? 500;
    const [reason, message] = REASONS[status] ?? ["", `injected fault (${status})`];
    const details = rule.spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.spec.retryAfterSeconds } : undefined;
    const error = new StatusError(status, reason, rule.spec.message ?? message, details);
    return { error, inStream: rule.spec.inStream === true && r.verb === "watch" };
  }
}
