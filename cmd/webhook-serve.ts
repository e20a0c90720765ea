/**
 * @module
 * `kube-devops webhook serve`: the validating admission webhook over HTTPS. Policies
 * come from a watch-fed cache; `/readyz` waits for its first sync; certificates are
 * reloaded without dropping connections when the files change (Secret rotation);
 * `/metrics` answers only callers the API server vouches for (`--metrics-auth`).
 */
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostname } from "node:os";
import { defineExemptionsArg } from "../lib/cli/exemptions-flag.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { collectFlagValues } from "../lib/cli/repeated-flag.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseNamespaceFlag, parseObjectNameFlag, parseServiceNameFlag } from "../lib/resource-names.ts";
import { parseListenAddress } from "../lib/server/listen-address.ts";
import { connect, parseRateLimit, rateLimitArgs } from "../lib/kube/connect.ts";
import { runUntilSignal } from "../lib/kube/lifecycle.ts";
import { CONTROLLER_RATE_LIMIT } from "../lib/kube/rate-limiter.ts";
import { createWebhookHandlers, DEFAULT_MAX_BODY_BYTES } from "../lib/webhook/app.ts";
import { readTextFile } from "../lib/webhook/cert-files.ts";
import { createExpiryRecorder } from "../lib/webhook/certificate-expiry.ts";
import { createMetricsAccess } from "../lib/server/metrics-auth.ts";
import { createCertificateManager } from "../lib/webhook/certificate-manager.ts";
import { METRICS_AUTH_MODES, METRICS_PATH, WEBHOOK_CONTAINER_PORT, WEBHOOK_NAMESPACE, WEBHOOK_PATH, WEBHOOK_SERVICE_NAME, WEBHOOK_TLS_DIR, WEBHOOK_TLS_SECRET } from "../lib/webhook/constants.ts";
import { createWebhookMetrics } from "../lib/webhook/metrics.ts";
import { createPolicyCache } from "../lib/webhook/policy-cache.ts";
import { startTlsServer } from "../lib/webhook/tls-server.ts";

/** How often the CA bundle is re-read for the `ca` expiry gauge while the same certificate is served. */
const CA_REFRESH_MS = 30_000;

/** At most a day: checks far apart miss renewals, and a timer past ~24.8 days fires at once (Node/Bun overflow it to 1 ms). */
const MAX_CHECK_INTERVAL_SECONDS = 86_400;

function parseSeconds(value: string, flag: string): number {
  return integerFlag(flag, value, { min: 1, max: MAX_CHECK_INTERVAL_SECONDS, expected: `a whole number of seconds from 1 to ${MAX_CHECK_INTERVAL_SECONDS}` });
}

/**
 * Flags that only --self-managed reads: given without it they would do nothing, so say so. (Not
 * the other way round: the generated manifests pass --tls-cert/--tls-key in both modes, so the
 * chart switches the mode with one flag.)
 */
const SELF_MANAGED_ONLY = ["--tls-secret", "--service-name", "--webhook-configuration", "--cert-check-interval"] as const;

export default defineCommand({
  meta: { name: "serve", description: "Serve the validating admission webhook over HTTPS (POST /validate, /healthz, /readyz, /metrics behind --metrics-auth)" },
  args: {
    addr: { type: "string", default: `:${WEBHOOK_CONTAINER_PORT}`, description: "Listen address host:port (hostnames allowed)" },
    "tls-cert": { type: "string", default: `${WEBHOOK_TLS_DIR}/tls.crt`, description: "Serving certificate (PEM); reloaded when it changes", valueHint: "file" },
    "tls-key": { type: "string", default: `${WEBHOOK_TLS_DIR}/tls.key`, description: "Private key of the serving certificate (PEM)", valueHint: "file" },
    namespace: { type: "string", description: "The tool's own namespace, always admitted (default: $POD_NAMESPACE, else kube-devops)" },
    "self-managed": { type: "boolean", default: false, description: "Create and renew the certificates in the TLS Secret and keep the webhook configuration's caBundle current (instead of reading --tls-cert/--tls-key)" },
    "tls-secret": { type: "string", default: WEBHOOK_TLS_SECRET, description: "With --self-managed: the Secret holding the CA and serving certificate" },
    "service-name": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "With --self-managed: the Service the certificate is issued for" },
    "webhook-configuration": { type: "string", default: WEBHOOK_SERVICE_NAME, description: "With --self-managed: the ValidatingWebhookConfiguration whose caBundle is kept current" },
    "cert-check-interval": { type: "string", default: "300", description: "With --self-managed: seconds between certificate checks (renewal, pick-up of renewals by other replicas), 1 to 86400; a webhook configuration replaced without its caBundle is repaired at once by a watch, not at this interval" },
    ...defineExemptionsArg("judge at admission"),
    "metrics-auth": {
      type: "enum",
      options: [...METRICS_AUTH_MODES],
      default: "kubernetes",
      description:
        "Who may read /metrics: kubernetes = a bearer token the API server accepts (TokenReview) for an identity allowed to get /metrics (SubjectAccessReview; needs create on both); none = anyone who reaches the port",
    },
    ...rateLimitArgs,
  },
  async run({ args, rawArgs }) {
    const { logger, globals, env } = cliRuntime();
    // every flag is read before the kubeconfig: a usage error is exit 2 whatever the cluster access
    parseListenAddress(args.addr);
    const ownNamespace = args.namespace !== undefined ? parseNamespaceFlag(args.namespace) : env.POD_NAMESPACE ?? WEBHOOK_NAMESPACE;
    const selfManaged = args["self-managed"];
    // names the certificate and the Secret are made for: the API server would refuse them later, half-way
    parseServiceNameFlag(args["service-name"]);
    parseObjectNameFlag(args["tls-secret"], "--tls-secret");
    parseObjectNameFlag(args["webhook-configuration"], "--webhook-configuration");
    const checkIntervalMs = parseSeconds(args["cert-check-interval"], "--cert-check-interval") * 1000;
    const ignored = selfManaged ? [] : SELF_MANAGED_ONLY.filter((flag) => collectFlagValues(rawArgs, [flag]).length > 0);
    if (ignored.length > 0) logger.warn("ignored without --self-managed: the certificates come from --tls-cert and --tls-key", { flags: ignored });
    const conn = connect({ kubeconfig: globals.kubeconfig, context: globals.context, env, rateLimit: parseRateLimit(args, CONTROLLER_RATE_LIMIT) });
    const cache = createPolicyCache({ client: conn.client, logger, ownNamespace });
    const exemptions = args.exemptions !== false;
    const metrics = createWebhookMetrics(undefined, { policyCacheAgeSeconds: cache.ageSeconds, expectedFindings: () => cache.expectedFindings(exemptions) });
    const metricsAuth = args["metrics-auth"];
    const access = metricsAuth === "kubernetes" ? createMetricsAccess({ client: conn.client, logger, path: METRICS_PATH }) : undefined;
    const { app, validate } = createWebhookHandlers({ ownNamespace, policiesFor: cache.policiesFor, exemptions, metrics, logger, readiness: cache.readiness, replica: env.POD_NAME ?? hostname(), ...(access ? { metricsAccess: access.check } : {}) });
    const caFile = join(dirname(args["tls-cert"]), "ca.crt");
    await runUntilSignal(
      "webhook",
      async ({ signal, onShutdown }) => {
        let server: Awaited<ReturnType<typeof startTlsServer>> | undefined;
        const manager = args["self-managed"] ? createCertificateManager({
          client: conn.client,
          namespace: ownNamespace,
          secretName: args["tls-secret"],
          serviceName: args["service-name"],
          webhookConfigurationName: args["webhook-configuration"],
          now: () => new Date(),
          logger,
          intervalMs: checkIntervalMs,
          onChange: () => server?.reload(),
        }) : undefined;
        if (manager) await manager.initial(signal);
        // `ca` is the bundle's CA that verifies the served certificate (lib/webhook/certificate-expiry.ts)
        const expiry = createExpiryRecorder(metrics.certificateExpiry, logger, () =>
          manager ? { pem: manager.current().caBundle, source: `the caBundle kept in Secret ${ownNamespace}/${args["tls-secret"]}` } : existsSync(caFile) ? { pem: readTextFile(caFile), source: caFile } : undefined,
        );
        const caRefresh = setInterval(() => void expiry.refresh(), CA_REFRESH_MS);
        signal.addEventListener("abort", () => clearInterval(caRefresh), { once: true });
        server = await startTlsServer({
          addr: args.addr,
          // self-managed, the pair comes from the Secret: name that in logs and errors, not the unused files
          certFile: manager ? `Secret ${ownNamespace}/${args["tls-secret"]} (tls.crt)` : args["tls-cert"],
          keyFile: manager ? `Secret ${ownNamespace}/${args["tls-secret"]} (tls.key)` : args["tls-key"],
          ...(manager ? { loadPair: async () => manager.current().pair } : {}),
          fetch: app.fetch,
          postRoutes: { [WEBHOOK_PATH]: validate },
          logger,
          maxRequestBodySize: DEFAULT_MAX_BODY_BYTES,
          onCertificate: (pem) => void expiry.served(pem),
          onReloadError: () => metrics.certificateReloadErrors.inc(), // not webhook_errors_total: no request was let through
        });
        const running = server;
        onShutdown("https", () => running.stop());
        logger.info("admission webhook listening", { url: server.url, namespace: ownNamespace, apiServer: conn.server, certificates: manager ? `self-managed (${ownNamespace}/${args["tls-secret"]})` : args["tls-cert"], metricsAuth });
        await Promise.all([cache.start(signal), manager?.run(signal)]);
      },
      { logger, graceMs: 25_000 },
    );
  },
});
