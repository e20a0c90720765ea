/**
 * @module
 * The emulator's HTTPS listener: node:tls (client certificates requested, not required) feeding
 * a node:http server, bridged to a fetch-style handler. Why not Bun.serve: it cannot read a
 * client certificate's subject (bun-notes.md) and does not send response headers before the
 * first body chunk, so a watch with no events yet would never be established.
 */
import http from "node:http";
import type net from "node:net";
import tls from "node:tls";
import type { ClientCertificate } from "./hooks.ts";

export type FetchHandler = (req: Request, ctx: { clientCert?: ClientCertificate }) => Promise<Response>;

export interface HttpsServerOptions {
  port: number;
  cert: string;
  key: string;
  ca: string;
  handler: FetchHandler;
}

export interface HttpsServer {
  readonly port: number;
  readonly listening: boolean;
  /** Stops accepting and cuts every open connection. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  listen(): Promise<void>;
}

function firstOf(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
}

function listOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function peerCertificate(socket: tls.TLSSocket): ClientCertificate | undefined {
  if (!socket.authorized) return undefined;
  const pc = socket.getPeerCertificate();
  if (!pc?.subject) return undefined;
  return { commonName: firstOf(pc.subject.CN), organizations: listOf(pc.subject.O), fingerprint256: pc.fingerprint256 ?? "" };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Writes a fetch Response to a node response; streams are flushed chunk by chunk. */
async function writeResponse(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const body = response.body;
  const streaming = headers["transfer-encoding"] === "chunked";
  if (!body || !streaming) {
    const buf = Buffer.from(await response.arrayBuffer());
    headers["content-length"] = String(buf.length);
    res.writeHead(response.status, headers);
    res.end(buf);
    return;
  }
  delete headers["transfer-encoding"];
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

export async function startHttpsServer(opts: HttpsServerOptions): Promise<HttpsServer> {
  const sockets = new Set<net.Socket>();
  let port = opts.port;
  let listening = false;

  const httpServer = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    const socket = req.socket as tls.TLSSocket;
    void (async () => {
      try {
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (Array.isArray(v)) for (const x of v) headers.append(k, x);
          else if (v !== undefined) headers.set(k, v);
        }
        const request = new Request(`https://127.0.0.1:${port}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, ...(body ? { body } : {}) });
        const cert = peerCertificate(socket);
        const response = await opts.handler(request, cert ? { clientCert: cert } : {});
        await writeResponse(res, response);
      } catch (err) {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(err));
        } else res.destroy();
      }
    })();
  });
  httpServer.timeout = 0;
  httpServer.requestTimeout = 0;

  const tlsServer = tls.createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    httpServer.emit("connection", socket);
  });
  tlsServer.on("tlsClientError", () => {});
  // Raw connections too: one still in its TLS handshake at close() would keep the server from ever closing.
  tlsServer.on("connection", (raw: net.Socket) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
  });

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      tlsServer.once("error", reject);
      tlsServer.listen(port, "127.0.0.1", () => {
        tlsServer.off("error", reject);
        port = (tlsServer.address() as net.AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  await listen();

  return {
    get port() {
      return port;
    },
    get listening() {
      return listening;
    },
    close: () =>
      new Promise<void>((resolve) => {
        listening = false;
        for (const s of sockets) s.destroy();
        sockets.clear();
        tlsServer.close(() => resolve());
      }),
    listen,
  };
}
