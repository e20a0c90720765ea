/**
 * The HTTPS listener: serves the app over TLS, hands over to a new certificate when
 * the files change (no failed request under load while it does), and keeps the old
 * certificate when the new files are broken.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../lib/log.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { createCertificateAuthority, issueServingCertificate } from "../../lib/webhook/certs.ts";
import { startTlsServer, type TlsServer } from "../../lib/webhook/tls-server.ts";
import { makeApp, pod, goodContainer, request, review } from "./fixtures.ts";

const servers: TlsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(true)));
});

async function issue(ca: { cert: string; key: string }) {
  return issueServingCertificate(ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], dnsSans: ["localhost"], validityDays: 1, now: new Date() });
}

/** The serial number the server presents, read from a TLS handshake. */
async function servedSerial(port: number, ca: string): Promise<string> {
  const tls = await import("node:tls");
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", reject);
  });
}

/** Sends raw bytes over TLS and returns everything the server answers until it closes. */
async function rawTls(port: number, ca: string, bytes: string): Promise<string> {
  const tls = await import("node:tls");
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => socket.write(bytes));
    socket.on("data", (chunk) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.trim();
}

async function loadNotAfter(pem: string): Promise<Date> {
  const { X509Certificate } = await import("node:crypto");
  return new Date(new X509Certificate(pem).validTo);
}

async function serialOf(pem: string): Promise<string> {
  const { loadX509 } = await import("../../lib/webhook/x509.ts");
  const x509 = await loadX509();
  return new x509.X509Certificate(pem).serialNumber.toUpperCase();
}

describe("startTlsServer()", () => {
  test("serves /validate over HTTPS to a client that trusts only the CA", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const { app } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 0 });
    servers.push(server);
    const res = await fetch(`${server.url}/validate`, { method: "POST", body: JSON.stringify(review(request(pod([goodContainer("app", { image: "x:latest" })])))), tls: { ca: ca.cert } });
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(((await res.json()) as { response: { allowed: boolean } }).response.allowed).toBe(false);
  });

  test("no request fails while the certificate is rotated under load; new handshakes get the new certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const first = await issue(ca);
    const paths = writeCertificateSet(dir, first);
    const { app, validate } = makeApp();
    // /validate through Bun's native route (as `webhook serve` runs it), the rest through hono
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/validate": validate }, logger: createLogger({ level: "silent" }), pollMs: 0, drainMs: 1000 });
    servers.push(server);
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(first.server.cert));

    const body = JSON.stringify(review(request(pod([goodContainer()]))));
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (running) {
        try {
          const res = await fetch(`${server.url}/validate`, { method: "POST", body, tls: { ca: ca.cert } });
          if (res.status === 200 && ((await res.json()) as { response: { allowed: boolean } }).response.allowed) ok++;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    let last = first;
    for (let round = 0; round < 4; round++) {
      await Bun.sleep(150);
      last = await issue(ca);
      writeCertificateSet(dir, last);
      expect(await server.reload()).toBe("reloaded");
    }
    await Bun.sleep(1300); // past the drain window of the last hand-over
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(last.server.cert));
  });

  test("once reload() resolves, every new connection gets the new certificate (the old listener accepts no more)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const first = await issue(ca);
    const paths = writeCertificateSet(dir, first);
    const { app } = makeApp();
    // the default drain window (5 s) is far longer than the 24 handshakes below
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 0 });
    servers.push(server);
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(first.server.cert));
    const next = await issue(ca);
    writeCertificateSet(dir, next);
    expect(await server.reload()).toBe("reloaded");
    const served = [];
    for (let i = 0; i < 24; i++) served.push(await servedSerial(server.port, ca.cert));
    expect(new Set(served)).toEqual(new Set([await serialOf(next.server.cert)]));
  });

  test("a change during a hand-over is not lost: a reload asked for meanwhile runs again after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const { app } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 0 });
    servers.push(server);
    writeCertificateSet(dir, await issue(ca));
    const first = server.reload(); // reads the second pair, then hands over for a while
    await Bun.sleep(50);
    const third = await issue(ca);
    writeCertificateSet(dir, third);
    const second = server.reload(); // asked for while the first runs
    expect(await first).toBe("reloaded");
    expect(await second).toBe("reloaded");
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(third.server.cert));
  });

  test("HTTP/1.0 requests without a Host header (load balancer health checks) reach the probe routes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const { app, validate } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/validate": validate }, logger: createLogger({ level: "silent" }), pollMs: 0 });
    servers.push(server);
    const healthz = await rawTls(server.port, ca.cert, "GET /healthz HTTP/1.0\r\n\r\n");
    expect(healthz).toStartWith("HTTP/1.1 200 ");
    expect(healthz).not.toContain("no route");
    expect(await rawTls(server.port, ca.cert, "GET /readyz HTTP/1.0\r\n\r\n")).not.toContain("no route");
    expect(await rawTls(server.port, ca.cert, "GET /nope HTTP/1.0\r\n\r\n")).toContain('"no route for GET /nope"');
  });

  test("changed files are noticed without an explicit reload (file watch)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const seen: string[] = [];
    const { app } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 200, drainMs: 50, onCertificate: (pem) => void seen.push(pem) });
    servers.push(server);
    const next = await issue(ca);
    writeCertificateSet(dir, next);
    for (let i = 0; i < 50 && seen.length < 2; i++) await Bun.sleep(50);
    expect(seen).toEqual([expect.any(String), next.server.cert]);
  });

  test("broken new files keep the old certificate serving", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const certs = await issue(ca);
    const paths = writeCertificateSet(dir, certs);
    const errors: string[] = [];
    const logs: string[] = [];
    const { app } = makeApp();
    const logger = createLogger({ level: "warn", format: "json", write: (line) => void logs.push(line) });
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger, pollMs: 0, onReloadError: (e) => void errors.push(e.message) });
    servers.push(server);
    const other = await issue(ca);
    writeFileSync(paths.tlsKey, other.server.key); // key no longer matches the certificate
    expect(await server.reload()).toBe("failed");
    expect(errors).toEqual([`${paths.tlsKey} is not the private key of ${paths.tlsCert}`]);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({ certFile: paths.tlsCert, keyFile: paths.tlsKey, error: errors[0] });
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(certs.server.cert));
    const res = await fetch(`${server.url}/healthz`, { tls: { ca: ca.cert } });
    expect(res.status).toBe(200);
  });

  test("runs in production mode: a handler that fails gets a bare 500, no error page with its stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const { app } = makeApp();
    const fail = () => Promise.reject(new Error("secret detail from a failing handler"));
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, postRoutes: { "/fail": fail }, logger: createLogger({ level: "silent" }), pollMs: 0 });
    servers.push(server);
    const res = await fetch(`${server.url}/fail`, { method: "POST", body: "{}", tls: { ca: ca.cert } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret detail");
    expect(text).not.toContain("tls-rotation.test.ts");
  });

  test("a port another process holds is a STARTUP error, not a silently shared port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const holder = Bun.spawn(["bun", "-e", "const s = Bun.serve({ hostname: '127.0.0.1', port: 0, development: false, fetch: () => new Response('other') }); console.log(s.port); setInterval(() => {}, 1000);"], { stdout: "pipe" });
    try {
      const port = Number(await firstLine(holder.stdout));
      const { app } = makeApp();
      const start = startTlsServer({ addr: `127.0.0.1:${port}`, certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 0 });
      await expect(start).rejects.toMatchObject({ code: "STARTUP", message: expect.stringMatching(new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: `)) });
    } finally {
      holder.kill();
    }
  });

  test("unreadable files at start are a STARTUP error naming the file and the flags to fix", async () => {
    const { app } = makeApp();
    const start = startTlsServer({ addr: "127.0.0.1:0", certFile: "/nonexistent/tls.crt", keyFile: "/nonexistent/tls.key", fetch: app.fetch, logger: createLogger({ level: "silent" }) });
    await expect(start).rejects.toMatchObject({ code: "STARTUP", message: "/nonexistent/tls.crt does not exist", hint: expect.stringContaining("--tls-cert") });
  });

  test("wrong TLS files at start name the file and what is wrong, not an OpenSSL code or the address", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
    const paths = writeCertificateSet(dir, await issue(ca));
    const other = writeCertificateSet(mkdtempSync(join(tmpdir(), "kd-tls-")), await issue(ca));
    const { app } = makeApp();
    const startWith = async (certFile: string, keyFile: string) => {
      try {
        servers.push(await startTlsServer({ addr: "127.0.0.1:0", certFile, keyFile, fetch: app.fetch, logger: createLogger({ level: "silent" }), pollMs: 0 }));
        return "started";
      } catch (err) {
        return `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(await startWith(paths.tlsCert, paths.tlsCert)).toBe(`STARTUP: ${paths.tlsCert} holds a certificate, not a private key`);
    expect(await startWith(paths.tlsCert, other.tlsKey)).toBe(`STARTUP: ${other.tlsKey} is not the private key of ${paths.tlsCert}`);
    expect(await startWith(paths.caCert, paths.caKey)).toStartWith(`STARTUP: ${paths.caCert} may not sign TLS handshakes: its key usage lacks digitalSignature (it is a CA certificate`);
    expect(await startWith(paths.tlsCert, dir)).toBe(`STARTUP: ${dir} is a directory, not a file`);
    expect(await startWith(paths.tlsCert, paths.tlsKey)).toBe("started");
  });

  test("an expired certificate is served, with an error log naming the file and its notAfter; one near its end gets a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));
    const past = new Date(Date.now() - 10 * 86_400_000);
    const ca = await createCertificateAuthority({ validityDays: 30, now: past });
    const expired = await issueServingCertificate(ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], dnsSans: ["localhost"], validityDays: 1, now: past });
    const paths = writeCertificateSet(dir, expired);
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: "warn", format: "json", write: (line) => void logs.push(JSON.parse(line)) });
    const { app } = makeApp();
    const server = await startTlsServer({ addr: "127.0.0.1:0", certFile: paths.tlsCert, keyFile: paths.tlsKey, fetch: app.fetch, logger, pollMs: 0 });
    servers.push(server);
    const notAfter = (await loadNotAfter(expired.server.cert)).toISOString();
    expect(logs).toEqual([expect.objectContaining({ level: "error", certFile: paths.tlsCert, notAfter, msg: expect.stringContaining(`${paths.tlsCert} expired on ${notAfter}`) })]);
    expect(await servedSerial(server.port, ca.cert).catch((err: Error) => err.message)).toContain("expired"); // served: the client is the one that refuses it

    const soon = await issueServingCertificate(ca, { serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], dnsSans: ["localhost"], validityDays: 13, now: past }); // 3 days left
    writeCertificateSet(dir, soon);
    expect(await server.reload()).toBe("reloaded");
    expect(logs.at(-1)).toMatchObject({ level: "warn", certFile: paths.tlsCert, notAfter: (await loadNotAfter(soon.server.cert)).toISOString(), msg: expect.stringContaining("(in 2 days)") });
    expect(await servedSerial(server.port, ca.cert)).toBe(await serialOf(soon.server.cert));
  });
});
