/**
 * @module
 * The server side of bench/webhook.ts, run as its own process so it has a core to
 * itself: `webhook` serves the real app over TLS (startTlsServer + createWebhookApp
 * with an enforcing policy), `echo` is a bare Bun.serve TLS echo (the baseline: Bun's
 * defaults, so development mode when NODE_ENV is unset), `echo-production` the same
 * echo with `development: false` as our servers run, `parse` a production-mode server
 * that JSON-parses the review and answers "allowed" with its uid: no validation,
 * policies or metrics, so the bound that parsing the body alone sets on any webhook;
 * `webhook-no-policy` the real app with no policy in the namespace (envelope, lookups,
 * metrics and the answer, but no check), so what the webhook's checks cost beside the rest.
 * Prints `PORT <n>` when listening; exits when stdin closes.
 */
import { compileAdmissionPolicy, PolicyIndex } from "../lib/admission/policy-index.ts";
import { createLogger } from "../lib/log.ts";
import { createWebhookHandlers, DEFAULT_MAX_BODY_BYTES } from "../lib/webhook/app.ts";
import { createWebhookMetrics } from "../lib/webhook/metrics.ts";
import { startTlsServer } from "../lib/webhook/tls-server.ts";

const [mode, certFile, keyFile] = process.argv.slice(2);
if (!mode || !certFile || !keyFile) throw new Error("usage: webhook-server.ts webhook|webhook-no-policy|echo|echo-production|parse <tls.crt> <tls.key>");

let port: number;
if (mode === "echo" || mode === "echo-production") {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(mode === "echo-production" ? { development: false, reusePort: false } : {}),
    tls: { cert: await Bun.file(certFile).text(), key: await Bun.file(keyFile).text() },
    async fetch(req) {
      return new Response(await req.text(), { headers: { "Content-Type": "application/json" } });
    },
  });
  port = server.port ?? 0;
} else if (mode === "parse") {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false,
    reusePort: false,
    tls: { cert: await Bun.file(certFile).text(), key: await Bun.file(keyFile).text() },
    async fetch(req) {
      const review = (await req.json()) as { apiVersion: string; request: { uid: string } };
      const answer = { apiVersion: review.apiVersion, kind: "AdmissionReview", response: { uid: review.request.uid, allowed: true } };
      return new Response(JSON.stringify(answer), { headers: { "Content-Type": "application/json" } });
    },
  });
  port = server.port ?? 0;
} else {
  const index = new PolicyIndex();
  index.upsert(compileAdmissionPolicy("prod", "baseline", { forbidLatestTag: true, requireLivenessProbe: true, requireReadinessProbe: true, requireResourceLimits: true, enforcementMode: "enforce" }));
  index.upsert(compileAdmissionPolicy("prod", "team", { requireResourceRequests: true, maxRestartCount: 3, enforcementMode: "audit" }));
  const { app, validate } = createWebhookHandlers({
    ownNamespace: "kube-devops",
    policiesFor: mode === "webhook-no-policy" ? () => [] : (ns) => index.forNamespace(ns),
    metrics: createWebhookMetrics(),
    logger: createLogger({ level: "warn" }),
    readiness: () => ({ ready: true, reasons: [] }),
  });
  const server = await startTlsServer({ addr: "127.0.0.1:0", certFile, keyFile, fetch: app.fetch, postRoutes: { "/validate": validate }, maxRequestBodySize: DEFAULT_MAX_BODY_BYTES, logger: createLogger({ level: "warn" }), pollMs: 0 });
  port = server.port;
}
process.stdout.write(`PORT ${port}\n`);
for await (const _ of Bun.stdin.stream()) {
  // keep running until the parent closes stdin
}
process.exit(0);
