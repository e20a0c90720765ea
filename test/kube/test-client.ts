/**
 * @module
 * A tiny HTTPS client for emulator tests: JSON requests with the admin token and the
 * emulator's CA, and a line-by-line watch reader that sees events as they arrive.
 */
import type { Emulator } from "./emulator.ts";

export interface Reply<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestInitLite {
  method?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string | null;
  cert?: { cert: string; key: string };
}

function init(emu: Emulator, o: RequestInitLite): RequestInit {
  const headers: Record<string, string> = {};
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? emu.adminToken}`;
  if (o.body !== undefined) headers["content-type"] = o.contentType ?? "application/json";
  if (o.accept) headers.accept = o.accept;
  return {
    method: o.method ?? "GET",
    headers,
    ...(o.body !== undefined ? { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) } : {}),
    tls: { ca: emu.caPem, ...(o.cert ?? {}) },
  } as RequestInit;
}

/** One request; the body is parsed as JSON when possible. */
export async function call<T = Record<string, any>>(emu: Emulator, path: string, o: RequestInitLite = {}): Promise<Reply<T>> {
  const res = await fetch(`${emu.url}${path}`, init(emu, o));
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: body as T };
}

export interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

export interface WatchReader {
  status: number;
  /** The next event, or undefined when the stream ended; rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<WatchEvent | undefined>;
  /** Collects events until the stream ends. */
  rest(timeoutMs?: number): Promise<WatchEvent[]>;
  close(): void;
}

export async function watch(emu: Emulator, path: string, o: RequestInitLite = {}): Promise<WatchReader> {
  const ac = new AbortController();
  const res = await fetch(`${emu.url}${path}`, { ...init(emu, o), signal: ac.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let ended = false;
  const next = async (timeoutMs = 5000): Promise<WatchEvent | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) return JSON.parse(line) as WatchEvent;
        continue;
      }
      if (ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        reader.read().catch(() => ({ done: true, value: undefined })),
        new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), left))),
      ]);
      clearTimeout(timer);
      if (r === "timeout") throw new Error(`no watch event within ${timeoutMs} ms`);
      if (r.done) ended = true;
      else buf += decoder.decode(r.value, { stream: true });
    }
  };
  return {
    status: res.status,
    next,
    async rest(timeoutMs = 5000) {
      const out: WatchEvent[] = [];
      for (let e = await next(timeoutMs); e; e = await next(timeoutMs)) out.push(e);
      return out;
    },
    close: () => ac.abort(),
  };
}

/** A minimal valid pod manifest. */
export function pod(name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] }, ...extra };
}
