/**
 * @module
 * The webhook's HTTP surface as a hono app: `POST /validate` plus the shared
 * `/healthz`, `/readyz`, `/metrics` (behind `metricsAccess` when given). The handler
 * never throws to the API server: a body that is not an AdmissionReview is a 400
 * with a JSON body, and any internal failure admits the request with a warning,
 * a log line and an error metric (fail open, docs/decisions).
 */
import type { Hono } from "hono";
import { admitRequest, type AdmissionDecision } from "../admission/admit.ts";
import type { AdmissionPolicy } from "../admission/policy-index.ts";
import { parseAdmissionReview, toAdmissionReview, type AdmissionApiVersion, type AdmissionRequest, type AdmissionResponse } from "../admission/review.ts";
import { answerReachability, reachabilityNonce } from "../admission/reachability.ts";
import { errored, malformed } from "../admission/verdict.ts";
import type { Logger } from "../log.ts";
import { createProbeApp, type Readiness } from "../server/probe-app.ts";
import { WEBHOOK_PATH } from "./constants.ts";
import type { WebhookMetrics } from "./metrics.ts";

/**
 * The largest review of an object etcd stores (1.5 MiB): the API server encodes it with Go's
 * encoding/json, which writes `<`, `>` and `&` as six bytes (`\u003c`), so one object can be
 * 6 × 1.5 MiB = 9 MiB and an UPDATE's two 18 MiB, plus the envelope. Smaller, a padded object
 * got a 413, which failurePolicy Ignore turns into an unchecked admission. Enforced by the
 * listener (Bun's maxRequestBodySize: a bare 413 before any handler runs, Content-Length or
 * chunked), not here: see docs/decisions/0024.
 */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

export interface WebhookAppOptions {
  ownNamespace: string;
  policiesFor: (namespace: string) => readonly AdmissionPolicy[];
  /** Honour exemption annotations (default true; `webhook serve --no-exemptions` ignores them). */
  exemptions?: boolean;
  metrics: WebhookMetrics;
  logger: Logger;
  readiness: () => Readiness;
  /** Guards `/metrics` (`webhook serve --metrics-auth kubernetes`); open without it. */
  metricsAccess?: (request: Request) => Promise<Response | undefined>;
  /** Monotonic seconds, for the duration histogram (injected for tests). */
  clock?: () => number;
  /** This replica's name (the pod's, POD_NAME), named in the answer to check's reachability ping. */
  replica?: string;
}

/** Shared: a Response copies its init (headers included), so one per status serves every response. */
const JSON_HEADERS = new Headers({ "Content-Type": "application/json" });
const INIT = { 200: { status: 200, headers: JSON_HEADERS }, 400: { status: 400, headers: JSON_HEADERS } } as const;

function respond(apiVersion: AdmissionApiVersion, response: AdmissionResponse, status: 200 | 400): Response {
  return new Response(JSON.stringify(toAdmissionReview(apiVersion, response)), INIT[status]);
}

function record(metrics: WebhookMetrics, request: AdmissionRequest, decision: AdmissionDecision): void {
  const dryRun = request.dryRun === true;
  metrics.countRequest(request.operation, decision.response.allowed, dryRun);
  // a dry run (kubectl diff, --dry-run=server, Argo CD's diffs) writes nothing: the finding
  // counters say what admission did to writes that would persist (decision 0033)
  if (!dryRun) metrics.countFindings(decision.namespace, decision.denials, decision.warnings, decision.exempted);
}

export interface WebhookHandlers {
  /** The whole surface: `/validate`, `/healthz`, `/readyz`, `/metrics`. */
  app: Hono;
  /** `POST /validate` alone, for Bun's native router on the hot path (same handler as in `app`). */
  validate: (request: Request) => Promise<Response>;
}

/** Builds the webhook app. */
export function createWebhookApp(options: WebhookAppOptions): Hono {
  return createWebhookHandlers(options).app;
}

/** Builds the app and its `/validate` handler. */
export function createWebhookHandlers(options: WebhookAppOptions): WebhookHandlers {
  const { metrics, logger } = options;
  const clock = options.clock ?? (() => performance.now() / 1000);
  const app = createProbeApp({ registry: metrics.registry, readiness: options.readiness, ...(options.metricsAccess ? { metricsAccess: options.metricsAccess } : {}) });

  async function validate(raw: Request): Promise<Response> {
    const started = clock();
    // No size check here: the listener's maxRequestBodySize refused larger bodies before
    // this runs (decision 0024). `json()` parses Bun's buffer in place; touching
    // `request.body` (as hono's bodyLimit does) would turn it into a stream read.
    let body: unknown;
    try {
      body = await raw.json();
    } catch {
      metrics.errors.inc({ reason: "malformed" });
      return respond("admission.k8s.io/v1", malformed("", "the body is not valid JSON"), 400);
    }
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) {
      metrics.errors.inc({ reason: "malformed" });
      logger.debug("malformed AdmissionReview", { uid: parsed.uid, reason: parsed.message });
      return respond(parsed.apiVersion, malformed(parsed.uid, parsed.message), 400);
    }
    const { request, apiVersion } = parsed;
    let response: AdmissionResponse;
    const nonce = reachabilityNonce(request);
    if (nonce !== undefined) {
      // check's dry-run ping: a request like any other for the metrics, but no finding and no verdict
      metrics.countRequest(request.operation, true, true);
      logger.debug("reachability check answered", { uid: request.uid, namespace: request.namespace ?? "", user: request.userInfo?.username ?? "" });
      metrics.duration.observe(clock() - started);
      return respond(apiVersion, answerReachability(request.uid, nonce, options.replica ?? "unknown"), 200);
    }
    try {
      const decision = admitRequest(request, options);
      record(metrics, request, decision);
      response = decision.response;
      if (!response.allowed) {
        // who asked, as Gatekeeper's --log-denies does: the line an auditor looks for
        logger.info("admission denied", { uid: request.uid, namespace: decision.namespace, kind: request.kind.kind, name: decision.name ?? request.name ?? "", operation: request.operation, user: request.userInfo?.username ?? "", dryRun: request.dryRun === true, reason: response.status?.message ?? "" });
      }
    } catch (err) {
      metrics.errors.inc({ reason: "internal" });
      metrics.countRequest(request.operation, true, request.dryRun === true);
      logger.error("admission failed; admitting unchecked (fail open)", { uid: request.uid, error: err instanceof Error ? err.message : String(err) });
      response = errored(request.uid, "internal error");
    }
    metrics.duration.observe(clock() - started);
    return respond(apiVersion, response, 200);
  }
  app.post(WEBHOOK_PATH, (c) => validate(c.req.raw));
  app.all(WEBHOOK_PATH, (c) => c.json({ error: `${c.req.method} is not allowed on ${WEBHOOK_PATH}; POST an AdmissionReview` }, 405, { Allow: "POST" }));
  return { app, validate };
}
