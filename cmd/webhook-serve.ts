/**
 * @module
 * `kube-devops webhook serve`: the validating admission webhook over HTTPS. Policies
 * come from a watch-fed cache; `/readyz` waits for its first sync; certificates are
 * reloaded without dropping connections when the files change (Secret rotation).
 */
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { createWebhookApp, DEFAULT_MAX_BODY_BYTES } from "../lib/webhook/app.ts";
import { readTextFile } from "../lib/webhook/cert-files.ts";
import { describeCertificate } from "../lib/webhook/certs.ts";
import { WEBHOOK_CONTAINER_PORT, WEBHOOK_NAMESPACE, WEBHOOK_TLS_DIR } from "../lib/webhook/constants.ts";
import { createWebhookMetrics, type WebhookMetrics } from "../lib/webhook/metrics.ts";
import { createPolicyCache } from "../lib/webhook/policy-cache.ts";
import { startTlsServer } from "../lib/webhook/tls-server.ts";
import type { Logger } from "../lib/log.ts";

/** Sets the expiry gauges from the serving certificate and, when mounted beside it, the CA. */
async function recordExpiry(metrics: WebhookMetrics, logger: Logger, certPem: string, caFile: string): Promise<void> {
  try {
    const serving = await describeCertificate(certPem, "the serving certificate");
    metrics.certificateExpiry.set({ certificate: "serving" }, Math.floor(serving.notAfter.getTime() / 1000));
    if (existsSync(caFile)) {
      const ca = await describeCertificate(readTextFile(caFile), caFile);
      metrics.certificateExpiry.set({ certificate: "ca" }, Math.floor(ca.notAfter.getTime() / 1000));
    }
  } catch (err) {
    logger.warn("cannot read the certificate expiry", { error: (err as Error).message });
  }
}

export default defineCommand({
  meta: { name: "serve", description: "Serve the validating admission webhook over HTTPS (POST /validate, /healthz, /readyz, /metrics)" },
  args: {
    addr: { type: "string", default: `:${WEBHOOK_CONTAINER_PORT}`, description: "Listen address host:port (hostnames allowed)" },
    "tls-cert": { type: "string", default: `${WEBHOOK_TLS_DIR}/tls.crt`, description: "Serving certificate (PEM); reloaded when it changes", valueHint: "file" },
    "tls-key": { type: "string", default: `${WEBHOOK_TLS_DIR}/tls.key`, description: "Private key of the serving certificate (PEM)", valueHint: "file" },
    namespace: { type: "string", description: "The tool's own namespace, always admitted (default: $POD_NAMESPACE, else kube-devops)" },
    ...rateLimitArgs,
  },
  async run({ args }) {
    const { logger, globals, env } = cliRuntime();
    const ownNamespace = args.namespace ?? env.POD_NAMESPACE ?? WEBHOOK_NAMESPACE;
    const conn = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CONTROLLER_RATE_LIMIT) });
    const metrics = createWebhookMetrics();
    const cache = createPolicyCache({ client: conn.client, logger });
    const app = createWebhookApp({ ownNamespace, policiesFor: cache.policiesFor, metrics, logger, readiness: cache.readiness });
    const caFile = join(dirname(args["tls-cert"]), "ca.crt");
    await runUntilSignal(
      "webhook",
      async ({ signal, onShutdown }) => {
        const server = await startTlsServer({
          addr: args.addr,
          certFile: args["tls-cert"],
          keyFile: args["tls-key"],
          fetch: app.fetch,
          logger,
          maxRequestBodySize: DEFAULT_MAX_BODY_BYTES + 64 * 1024,
          onCertificate: (pem) => void recordExpiry(metrics, logger, pem, caFile),
          onReloadError: () => metrics.errors.inc({ reason: "certificate_reload" }),
        });
        onShutdown("https", () => server.stop());
        logger.info("admission webhook listening", { url: server.url, namespace: ownNamespace, apiServer: conn.server });
        await cache.start(signal);
      },
      { logger, graceMs: 25_000 },
    );
  },
});
