/**
 * @module
 * Watch streams: synthetic ADDED events for "0"/unset resourceVersions, replay from the history
 * ring for a given resourceVersion (410 Expired in-stream — or as HTTP 410 if configured — when
 * it was compacted), live events filtered by namespace and selectors (an object leaving a label
 * selector is a DELETED event, entering it an ADDED one), BOOKMARKs, timeoutSeconds, and a hub
 * that can drop every open watch for chaos tests.
 */
import type { Api } from "./api.ts";
import { matchFields, matchLabels, type FieldSelector, type LabelSelector } from "./selectors.ts";
import { StatusError, expired } from "./status.ts";
import type { ChangeEvent, Entry } from "./storage.ts";
import type { ResourceType } from "./types.ts";

export interface WatchRequest {
  type: ResourceType;
  gr: string;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
  /** Renders an object (a stored entry) for the event; JSON or a one-row Table. */
  encode: (e: Entry) => string;
}

export interface WatchHubOptions {
  bookmarkIntervalMs: number;
  /** How a compacted resourceVersion is reported: in-stream ERROR (real server) or HTTP 410. */
  expiredAs: "event" | "http";
}

interface Active {
  gr: string;
  close(abrupt: boolean): void;
  /** Sends nothing more (no event, no bookmark) while staying open: a stalled connection. */
  stall(): void;
}

const encoder = new TextEncoder();

export class WatchHub {
  private readonly active = new Set<Active>();

  constructor(
    private readonly api: Api,
    readonly options: WatchHubOptions,
  ) {}

  get count(): number {
    return this.active.size;
  }

  /** Ends every open watch: cleanly (as a server-side timeout does) or abruptly (as a crash). */
  dropAll(abrupt = false): number {
    const n = this.active.size;
    for (const w of [...this.active]) w.close(abrupt);
    return n;
  }

  /** Every open watch stays open but sends nothing more, as a black-holed connection. Returns how many. */
  stallAll(): number {
    for (const w of this.active) w.stall();
    return this.active.size;
  }

  /**
   * Ends the watches of one resource cleanly, as the real server does when a CRD is deleted (its
   * storage and watch cache are torn down; the client's next request gets 404).
   */
  dropResource(gr: string): number {
    const watches = [...this.active].filter((w) => w.gr === gr);
    for (const w of watches) w.close(false);
    return watches.length;
  }

  /** A watch that opens (200) and fails at once: one in-stream ERROR event with the Status, then the end. */
  failInStream(err: StatusError): Response {
    const body = `{"type":"ERROR","object":${JSON.stringify(err.toStatus())}}\n`;
    return new Response(body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-cache, private" } });
  }

  /** Starts a watch; throws StatusError for an HTTP-level failure. */
  open(req: WatchRequest): Response {
    const storage = this.api.storage;
    const rvParam = req.resourceVersion;
    const initial: string[] = [];
    const wantsInitial = req.sendInitialEvents ?? (rvParam === undefined || rvParam === "" || rvParam === "0");
    let from = storage.currentRv;
    let expiredError: StatusError | undefined;
    const nsPrefix = req.type.namespaced && req.namespace ? `${req.namespace}/` : "";
    const matches = (e: Entry): boolean =>
      (!nsPrefix || e.key.startsWith(nsPrefix)) && matchLabels(req.labels, e.obj.metadata.labels) && matchFields(req.fields, e.obj);
    const line = (type: string, body: string): string => `{"type":"${type}","object":${body}}\n`;

    if (wantsInitial) {
      for (const e of this.api.listPage(req.gr, { namespace: req.namespace }).entries) if (matches(e)) initial.push(line("ADDED", req.encode(e)));
    } else {
      const since = Number(rvParam);
      if (!Number.isInteger(since) || since < 0) throw new StatusError(400, "BadRequest", `invalid resource version: ${rvParam}`);
      const events = storage.eventsSince(req.gr, since);
      if (!events) {
        const err = expired(`too old resource version: ${since} (${storage.oldestRv + 1})`);
        if (this.options.expiredAs === "http") throw err;
        expiredError = err;
      } else {
        for (const ev of events) {
          const l = this.render(ev, matches, req, line);
          if (l) initial.push(l);
        }
        from = Math.max(since, storage.currentRv);
      }
    }
    let lastRv = from;
    const bookmark = (annotations?: Record<string, string>): string =>
      line("BOOKMARK", JSON.stringify({ kind: req.type.kind, apiVersion: req.type.group ? `${req.type.group}/${req.type.version}` : req.type.version, metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) } }));
    if (req.sendInitialEvents && req.allowBookmarks && !expiredError) initial.push(bookmark({ "k8s.io/initial-events-end": "true" }));

    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const timers: ReturnType<typeof setTimeout>[] = [];
    let unlisten = (): void => {};
    let done = false;
    let stalled = false;
    const self: Active = {
      gr: req.gr,
      stall: () => {
        stalled = true;
      },
      close: (abrupt) => {
        if (done) return;
        done = true;
        unlisten();
        for (const t of timers) clearTimeout(t), clearInterval(t);
        this.active.delete(self);
        try {
          if (abrupt) ctrl.error(new Error("watch dropped"));
          else ctrl.close();
        } catch {
          /* already closed by the client */
        }
      },
    };
    const send = (text: string): void => {
      if (done || stalled) return;
      try {
        ctrl.enqueue(encoder.encode(text));
      } catch {
        self.close(false);
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        ctrl = c;
        this.active.add(self);
        if (expiredError) {
          send(line("ERROR", JSON.stringify(expiredError.toStatus())));
          queueMicrotask(() => self.close(false));
          return;
        }
        if (initial.length > 0) send(initial.join(""));
        unlisten = storage.listen(req.gr, (ev) => {
          if (ev.rv <= from) return;
          lastRv = ev.rv;
          const l = this.render(ev, matches, req, line);
          if (l) send(l);
        });
        if (req.allowBookmarks) timers.push(setInterval(() => send(bookmark()), this.options.bookmarkIntervalMs));
        const timeoutMs = req.timeoutSeconds !== undefined ? req.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
        timers.push(setTimeout(() => self.close(false), timeoutMs));
      },
      cancel: () => self.close(false),
    });
    return new Response(stream, {
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "no-cache, private", "transfer-encoding": "chunked" },
    });
  }

  /** One event line for a watcher, with selector transitions (enter → ADDED, leave → DELETED). */
  private render(ev: ChangeEvent, matches: (e: Entry) => boolean, req: WatchRequest, line: (t: string, b: string) => string): string | undefined {
    const now = matches(ev.entry);
    if (ev.type === "ADDED") return now ? line("ADDED", req.encode(ev.entry)) : undefined;
    if (ev.type === "DELETED") return now || (ev.prev && matches(ev.prev)) ? line("DELETED", req.encode(ev.entry)) : undefined;
    const before = ev.prev ? matches(ev.prev) : false;
    if (now && before) return line("MODIFIED", req.encode(ev.entry));
    if (now) return line("ADDED", req.encode(ev.entry));
    if (before) return line("DELETED", req.encode(ev.entry));
    return undefined;
  }
}
