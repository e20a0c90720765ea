/**
 * A paged list whose continue tokens keep expiring (a slow API server with a large list, etcd
 * compacting every 5 min) against the emulator over HTTPS: the list+watch loop falls back to ONE
 * full list, says so once, syncs to exactly the emulator's state and then watches as usual —
 * where restarting the paged list could never finish.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../lib/kube/connect.ts";
import { listWatch, type ListWatch, type ListWatchEvent } from "../../lib/kube/list-watch.ts";
import { PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

let emu: Emulator | undefined;
let loop: ListWatch<string> | undefined;
afterEach(async () => {
  await loop?.stop();
  await emu?.stop();
  loop = undefined;
  emu = undefined;
});

const pod = (ns: string, name: string, image: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec: { containers: [{ name: "c", image }] } });
const imageOf = (obj: KubeObject) => (obj as { spec?: { containers?: { image?: string }[] } }).spec?.containers?.[0]?.image ?? "";

async function until(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

test("every continue token expires: one full list, logged once, syncs to the emulator's pods and then watches", async () => {
  const e = await startEmulator({ bookmarkIntervalMs: 100 });
  emu = e;
  const expected = new Map<string, string>();
  for (const ns of ["a", "b", "c"]) {
    await e.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (let i = 0; i < 400; i++) {
      await e.store.create("pods", pod(ns, `p${i}`, `img:${ns}${i}`), { namespace: ns });
      expected.set(`${ns}/p${i}`, `img:${ns}${i}`);
    }
  }
  e.faults.expireContinueTokens();
  const kubeconfig = e.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-emu-fallback-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: false, retry: { maxAttempts: 2, baseMs: 5, maxMs: 50, maxRetryAfterMs: 50 } });
  const events: ListWatchEvent<string>[] = [];
  const model = new Map<string, string>();
  loop = listWatch<string>({
    client,
    type: PODS,
    project: imageOf,
    pageSize: 100,
    backoff: { baseMs: 20, maxMs: 200, minMs: 5 },
    onEvent(ev) {
      if (ev.type === "added" || ev.type === "modified") model.set(ev.key, ev.value);
      else if (ev.type === "deleted") model.delete(ev.key);
      else events.push(ev);
    },
  });
  void loop.start();
  await until("synced", () => loop?.health().synced === true);
  expect(events.map((ev) => ev.type)).toEqual(["full-list", "synced"]);
  const fallback = events[0] as { type: "full-list"; reason: string };
  expect(fallback.reason).toContain("the continue token expired after 1 page");
  expect(fallback.reason).toContain("The provided continue parameter is too old");
  expect(model).toEqual(expected);
  expect(loop.store.size).toBe(1_200);

  // The watch starts from the full list's resourceVersion: nothing missed, nothing replayed.
  await until("watching", () => loop?.health().watching === true);
  await e.store.create("pods", pod("b", "late", "img:late"), { namespace: "b" });
  await e.store.delete("pods", "a", "p7");
  await until("the watch delivers", () => model.has("b/late") && !model.has("a/p7"));
  expect(loop.health().consecutiveFailures).toBe(0);
});

test("a relist after a compacted watch also falls back, and its deletions are found", async () => {
  const e = await startEmulator({ bookmarkIntervalMs: 100, expiredWatchAs: "http" });
  emu = e;
  await e.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "r" } });
  for (let i = 0; i < 30; i++) await e.store.create("pods", pod("r", `p${i}`, "v0"), { namespace: "r" });
  const kubeconfig = e.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-emu-fallback-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: false, retry: { maxAttempts: 2, baseMs: 5, maxMs: 50, maxRetryAfterMs: 50 } });
  const kinds: string[] = [];
  const model = new Map<string, string>();
  loop = listWatch<string>({
    client,
    type: PODS,
    namespace: "r",
    project: imageOf,
    pageSize: 7,
    backoff: { baseMs: 20, maxMs: 200, minMs: 5 },
    onEvent(ev) {
      if (ev.type === "added" || ev.type === "modified") model.set(ev.key, ev.value);
      else if (ev.type === "deleted") model.delete(ev.key);
      else kinds.push(ev.type);
    },
  });
  void loop.start();
  await until("synced", () => loop?.health().synced === true);
  expect(kinds).toEqual(["synced"]);
  // Cut the watch, change things it cannot see, and forget history: the next watch is 410, so a relist.
  await until("watching", () => loop?.health().watching === true);
  e.faults.failNext(1, { verb: "watch", resource: "pods", status: 500 });
  e.faults.dropWatches();
  for (let i = 0; i < 10; i++) await e.store.delete("pods", "r", `p${i}`);
  await e.store.create("pods", pod("r", "fresh", "v1"), { namespace: "r" });
  e.faults.compact();
  e.faults.expireContinueTokens();
  await until("relisted", () => kinds.includes("relisted"));
  expect(kinds.filter((k) => k === "full-list").length).toBe(1);
  expect([...model.keys()].sort()).toEqual([...Array.from({ length: 20 }, (_, i) => `r/p${i + 10}`), "r/fresh"].sort());
});
