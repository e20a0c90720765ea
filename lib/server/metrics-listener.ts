/**
 * @module
 * The `/healthz`, `/readyz`, `/metrics` listener of `watch` and `reconcile` with `--metrics-auth`:
 * `none` is the reference's plain HTTP, open to anyone; `kubernetes` puts `/metrics` behind the
 * webhook's bearer-token check (lib/server/metrics-auth.ts) and serves HTTPS, from
 * `--metrics-tls-cert/--metrics-tls-key` (reloaded when they change) or a certificate made in
 * memory at start, so a token never crosses the wire in clear (decision 0029).
 */
import type { ArgsDef } from "citty";
import { usageError } from "../errors.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";
import { createEphemeralServingCertificate } from "../webhook/certs.ts";
import { METRICS_AUTH_MODES, METRICS_PATH, type MetricsAuthMode, parseMetricsAuthMode } from "../webhook/constants.ts";
import { startTlsServer } from "../webhook/tls-server.ts";
import { parseListenAddress } from "./listen-address.ts";
import { createMetricsAccess } from "./metrics-auth.ts";
import { createProbeApp, type ProbeAppOptions } from "./probe-app.ts";
import { type HttpServer, serveHttp } from "./serve-http.ts";

/** `--metrics-auth` and the optional serving files of a controller's metrics listener. */
export const metricsListenerArgs = {
  "metrics-auth": {
    type: "enum",
    options: [...METRICS_AUTH_MODES],
    // the reference's plain, open endpoint stays the binary's default; the generated manifests say kubernetes
    default: "none",
    description:
      "Who may read /metrics: kubernetes = HTTPS, and a bearer token the API server accepts (TokenReview) of an identity allowed to get /metrics (SubjectAccessReview; needs create on both); none = plain HTTP, anyone who reaches the port",
  },
  "metrics-tls-cert": { type: "string", description: "With --metrics-auth kubernetes: serving certificate (PEM), reloaded when it changes (default: a self-signed one made in memory at start)", valueHint: "file" },
  "metrics-tls-key": { type: "string", description: "With --metrics-auth kubernetes: private key of --metrics-tls-cert (PEM)", valueHint: "file" },
} satisfies ArgsDef;

export interface MetricsListenerSettings {
  mode: MetricsAuthMode;
  /** Both or neither; only with `kubernetes`. */
  files?: { cert: string; key: string };
}

/** Checks the flags before any cluster access; throws usage errors naming the flag. */
export function parseMetricsListenerArgs(args: { "metrics-auth"?: string; "metrics-tls-cert"?: string; "metrics-tls-key"?: string }): MetricsListenerSettings {
  const mode = parseMetricsAuthMode(args["metrics-auth"] ?? "none");
  const cert = args["metrics-tls-cert"];
  const key = args["metrics-tls-key"];
  if ((cert === undefined) !== (key === undefined)) throw usageError("--metrics-tls-cert and --metrics-tls-key go together: pass both, or neither for a self-signed certificate");
  if (cert !== undefined && mode !== "kubernetes") throw usageError("--metrics-tls-cert and --metrics-tls-key need --metrics-auth kubernetes: with none the listener serves plain HTTP");
  return { mode, ...(cert !== undefined && key !== undefined ? { files: { cert, key } } : {}) };
}

export interface MetricsListenerOptions {
  addr: string;
  /** The flag `addr` came from, for errors. */
  flag: string;
  settings: MetricsListenerSettings;
  probe: Omit<ProbeAppOptions, "metricsAccess">;
  /** Creates the TokenReviews and SubjectAccessReviews (kubernetes only). */
  client: KubeClient;
  logger: Logger;
  /** The component's Service and namespace: the names of the self-signed certificate. */
  serviceName: string;
  namespace: string;
  now: () => Date;
}

export interface MetricsListener extends HttpServer {
  /** Where the serving certificate comes from: `none` for plain HTTP. */
  readonly tls: "none" | "files" | "self-signed";
}

/** Starts the listener; throws STARTUP when the port cannot be bound or the files not read. */
export async function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const { settings } = options;
  if (settings.mode === "none") {
    const server = serveHttp(createProbeApp(options.probe), { addr: options.addr, flag: options.flag });
    return Object.assign(server, { tls: "none" as const });
  }
  parseListenAddress(options.addr, options.flag); // a bad address is a usage error, not a STARTUP one
  const access = createMetricsAccess({ client: options.client, logger: options.logger, path: METRICS_PATH });
  const app = createProbeApp({ ...options.probe, metricsAccess: access.check });
  const pair = settings.files ? undefined : await createEphemeralServingCertificate({ serviceName: options.serviceName, namespace: options.namespace, now: options.now() });
  const server = await startTlsServer({
    addr: options.addr,
    certFile: settings.files?.cert ?? "(self-signed, in memory)",
    keyFile: settings.files?.key ?? "(self-signed, in memory)",
    ...(pair ? { loadPair: async () => pair } : {}),
    fetch: app.fetch,
    logger: options.logger,
    filesHint: "pass readable PEM files to --metrics-tls-cert and --metrics-tls-key, or neither for a self-signed certificate",
  });
  return { url: server.url, port: server.port, stop: (force) => server.stop(force), tls: settings.files ? "files" : "self-signed" };
}
