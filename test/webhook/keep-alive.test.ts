/**
 * An idle keep-alive connection is the API server's to close, not ours: client-go keeps an idle
 * webhook connection for 90 s and sends its next call on it, and a call written just as we close
 * the connection fails with EOF (not retried for a POST: admitted unchecked under Ignore). Bun
 * closed connections idle for 10-14 s (its default idleTimeout). On the wire: a connection left
 * idle past that is still served. It waits 15 s: the failure only shows after Bun's default.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../lib/log.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startTlsServer, type TlsServer } from "../../lib/webhook/tls-server.ts";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

let server: TlsServer;
let ca: string;
let dir: string;

beforeAll(async () => {
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  dir = mkdtempSync(join(tmpdir(), "kd-keepalive-"));
  const paths = writeCertificateSet(dir, certs);
  ca = certs.ca.cert;
  const { app, validate } = makeApp();
  server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/validate": validate }, logger: createLogger({ level: "silent" }), pollMs: 0 });
});
afterAll(async () => {
  await server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** One keep-alive connection: `send` writes a review and resolves with the answer, or with "closed". */
function openConnection(): Promise<{ send: (uid: string) => Promise<string>; isClosed: () => boolean; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    let pending: ((answer: string) => void) | undefined;
    let received = "";
    let closed = false;
    const socket = connect({ host: "127.0.0.1", port: server.port, ca }, () => {
      resolve({
        socket,
        isClosed: () => closed,
        send(uid) {
          const body = JSON.stringify(review(request(pod([goodContainer()]), { uid })));
          received = "";
          socket.write(`POST /validate?timeout=3s HTTP/1.1\r\nHost: kube-devops-webhook.kube-devops.svc\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          return new Promise((answer) => (pending = answer));
        },
      });
    });
    socket.on("data", (chunk) => {
      received += chunk;
      if (received.includes('"uid"') && received.trimEnd().endsWith("}")) pending?.(received);
    });
    socket.on("close", () => {
      closed = true;
      pending?.("closed");
    });
    socket.on("error", reject);
  });
}

describe("idle keep-alive connections", () => {
  test("a connection idle past Bun's default idle timeout is still open and served", async () => {
    const conn = await openConnection();
    expect(await conn.send("first")).toContain('"uid":"first"');
    await Bun.sleep(15_000); // Bun's default (idleTimeout 10) closes it after 10 to 14 s
    expect(conn.isClosed()).toBe(false);
    expect(await conn.send("second")).toContain('"uid":"second"');
    conn.socket.destroy();
  }, 30_000);
});
