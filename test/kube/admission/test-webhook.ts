/**
 * @module
 * A small TLS webhook server for tests (Bun.serve on port 0): answers each
 * AdmissionReview with whatever `respond` returns, and records what it received.
 */
import { createTestPki, type TestPki } from "../../support/certs.ts";

export interface TestWebhook {
  port: number;
  pki: TestPki;
  /** base64 PEM of the CA, for clientConfig.caBundle. */
  caBundle: string;
  received: Record<string, unknown>[];
  stop(): void;
}

export type Respond = (review: { request: Record<string, unknown> }) => Response | Record<string, unknown> | Promise<Response | Record<string, unknown>>;

/** An admission answer with the request's uid. */
export function answer(review: { request: Record<string, unknown> }, response: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, ...response } };
}

/** Starts a webhook whose certificate is valid for `hosts` (e.g. `web.ns.svc`). */
export async function startTestWebhook(respond: Respond, hosts: string[] = ["127.0.0.1"]): Promise<TestWebhook> {
  const pki = await createTestPki(hosts);
  const received: Record<string, unknown>[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: pki.server.cert, key: pki.server.key },
    async fetch(req) {
      const review = (await req.json()) as { request: Record<string, unknown> };
      received.push(review.request);
      const out = await respond(review);
      return out instanceof Response ? out : Response.json(out);
    },
  });
  return {
    port: server.port ?? 0,
    pki,
    caBundle: Buffer.from(pki.ca.cert).toString("base64"),
    received,
    stop: () => void server.stop(true),
  };
}
