/**
 * @module
 * A deliberately small pods-only API server for the list+watch loop's unit
 * tests: faults the full emulator (test/kube/) does not offer, such as a
 * server that answers 410 to every watch, and request counting with a manual
 * clock. Pods: list with paging, watch with history, compaction (410),
 * scripted error bursts with Retry-After, dropped watches, listener restart.
 */
import { createTestPki, type TestPki } from "../../support/certs.ts";
import { renderKubeconfig } from "../../support/kubeconfig.ts";

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };
interface Event {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Obj;
}

const enc = new TextEncoder();
const status = (code: number, reason: string, message = reason) => ({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message });

export class MiniApi {
  rv = 100;
  readonly pods = new Map<string, Obj>();
  private log: Event[] = [];
  private compactedBelow = 0;
  private watchers = new Set<{ send: (e: unknown) => void; close: () => void; from: number }>();
  /** Scripted failures for the next requests matching `match` (path substring). */
  failures: { match: string; status: number; reason: string; retryAfter?: string }[] = [];
  requests: string[] = [];
  expireContinue = false;
  /** While true every watch is answered with an in-stream 410 (a broken server). */
  alwaysGone = false;
  server!: ReturnType<typeof Bun.serve>;
  port = 0;

  constructor(private readonly pki: TestPki) {}

  static async start(): Promise<MiniApi> {
    const api = new MiniApi(await createTestPki());
    api.listen();
    return api;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  kubeconfig(): string {
    return renderKubeconfig([{ name: "mini", server: this.url, caPem: this.pki.ca.cert, user: { token: "t" } }]);
  }

  private listen(): void {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: this.port, tls: { cert: this.pki.server.cert, key: this.pki.server.key }, idleTimeout: 0, fetch: (req) => this.handle(req) });
    this.port = this.server.port ?? 0;
  }

  /** Stops the listener (dropping every connection) and starts it again on the same port. */
  async restart(downMs = 50): Promise<void> {
    this.dropWatches();
    await this.server.stop(true);
    await Bun.sleep(downMs);
    this.listen();
  }

  stop(): void {
    this.dropWatches();
    void this.server.stop(true);
  }

  // ---- writes (test side) ----
  private record(type: Event["type"], obj: Obj): void {
    this.rv++;
    const stamped = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (type === "DELETED") this.pods.delete(key);
    else this.pods.set(key, stamped);
    const event = { rv: this.rv, type, object: stamped };
    this.log.push(event);
    for (const w of this.watchers) w.send({ type, object: stamped });
  }
  upsertPod(namespace: string, name: string, restarts = 0): void {
    const exists = this.pods.has(`${namespace}/${name}`);
    this.record(exists ? "MODIFIED" : "ADDED", { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, status: { restarts } });
  }
  deletePod(namespace: string, name: string): void {
    const obj = this.pods.get(`${namespace}/${name}`);
    if (obj) this.record("DELETED", obj);
  }
  /** Forgets history: watches from older versions get 410. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.log = [];
  }
  dropWatches(): void {
    for (const w of this.watchers) w.close();
    this.watchers.clear();
  }
  bookmark(): void {
    for (const w of this.watchers) w.send({ type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: String(this.rv) } } });
  }
  get watcherCount(): number {
    return this.watchers.size;
  }

  // ---- HTTP ----
  private handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const failure = this.failures.find((f) => url.pathname.includes(f.match) || (url.search.includes(f.match) && f.match !== ""));
    if (failure) {
      this.failures.splice(this.failures.indexOf(failure), 1);
      return Response.json(status(failure.status, failure.reason), { status: failure.status, headers: failure.retryAfter ? { "Retry-After": failure.retryAfter } : {} });
    }
    if (url.pathname === "/api/v1/pods") return url.searchParams.get("watch") ? this.watch(url) : this.list(url);
    return Response.json(status(404, "NotFound"), { status: 404 });
  }

  private list(url: URL): Response {
    const limit = Number(url.searchParams.get("limit") ?? "0");
    const cont = url.searchParams.get("continue");
    if (cont && this.expireContinue) {
      this.expireContinue = false;
      return Response.json(status(410, "Expired", "continue token too old"), { status: 410 });
    }
    const all = [...this.pods.values()].sort((a, b) => (a.metadata.namespace + a.metadata.name).localeCompare(b.metadata.namespace + b.metadata.name));
    const offset = cont ? Number(cont) : 0;
    const items = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? String(offset + limit) : undefined;
    return Response.json({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) }, items });
  }

  private watch(url: URL): Response {
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    if (from < this.compactedBelow || this.alwaysGone) {
      return new Response(`${JSON.stringify({ type: "ERROR", object: status(410, "Expired", "too old resource version") })}\n`, { headers: { "Content-Type": "application/json" } });
    }
    const backlog = this.log.filter((e) => e.rv > from);
    const watchers = this.watchers;
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    let entry: { send: (e: unknown) => void; close: () => void; from: number } | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let open = true;
        entry = {
          from,
          send: (e) => open && controller.enqueue(enc.encode(`${JSON.stringify(e)}\n`)),
          close: () => {
            if (!open) return;
            open = false;
            try {
              controller.close();
            } catch {}
          },
        };
        for (const e of backlog) entry.send({ type: e.type, object: e.object });
        watchers.add(entry);
        if (timeout > 0) setTimeout(() => {
          entry?.close();
          if (entry) watchers.delete(entry);
        }, timeout * 1000);
      },
      cancel() {
        if (entry) watchers.delete(entry);
      },
    });
    return new Response(stream, { headers: { "Content-Type": "application/json" } });
  }
}
