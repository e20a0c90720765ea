/**
 * @module
 * "Pod change → effect" latency (the watch's gauge, the operator's status) with its
 * baseline in the same run: a bare watch client over HTTPS (fetch, JSON lines, no
 * cache, no projection) seeing the same change, i.e. how long the emulator itself
 * takes to deliver a change to any watcher in this process.
 */
import type { Emulator } from "../../test/kube/emulator.ts";
import { makePod } from "../../test/watch/support.ts";
import { median } from "./measure.ts";

export interface WatchEventLine {
  type: string;
  object: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } } & Record<string, unknown>;
}

export interface BareWatch {
  /** Resolves with performance.now() at the arrival of the next event matching `match`. */
  next(match: (event: WatchEventLine) => boolean): Promise<number>;
  close(): void;
}

/** Splits `buffer` into complete lines and the incomplete rest. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  const lines = buffer.split("\n");
  const rest = lines.pop() ?? "";
  return { lines: lines.filter((l) => l.trim() !== ""), rest };
}

/** Opens `GET <path>?watch=true&resourceVersion=<now>` on the emulator as its admin. */
export async function openBareWatch(emu: Emulator, path: string): Promise<BareWatch> {
  const abort = new AbortController();
  const headers = { authorization: `Bearer ${emu.adminToken}` };
  const list = (await (await fetch(`${emu.url}${path}`, { headers, tls: { ca: emu.caPem } } as RequestInit)).json()) as { metadata: { resourceVersion: string } };
  const res = await fetch(`${emu.url}${path}?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { headers, signal: abort.signal, tls: { ca: emu.caPem } } as RequestInit);
  if (!res.ok || !res.body) throw new Error(`watch ${path}: HTTP ${res.status}`);
  const waiters: Array<{ match: (e: WatchEventLine) => boolean; resolve: (at: number) => void }> = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.now();
        const split = splitLines(buffer + decoder.decode(value, { stream: true }));
        buffer = split.rest;
        for (const line of split.lines) {
          const event = JSON.parse(line) as WatchEventLine;
          for (let i = waiters.length - 1; i >= 0; i--) {
            const w = waiters[i] as (typeof waiters)[number];
            if (!w.match(event)) continue;
            waiters.splice(i, 1);
            w.resolve(at);
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    next: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
    close: () => abort.abort(),
  };
}

/** Changes pod `namespace/name` to the other of two shapes: clean (0) or :latest (1); returns the new one. */
export function flipPod(emu: Emulator, namespace: string, name: string): number {
  const current = JSON.stringify(emu.store.get("pods", namespace, name));
  const variant = current.includes(":latest") ? 0 : 1;
  emu.store.load(makePod(namespace, name, variant));
  return variant;
}

/**
 * Flips pod `namespace/name` (flipPod) `samples` times; `effect(variant)` resolves once the
 * component shows the change. Returns the medians (ms from the write) of the effect and of a
 * bare watch client seeing the same change.
 */
export async function changeLatency(emu: Emulator, options: { namespace: string; name: string; samples: number; effect: (variant: number) => Promise<void> }): Promise<{ effectMs: number; watchMs: number }> {
  const { namespace, name } = options;
  const watch = await openBareWatch(emu, `/api/v1/namespaces/${namespace}/pods`);
  const effects: number[] = [];
  const watched: number[] = [];
  try {
    for (let i = 0; i < options.samples; i++) {
      const seen = watch.next((e) => e.object.metadata?.name === name);
      const start = performance.now();
      await options.effect(flipPod(emu, namespace, name));
      effects.push(performance.now() - start);
      watched.push((await seen) - start);
    }
  } finally {
    watch.close();
  }
  return { effectMs: median(effects), watchMs: median(watched) };
}
