/**
 * The body limit is the listener's (Bun's maxRequestBodySize, docs/decisions/0024): a
 * body over it, declared by Content-Length or sent chunked, is refused with 413 before
 * the handler runs, counting UTF-8 bytes, and the server goes on answering.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../lib/log.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startTlsServer, type TlsServer } from "../../lib/webhook/tls-server.ts";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

const LIMIT = 2048;
let server: TlsServer;
let ca: string;

beforeAll(async () => {
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  const paths = writeCertificateSet(mkdtempSync(join(tmpdir(), "kd-limit-")), certs);
  ca = certs.ca.cert;
  const { app, validate } = makeApp();
  server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/validate": validate }, maxRequestBodySize: LIMIT, logger: createLogger({ level: "silent" }), pollMs: 0 });
});
afterAll(() => server.stop(true));

/** A review whose single env value is `value` (sized to land around the limit). */
function reviewWith(value: string): string {
  return JSON.stringify(review(request(pod([goodContainer("app", { env: [{ name: "X", value }] })]))));
}

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({ start: (c) => (c.enqueue(bytes.subarray(0, 100)), c.enqueue(bytes.subarray(100)), c.close()) });
}

async function post(body: string | ReadableStream<Uint8Array>): Promise<{ status: number; allowed?: boolean }> {
  const res = await fetch(`${server.url}/validate`, { method: "POST", body, tls: { ca }, headers: { "Content-Type": "application/json" } });
  if (res.status !== 200) return { status: res.status };
  return { status: res.status, allowed: ((await res.json()) as { response: { allowed: boolean } }).response.allowed };
}

describe("the request body limit", () => {
  test("a review under the limit is answered", async () => {
    const body = reviewWith("y".repeat(200));
    expect(Buffer.byteLength(body)).toBeLessThan(LIMIT);
    expect(await post(body)).toEqual({ status: 200, allowed: true });
  });

  test("a body over the limit is a 413 (Content-Length), and the server goes on answering", async () => {
    const body = reviewWith("y".repeat(LIMIT));
    expect((await post(body)).status).toBe(413);
    expect(await post(reviewWith("y"))).toEqual({ status: 200, allowed: true });
  });

  test("a chunked body is counted too, in UTF-8 bytes", async () => {
    const body = reviewWith("€".repeat(600));
    expect(body.length).toBeLessThan(LIMIT); // under the limit in characters, over it in bytes
    expect(Buffer.byteLength(body)).toBeGreaterThan(LIMIT);
    expect((await post(chunked(body))).status).toBe(413);
    expect(await post(chunked(reviewWith("€")))).toEqual({ status: 200, allowed: true });
  });
});
