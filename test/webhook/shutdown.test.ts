/**
 * A graceful stop (SIGTERM, after the preStop sleep) loses no call the API server sends on its
 * keep-alive connections. Those connections stay pinned to this pod after it left the Service's
 * endpoints, so the API server goes on writing calls on them; one written as we close it fails
 * with EOF, which Go does not retry for a POST (admitted unchecked under Ignore). On the wire,
 * with raw sockets, so a call written on a connection still open is told apart from a refused
 * connect (which the API server answers by connecting to another replica).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../lib/log.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startTlsServer } from "../../lib/webhook/tls-server.ts";
import { goodContainer, makeApp, pod, request, review } from "./fixtures.ts";

let paths: { tlsCert: string; tlsKey: string };
let ca: string;
let dir: string;

beforeAll(async () => {
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  dir = mkdtempSync(join(tmpdir(), "kd-shutdown-"));
  paths = writeCertificateSet(dir, certs);
  ca = certs.ca.cert;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = JSON.stringify(review(request(pod([goodContainer()]), { uid: "call" })));
const call = `POST /validate?timeout=3s HTTP/1.1\r\nHost: kube-devops-webhook.kube-devops.svc\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

interface Tally {
  answered: number;
  /** Calls written on a connection the server had not closed that got no answer. */
  lost: number;
}

/** One keep-alive connection sending calls back to back until the server closes it or `running()` is false. */
function sendUntilClosed(port: number, tally: Tally, running: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    let received = "";
    let waiting = false;
    let ended = false;
    const socket = connect({ host: "127.0.0.1", port, ca });
    const send = () => {
      if (ended || !running()) return socket.end();
      waiting = true;
      received = "";
      socket.write(call);
    };
    socket.on("secureConnect", send);
    socket.on("data", (chunk) => {
      received += chunk;
      if (!waiting || !received.includes('"uid":"call"') || !received.trimEnd().endsWith("}")) return;
      waiting = false;
      tally.answered++;
      if (/\r\nconnection: close\r\n/i.test(received)) socket.end(); // as Go's transport does
      else setTimeout(send, 2);
    });
    socket.on("end", () => (ended = true));
    socket.on("close", () => {
      if (waiting) tally.lost++;
      resolve();
    });
    socket.on("error", () => {});
  });
}

describe("a graceful stop", () => {
  test("loses no call written on a keep-alive connection; then the port refuses", async () => {
    const { app, validate } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/validate": validate }, logger: createLogger({ level: "silent" }), pollMs: 0, drainMs: 1000 });
    const tally: Tally = { answered: 0, lost: 0 };
    let running = true;
    const connections = Array.from({ length: 16 }, () => sendUntilClosed(server.port, tally, () => running));
    await Bun.sleep(300);
    const before = tally.answered;
    await server.stop();
    running = false;
    await Promise.all(connections);
    expect(before).toBeGreaterThan(16);
    expect(tally.lost).toBe(0);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: server.port, ca }, () => resolve(false));
      socket.on("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 20_000);
});
