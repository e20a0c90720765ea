/**
 * @module
 * The list+watch loop: list (paged; one full list if a continue token
 * expires mid-way), then watch from the list's
 * resourceVersion with bookmarks; relist on 410 (HTTP or in-stream ERROR);
 * reconnect when the server ends a watch or the stream goes idle; back off
 * with jitter on errors; never hot-loop; never stop until told to. Callers get
 * typed events and keep only what `project(obj)` returns.
 */
import { Backoff, type LoopBackoffPolicy } from "./backoff.ts";
import { systemClock, type Clock, type Random } from "./clock.ts";
import { GoneError, NotFoundError, toApiError, type KubeStatus } from "./api-errors.ts";
import type { KubeClient } from "./client.ts";
import { resourceName, resourcePath, type ResourceType } from "./resources.ts";
import type { KubeObject } from "./types.ts";
import { WatchStore, keyOf, type ChangeEvent, type ObjectStore } from "./watch-store.ts";
import { streamWatch, type WatchLine } from "./watch-stream.ts";

export type ListWatchEvent<P> =
  | ChangeEvent<P>
  /** The first complete list is in: the store is usable. */
  | { type: "synced"; size: number }
  /** A later complete list replaced the store; `keys` is the full new key set. */
  | { type: "relisted"; keys: ReadonlySet<string>; reason: "expired" | "error" }
  /** A paged list's continue token expired: one full list replaces it (log it once, at info). */
  | { type: "full-list"; reason: string }
  | { type: "error"; error: unknown; phase: "list" | "watch"; retryInMs: number; failures: number };

export interface ListWatchOptions<P, S extends ObjectStore<P> = WatchStore<P>> {
  client: KubeClient;
  type: ResourceType;
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** What to keep per object (a few numbers, not the object), in a WatchStore. */
  project?: (obj: KubeObject) => P;
  /** Or the store itself, when the caller keeps objects its own way (then `project` is unused). */
  store?: S;
  /** Awaited: a slow handler slows the loop instead of queueing events. */
  onEvent: (event: ListWatchEvent<P>) => void | Promise<void>;
  pageSize?: number;
  /** Server-side watch timeout, picked at random in [min, max] seconds (client-go: 300-600). */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Reconnect when the stream is silent this long, ms (default: 3 min, bookmarks arrive ~1/min). */
  idleTimeoutMs?: number;
  /** A watch request without response headers this long is an error, ms (default 30 s). */
  watchHeaderTimeoutMs?: number;
  /** Default: 0.8 s doubling to 30 s, 0.2 s floor, starting over after 2 quiet minutes (client-go's reflector). */
  backoff?: LoopBackoffPolicy;
  clock?: Clock;
  random?: Random;
}

export interface ListWatchHealth {
  synced: boolean;
  /** A watch stream is open right now (it may still fail before it delivers anything). */
  watching: boolean;
  /**
   * Time (ms) of the last progress: a list page, a watch event or a bookmark. A watch that merely
   * opened is not progress (a server may open every watch and send an ERROR at once); a healthy
   * quiet watch still progresses, as servers send a bookmark about once a minute.
   */
  lastActivity: number | undefined;
  /**
   * The server has sent this loop a bookmark, so it sends them (about one a minute): from then on a
   * silent stream is a stall. A server that sends none (its watch cache disabled) cannot tell a quiet
   * stream from a stalled one: there, a watch open with no failure since the last progress counts.
   */
  bookmarks: boolean;
  consecutiveFailures: number;
  lastError: unknown;
}

/** client-go's reflector: wait.NewExponentialBackoffManager(800ms, 30s, 2min reset, 2.0, ...), plus our floor. */
const DEFAULT_BACKOFF = { baseMs: 800, maxMs: 30_000, minMs: 200, resetAfterMs: 120_000 };
/** On a server without bookmarks, a watch open this long without failing is alive again after a failure. */
const QUIET_OPEN_PROOF_MS = 60_000;

export class ListWatch<P, S extends ObjectStore<P> = WatchStore<P>> {
  readonly store: S;
  private readonly state: ListWatchHealth = { synced: false, watching: false, lastActivity: undefined, bookmarks: false, consecutiveFailures: 0, lastError: undefined };
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly backoff: Backoff;
  private resourceVersion = "";
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  /** 410s since the last watch that delivered an event. */
  private goneInARow = 0;
  /** When the current watch opened (clock ms). */
  private openedAt: number | undefined;

  constructor(private readonly options: ListWatchOptions<P, S>) {
    if (options.store) this.store = options.store;
    else if (options.project) this.store = new WatchStore(options.project) as unknown as S;
    else throw new TypeError("listWatch needs a project function or a store");
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff({ resetAfterMs: DEFAULT_BACKOFF.resetAfterMs, ...(options.backoff ?? DEFAULT_BACKOFF) }, this.random);
  }

  /** Health for /readyz. */
  health(): Readonly<ListWatchHealth> {
    return { ...this.state };
  }

  /**
   * Ready: synced, and progress (a list page, event or bookmark) within `maxStalenessMs`, or a quiet
   * watch on a server without bookmarks (`quietWithoutBookmarks`). An open watch alone does not
   * count otherwise: one that silently stalled, or that fails right after opening, is not healthy.
   * Keep `maxStalenessMs` above the servers' bookmark interval (~1 min).
   */
  isReady(maxStalenessMs = 120_000): boolean {
    const { synced, lastActivity } = this.state;
    if (!synced) return false;
    return this.quietWithoutBookmarks() || (lastActivity !== undefined && this.clock.now() - lastActivity <= maxStalenessMs);
  }

  /**
   * Seconds since the last progress (a list page, event or bookmark); undefined before any. 0 for a
   * quiet watch on a server without bookmarks, which is as fresh as we can know.
   */
  ageSeconds(): number | undefined {
    const { lastActivity } = this.state;
    if (lastActivity === undefined) return undefined;
    return this.quietWithoutBookmarks() ? 0 : Math.max(0, (this.clock.now() - lastActivity) / 1000);
  }

  /**
   * A watch is open on a server that never sent a bookmark, and nothing failed since the last
   * progress or this watch has stayed open a minute: with the watch cache disabled a quiet cluster
   * sends nothing at all, so no rule on progress alone could ever read ready again (not even after
   * one transient failure). A watch that fails as it opens never qualifies; a stalled stream still
   * ends at the idle timeout, and a reconnect that fails is a failure.
   */
  private quietWithoutBookmarks(): boolean {
    const { watching, bookmarks, consecutiveFailures } = this.state;
    if (!watching || bookmarks) return false;
    return consecutiveFailures === 0 || (this.openedAt !== undefined && this.clock.now() - this.openedAt >= QUIET_OPEN_PROOF_MS);
  }

  /** Runs until `stop()` or `signal` aborts; resolves then. Never rejects. */
  start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener("abort", () => this.abort.abort(), { once: true });
    this.running ??= this.loop();
    return this.running;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Real progress: the loop is healthy again (the backoff still starts over only after a quiet period). */
  private progress(): void {
    this.state.consecutiveFailures = 0;
    this.state.lastError = undefined;
    this.state.lastActivity = this.clock.now();
  }

  private async emit(event: ListWatchEvent<P>): Promise<void> {
    try {
      await this.options.onEvent(event);
    } catch (err) {
      if (event.type !== "error") await this.emit({ type: "error", error: err, phase: "watch", retryInMs: 0, failures: this.state.consecutiveFailures });
    }
  }

  private async fail(error: unknown, phase: "list" | "watch"): Promise<void> {
    this.state.consecutiveFailures++;
    this.state.lastError = error;
    this.state.watching = false;
    const retryInMs = this.backoff.next(this.clock.now());
    await this.emit({ type: "error", error, phase, retryInMs, failures: this.state.consecutiveFailures });
    await this.clock.sleep(retryInMs, this.abort.signal);
  }

  private async loop(): Promise<void> {
    let needList: "initial" | "expired" | "error" | undefined = "initial";
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.list(needList);
          needList = undefined;
          this.progress();
        } catch (err) {
          if (signal.aborted) break;
          await this.fail(err, "list");
          if (needList !== "initial") needList = "error";
          continue;
        }
      }
      const outcome = await this.watchOnce();
      if (outcome === "missing") needList = "error";
      if (outcome === "gone") {
        needList = "expired";
        // A server answering 410 right after every fresh list would make list+watch spin.
        if (++this.goneInARow > 1) await this.fail(new Error("the watch answered 410 again right after a fresh list"), "watch");
      }
    }
    this.state.watching = false;
  }

  private async list(reason: "initial" | "expired" | "error"): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.options;
    let seen = new Set<string>();
    for await (const page of client.listPages<KubeObject>(type, { namespace, labelSelector, fieldSelector, limit: this.options.pageSize ?? 500, signal: this.abort.signal })) {
      if (page.restarted) seen = new Set();
      if (page.fullList) await this.emit({ type: "full-list", reason: page.fullList.reason });
      for (const item of page.items) {
        // One key string per object, shared by `seen` and the store.
        const key = keyOf(item);
        const event = this.safeUpsert(item, key);
        seen.add(key);
        if (event) await this.emit(event);
      }
      this.resourceVersion = page.resourceVersion;
      this.progress();
    }
    for (const event of this.store.dropUnseen(seen)) await this.emit(event);
    if (reason === "initial" || !this.state.synced) {
      this.state.synced = true;
      await this.emit({ type: "synced", size: this.store.size });
    } else {
      await this.emit({ type: "relisted", keys: seen, reason });
    }
  }

  private safeUpsert(item: KubeObject, key?: string): ChangeEvent<P> | undefined {
    try {
      return this.store.upsert(item, key);
    } catch (err) {
      void this.emit({ type: "error", error: err, phase: "list", retryInMs: 0, failures: this.state.consecutiveFailures });
      return undefined;
    }
  }

  /**
   * One watch connection. Returns "gone" when the resourceVersion expired, "missing" when the
   * resource is not served (a deleted CRD: list again, so its return is a `relisted`, as client-go's
   * reflector relists after a failed watch), "ended" otherwise.
   */
  private async watchOnce(): Promise<"gone" | "missing" | "ended"> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.options;
    const range = this.options.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const timeoutSeconds = Math.floor(range.min + this.random() * (range.max - range.min));
    const startedAt = this.clock.now();
    let events = 0;
    try {
      const lines = streamWatch(client, {
        path: resourcePath(type, { namespace }),
        resource: resourceName(type),
        namespace,
        query: { watch: true, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds, labelSelector, fieldSelector },
        // Servers send a bookmark about once a minute: three silent minutes mean a dead connection.
        idleTimeoutMs: this.options.idleTimeoutMs ?? Math.min(timeoutSeconds * 1000 + 30_000, 180_000),
        headerTimeoutMs: this.options.watchHeaderTimeoutMs,
        signal: this.abort.signal,
        // Open is not progress: a server may accept every watch and end it with an ERROR at once.
        onOpen: () => {
          this.openedAt = this.clock.now();
          this.state.watching = true;
        },
      });
      for await (const line of lines) {
        events++;
        if (line.type !== "ERROR") this.goneInARow = 0;
        const gone = await this.handle(line);
        if (gone) {
          this.state.watching = false;
          return "gone";
        }
      }
    } catch (err) {
      this.state.watching = false;
      if (this.abort.signal.aborted) return "ended";
      if (err instanceof GoneError) return "gone";
      await this.fail(err, "watch");
      return err instanceof NotFoundError ? "missing" : "ended";
    }
    this.state.watching = false;
    // A server that closes watches at once would make us spin: treat an empty, short watch as a failure.
    if (events === 0 && this.clock.now() - startedAt < 1_000 && !this.abort.signal.aborted) await this.fail(new Error("the watch ended immediately without events"), "watch");
    return "ended";
  }

  /** Applies one watch line; true when it says the resourceVersion is gone. */
  private async handle(line: WatchLine): Promise<boolean> {
    const obj = line.object as KubeObject | undefined;
    if (line.type === "ERROR") {
      const status = line.object as KubeStatus | undefined;
      const err = toApiError(status?.code ?? 500, status, { verb: "watch", resource: resourceName(this.options.type), namespace: this.options.namespace, server: this.options.client.transport.server });
      if (err instanceof GoneError) return true;
      throw err;
    }
    this.progress();
    const rv = obj?.metadata?.resourceVersion;
    if (line.type === "BOOKMARK") {
      this.state.bookmarks = true;
      if (rv) this.resourceVersion = rv;
      return false;
    }
    if (!obj?.metadata) return false;
    let event: ChangeEvent<P> | undefined;
    if (line.type === "DELETED") event = this.store.delete(obj);
    else if (line.type === "ADDED" || line.type === "MODIFIED") event = this.safeUpsert(obj);
    if (rv) this.resourceVersion = rv;
    if (event) await this.emit(event);
    return false;
  }
}

/** Creates a list+watch loop (call `start()`). */
export function listWatch<P, S extends ObjectStore<P> = WatchStore<P>>(options: ListWatchOptions<P, S>): ListWatch<P, S> {
  return new ListWatch(options);
}
