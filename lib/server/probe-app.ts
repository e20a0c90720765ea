/**
 * @module
 * The probe and metrics endpoints every long-running component serves:
 * `/healthz` (the process is alive), `/readyz` (its loops are healthy — the
 * component decides), `/metrics` (its own prom-client registry, optionally behind
 * an access check; the probes stay open for the kubelet).
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";

export interface Readiness {
  ready: boolean;
  /** Why not ready (or, when ready, what the component is doing — e.g. "standby"). */
  reasons: string[];
}

export interface ProbeAppOptions {
  registry: Registry;
  readiness: () => Readiness;
  /** Liveness; defaults to always alive. A stuck loop can report false here. */
  liveness?: () => Readiness;
  /**
   * Runs before `/metrics` is served: `undefined` lets the request through, a Response is sent
   * instead (lib/server/metrics-auth.ts). Without it `/metrics` is open.
   */
  metricsAccess?: (request: Request) => Promise<Response | undefined>;
}

/** Builds the hono app; mount more routes on it before serving. */
export function createProbeApp(options: ProbeAppOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => {
    const live = options.liveness?.() ?? { ready: true, reasons: [] };
    return c.json({ status: live.ready ? "ok" : "unhealthy", reasons: live.reasons }, live.ready ? 200 : 503);
  });
  app.get("/readyz", (c) => {
    const r = options.readiness();
    return c.json({ status: r.ready ? "ready" : "not ready", reasons: r.reasons }, r.ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const refused = await options.metricsAccess?.(c.req.raw);
    if (refused) return refused;
    const body = await options.registry.metrics();
    return c.body(body, 200, { "Content-Type": options.registry.contentType });
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => c.json({ error: err.message }, 500));
  return app;
}
