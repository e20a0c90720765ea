/**
 * @module
 * The validating admission dispatcher: sends AdmissionReview v1 to every matching
 * webhook of every ValidatingWebhookConfiguration in parallel, over TLS verified with
 * the caBundle and the service DNS name, and turns the answers (or call failures under
 * the failure policy) into one verdict with warnings, as the API server does; each call is
 * reported to `observe` as the API server's admission metrics record it. A webhook whose
 * matchConditions exclude the request is not called (and not observed).
 */
import { forbiddenFor, type StatusBody } from "../auth/forbidden-status.ts";
import { evaluateMatchConditions } from "./match-conditions.ts";
import { buildAdmissionReview, callFailureStatus, rejectionStatus, verifyAdmissionResponse } from "./admission-review.ts";
import {
  isExemptFromWebhooks,
  matchingResource,
  namespaceSelectorMatches,
  objectSelectorMatches,
  type AdmissionAttributes,
  type GroupVersionResource,
  type ValidatingWebhook,
} from "./webhook-matching.ts";

export interface ValidatingWebhookConfiguration {
  metadata: { name?: string };
  webhooks?: ValidatingWebhook[] | null;
}

export interface ValidatingAdmissionOptions {
  configurations(): ValidatingWebhookConfiguration[];
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** Maps a webhook's service reference to a loopback `host:port` (undefined: no such service). */
  resolveService?(namespace: string, name: string, port: number): string | undefined;
  newUid?(): string;
  /** Told about every webhook call once it is decided (admission-metrics.ts records it). */
  observe?(call: WebhookCall): void;
  /** Monotonic seconds, for call durations. */
  now?(): number;
}

/** One webhook call as the API server's metrics see it. */
export interface WebhookCall {
  name: string;
  operation: string;
  seconds: number;
  /**
   * 200 when allowed; a rejection's code; for a failed call the code of the error the API server
   * keeps (ErrCallingWebhook.Status): the webhook's HTTP status when it answered non-2xx, 503 for
   * an invalid AdmissionReview, else 400 (connection, TLS, timeout, undecodable body).
   */
  code: number;
  outcome: "allowed" | "denied" | "failed-open" | "failed-closed";
}

export type AdmissionOutcome = { allowed: true; warnings: string[] } | { allowed: false; status: StatusBody; warnings: string[] };

type CallOutcome = { ok: true; allowed: boolean; status?: StatusBody; warnings: string[] } | { ok: false; error: string; code: number };
/** matchConditions that failed to evaluate under failurePolicy Fail: the request is refused without a call. */
type MatchError = { matchError: StatusBody };

/** apierrors.NewBadRequest for a dry run matched by a webhook with side effects. */
function dryRunUnsupported(name: string): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `admission webhook "${name}" does not support dry run`, reason: "BadRequest", code: 400 };
}

/** apierrors.NewBadRequest: what the API server records for a call that got no usable HTTP answer. */
const CALL_ERROR_CODE = 400;

interface Target {
  /** The URL as the real server would name it in errors. */
  display: string;
  /** Where this process actually connects. */
  connect?: string;
  serverName?: string;
  missing?: string;
}

function resolveTarget(hook: ValidatingWebhook, timeoutSeconds: number, opts: ValidatingAdmissionOptions): Target {
  const q = `timeout=${timeoutSeconds}s`;
  const cc = hook.clientConfig;
  if (cc.url) {
    const u = new URL(cc.url);
    u.search = u.search ? `${u.search}&${q}` : `?${q}`;
    return { display: u.toString(), connect: u.toString() };
  }
  const svc = cc.service;
  if (!svc) return { display: "", missing: "no clientConfig.url or clientConfig.service" };
  const port = svc.port ?? 443;
  const path = svc.path ?? "/";
  const host = `${svc.name}.${svc.namespace}.svc`;
  const display = `https://${host}:${port}${path}?${q}`;
  const local = opts.resolveService?.(svc.namespace, svc.name, port);
  if (!local) return { display, missing: `service "${svc.name}" not found` };
  return { display, connect: `https://${local}${path}?${q}`, serverName: host };
}

/** Go's wording for the transport errors kubectl users will recognise. */
function describeFetchError(err: unknown, target: Target, timedOut: boolean): string {
  const e = err as { code?: string; message?: string };
  let detail: string;
  if (timedOut) detail = "context deadline exceeded";
  else if (e.code === "ECONNREFUSED") detail = `dial tcp ${new URL(target.connect ?? target.display).host}: connect: connection refused`;
  else if (e.code === "ERR_TLS_CERT_ALTNAME_INVALID") detail = `tls: failed to verify certificate: x509: certificate is not valid for ${target.serverName ?? new URL(target.display).hostname}`;
  else if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED/.test(e.code ?? "")) detail = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  else detail = e.message ?? String(err);
  return `Post "${target.display}": ${detail}`;
}

async function callWebhook(hook: ValidatingWebhook, attrs: AdmissionAttributes, opts: ValidatingAdmissionOptions, gvr: GroupVersionResource): Promise<CallOutcome> {
  const timeoutSeconds = Math.min(Math.max(hook.timeoutSeconds ?? 10, 1), 30);
  const target = resolveTarget(hook, timeoutSeconds, opts);
  if (!target.connect) return { ok: false, code: CALL_ERROR_CODE, error: `failed to call webhook: ${target.display ? `Post "${target.display}": ` : ""}${target.missing}` };
  const uid = opts.newUid?.() ?? crypto.randomUUID();
  const review = buildAdmissionReview(attrs, uid, gvr);
  const ca = hook.clientConfig.caBundle ? Buffer.from(hook.clientConfig.caBundle, "base64").toString("utf8") : undefined;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutSeconds * 1000);
  let text: string;
  let status: number;
  try {
    const res = await fetch(target.connect, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: encodeLikeGo(review),
      signal: controller.signal,
      tls: { ...(ca ? { ca } : {}), ...(target.serverName ? { serverName: target.serverName } : {}) },
    } as RequestInit);
    status = res.status;
    text = await res.text();
  } catch (err) {
    return { ok: false, code: CALL_ERROR_CODE, error: `failed to call webhook: ${describeFetchError(err, target, timedOut)}` };
  } finally {
    clearTimeout(timer);
  }
  if (status < 200 || status > 299) {
    return { ok: false, code: status, error: `failed to call webhook: an error on the server ("${text.trim()}") has prevented the request from succeeding` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: CALL_ERROR_CODE, error: `failed to call webhook: couldn't get version/kind; json parse error: ${(err as Error).message}` };
  }
  if (!body || typeof body !== "object" || !(body as { kind?: unknown }).kind) {
    return { ok: false, code: CALL_ERROR_CODE, error: `failed to call webhook: Object 'Kind' is missing in '${text.trim()}'` };
  }
  const verified = verifyAdmissionResponse(uid, body);
  // apierrors.NewServiceUnavailable("error validating webhook response")
  if ("invalid" in verified) return { ok: false, code: 503, error: `received invalid webhook response: ${verified.invalid}` };
  return verified.allowed
    ? { ok: true, allowed: true, warnings: verified.warnings }
    : { ok: true, allowed: false, status: rejectionStatus(hook.name, verified.status), warnings: verified.warnings };
}

/**
 * Calls one webhook when its rules and matchConditions select the request (ShouldCallHook) and
 * reports the call, as the dispatcher's ObserveWebhook* calls do.
 */
async function timedCall(hook: ValidatingWebhook, attrs: AdmissionAttributes, opts: ValidatingAdmissionOptions): Promise<CallOutcome | MatchError | undefined> {
  const gvr = matchingResource(hook, attrs);
  if (!gvr) return undefined;
  const match = evaluateMatchConditions(hook, attrs, gvr);
  if ("error" in match) return { matchError: forbiddenFor(attrs.resource.group, attrs.resource.resource, attrs.name, match.error) };
  if (!match.matches) return undefined;
  // a dry run may only call a webhook that declares it has no side effects (dispatcher.go:
  // webhookerrors.NewDryRunUnsupportedErr), whatever the failurePolicy
  if (attrs.dryRun && hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") return { matchError: dryRunUnsupported(hook.name) };
  const now = opts.now ?? (() => performance.now() / 1000);
  const started = now();
  const outcome = await callWebhook(hook, attrs, opts, gvr).catch((err: unknown): CallOutcome => ({ ok: false, code: CALL_ERROR_CODE, error: String(err) }));
  if (!opts.observe) return outcome;
  const failOpen = (hook.failurePolicy ?? "Fail") === "Ignore";
  const code = outcome.ok ? (outcome.allowed ? 200 : (outcome.status?.code ?? 400)) : outcome.code;
  const result: WebhookCall["outcome"] = outcome.ok ? (outcome.allowed ? "allowed" : "denied") : failOpen ? "failed-open" : "failed-closed";
  opts.observe({ name: hook.name, operation: attrs.operation, seconds: now() - started, code, outcome: result });
  return outcome;
}

/** Builds the dispatcher; `admit` never throws. */
export function createValidatingAdmission(opts: ValidatingAdmissionOptions) {
  return {
    async admit(attrs: AdmissionAttributes): Promise<AdmissionOutcome> {
      if (isExemptFromWebhooks(attrs)) return { allowed: true, warnings: [] };
      const hooks: ValidatingWebhook[] = [];
      const configs = [...opts.configurations()].sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
      for (const c of configs) {
        for (const h of c.webhooks ?? []) {
          if (namespaceSelectorMatches(h, attrs, opts.namespaceLabels) && objectSelectorMatches(h, attrs)) hooks.push(h);
        }
      }
      const outcomes = await Promise.all(hooks.map((h) => timedCall(h, attrs, opts)));
      const warnings: string[] = [];
      let denial: StatusBody | undefined;
      outcomes.forEach((o, i) => {
        const hook = hooks[i];
        if (!o || !hook) return;
        if ("matchError" in o) {
          denial ??= o.matchError;
        } else if (o.ok) {
          warnings.push(...o.warnings);
          if (!o.allowed && !denial) denial = o.status;
        } else if ((hook.failurePolicy ?? "Fail") === "Fail" && !denial) {
          denial = callFailureStatus(hook.name, o.error);
        }
      });
      return denial ? { allowed: false, status: denial, warnings } : { allowed: true, warnings };
    },
  };
}

export type ValidatingAdmission = ReturnType<typeof createValidatingAdmission>;

/**
 * JSON as the API server encodes the AdmissionReview it sends: Go's encoding/json escapes `<`, `>`,
 * `&`, U+2028 and U+2029 as `\u003c`… (six bytes for one), so a review can be up to six times the
 * size of the stored object's strings. These characters only occur inside JSON strings, so
 * replacing them in JSON.stringify's output is exact.
 */
export function encodeLikeGo(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
