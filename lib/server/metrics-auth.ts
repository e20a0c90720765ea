/**
 * @module
 * `/metrics` for callers the API server vouches for, as controller-runtime's
 * `filters.WithAuthenticationAndAuthorization` and kube-rbac-proxy do it: the bearer token goes to
 * a TokenReview, the identity it names to a SubjectAccessReview for `get` on the non-resource path.
 * Decisions are cached per SHA-256 of the token (never the token) for a short time in a bounded
 * map. Never throws: no token or a rejected one is a 401, a refused identity a 403, and an API
 * failure a 503 with a log line (fail closed: it is only metrics) — unless the same token was
 * allowed shortly before: through an API server outage that decision still holds for a bounded
 * time (`staleIfErrorMs`), so the outage does not read as every component down. Decision 0029.
 */
import { createHash } from "node:crypto";
import type { KubeClient } from "../kube/client.ts";
import { SUBJECT_ACCESS_REVIEWS, TOKEN_REVIEWS } from "../kube/resources.ts";
import type { Logger } from "../log.ts";

export interface MetricsAccessOptions {
  /** Creates the TokenReviews and SubjectAccessReviews (needs `create` on both). */
  client: KubeClient;
  logger: Logger;
  /** The non-resource path asked about (RBAC `nonResourceURLs`). */
  path?: string;
  /** Milliseconds, for the cache (injected for tests). */
  now?: () => number;
  /** How long an allowed token is trusted without asking again (a revoked token works this long). */
  allowedTtlMs?: number;
  /** How long a refused token (401 or 403) is refused without asking again. */
  deniedTtlMs?: number;
  /**
   * How long past its expiry an allowed decision still answers while the API server cannot review
   * the token (unreachable, 5xx, timeout). A refused token is never answered from an old decision.
   */
  staleIfErrorMs?: number;
  /** Cached decisions kept at most; the oldest go first. */
  maxEntries?: number;
  /**
   * Token hashes being reviewed at once, at most; beyond that a 503 at once. The reviews share
   * the component's API client and rate limit: a flood of made-up tokens must not queue up ahead
   * of its own calls.
   */
  maxInFlight?: number;
  /** Bound on one review (TokenReview + SubjectAccessReview, retries included). */
  timeoutMs?: number;
}

export const METRICS_ACCESS_DEFAULTS = { allowedTtlMs: 60_000, deniedTtlMs: 10_000, staleIfErrorMs: 600_000, maxEntries: 1024, maxInFlight: 8, timeoutMs: 5_000 } as const;

/** The outcome for one token: allowed, or the status and message the caller gets. */
export type AccessDecision = { allowed: true; user: string } | { allowed: false; status: 401 | 403; message: string };

export interface MetricsAccess {
  /** `undefined` when the request may read the metrics, else the response to send instead. */
  check(request: Request): Promise<Response | undefined>;
  /** Cached decisions right now (for tests and debugging). */
  readonly cached: number;
}

interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface TokenReview {
  apiVersion: string;
  kind: string;
  spec: { token: string };
  status?: { authenticated?: boolean; user?: UserInfo; error?: string };
}

interface SubjectAccessReview {
  apiVersion: string;
  kind: string;
  spec: Record<string, unknown>;
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match?.[1];
}

function errorResponse(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: message }), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** RFC 6750 §3: a challenge on every 401; `invalid_token` only when a token was sent. */
function refusal(decision: Extract<AccessDecision, { allowed: false }>, tokenSent: boolean): Response {
  if (decision.status === 403) return errorResponse(403, decision.message);
  return errorResponse(401, decision.message, { "WWW-Authenticate": tokenSent ? 'Bearer error="invalid_token"' : "Bearer" });
}

const unavailable = () => errorResponse(503, "metrics authorization is unavailable: the API server could not review the token");

/** Builds the check for one component's `/metrics`. */
export function createMetricsAccess(options: MetricsAccessOptions): MetricsAccess {
  const settings = { ...METRICS_ACCESS_DEFAULTS, ...definedOnly(options) };
  const path = options.path ?? "/metrics";
  const now = options.now ?? (() => Date.now());
  const cache = new Map<string, { decision: AccessDecision; expires: number }>();
  const inFlight = new Map<string, Promise<AccessDecision>>();

  async function review(token: string): Promise<AccessDecision> {
    const signal = AbortSignal.timeout(settings.timeoutMs);
    // audiences unset: the API server checks the token against its own audiences
    const tokenReview = await options.client.create<TokenReview>(TOKEN_REVIEWS, { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }, { signal });
    const user = tokenReview.status?.user;
    if (tokenReview.status?.authenticated !== true || !user?.username) return { allowed: false, status: 401, message: "invalid bearer token" };
    const access = await options.client.create<SubjectAccessReview>(
      SUBJECT_ACCESS_REVIEWS,
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb: "get" },
        },
      },
      { signal },
    );
    if (access.status?.allowed === true) return { allowed: true, user: user.username };
    return { allowed: false, status: 403, message: `user "${user.username}" may not get ${path}${access.status?.reason ? `: ${access.status.reason}` : ""}` };
  }

  function remember(key: string, decision: AccessDecision): void {
    cache.delete(key);
    cache.set(key, { decision, expires: now() + (decision.allowed ? settings.allowedTtlMs : settings.deniedTtlMs) });
    // a Map iterates in insertion order: the first keys are the oldest decisions
    for (const oldest of cache.keys()) {
      if (cache.size <= settings.maxEntries) break;
      cache.delete(oldest);
    }
  }

  /** An expired allowed decision still within `staleIfErrorMs` of its expiry: what answers while the API server cannot. */
  function staleAllowed(key: string): { decision: AccessDecision; expired: number } | undefined {
    const hit = cache.get(key);
    return hit?.decision.allowed && now() < hit.expires + settings.staleIfErrorMs ? { decision: hit.decision, expired: hit.expires } : undefined;
  }

  /** The cached decision, or one review shared by every request with the same token. */
  async function decide(token: string): Promise<AccessDecision | Response> {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.decision;
    // an expired allowed decision stays until a review replaces it: it answers if that review fails
    if (hit && !staleAllowed(key)) cache.delete(key);
    let pending = inFlight.get(key);
    if (!pending) {
      // a scraper allowed before keeps its decision here too: during an outage every review holds its slot until its deadline
      if (inFlight.size >= settings.maxInFlight) return staleAllowed(key)?.decision ?? errorResponse(503, "too many metrics authorization reviews at once; try again", { "Retry-After": "1" });
      pending = review(token)
        .then(
          (decision) => {
            remember(key, decision);
            return decision;
          },
          (err: unknown) => {
            // not cached: the next scrape asks again
            const error = err instanceof Error ? err.message : String(err);
            const stale = staleAllowed(key);
            if (stale) {
              const ageSeconds = Math.round((now() - stale.expired + settings.allowedTtlMs) / 1000);
              options.logger.warn("cannot authorize a metrics request: the TokenReview or SubjectAccessReview failed; answering with this token's allowed decision of a while ago", { path, decisionAgeSeconds: ageSeconds, error });
            } else {
              options.logger.warn("cannot authorize a metrics request: the TokenReview or SubjectAccessReview failed; answering 503", { path, error });
            }
            throw err;
          },
        )
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    try {
      return await pending;
    } catch {
      return staleAllowed(key)?.decision ?? unavailable();
    }
  }

  return {
    get cached() {
      return cache.size;
    },
    async check(request) {
      try {
        const token = bearerToken(request.headers.get("authorization"));
        if (!token) return refusal({ allowed: false, status: 401, message: "missing bearer token: send Authorization: Bearer <token>" }, false);
        const decision = await decide(token);
        if (decision instanceof Response) return decision;
        return decision.allowed ? undefined : refusal(decision, true);
      } catch (err) {
        options.logger.error("metrics authorization failed unexpectedly; answering 503", { error: err instanceof Error ? err.message : String(err) });
        return errorResponse(503, "metrics authorization failed");
      }
    },
  };
}

function definedOnly(options: MetricsAccessOptions): Partial<typeof METRICS_ACCESS_DEFAULTS> {
  const keys = Object.keys(METRICS_ACCESS_DEFAULTS) as (keyof typeof METRICS_ACCESS_DEFAULTS)[];
  return Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
}
