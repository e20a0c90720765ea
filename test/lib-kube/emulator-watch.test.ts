/**
 * Chaos for the list+watch loop against the API emulator over HTTPS: dropped
 * watches (clean and abrupt), compaction (410 in-stream and as HTTP 410),
 * 500/429 bursts with Retry-After on list and watch, and a listener restart,
 * while pods are created, changed and deleted. At the end the watcher's state
 * equals the emulator's, and the event sequence had no duplicate adds and no
 * duplicate or missed deletions.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../lib/kube/connect.ts";
import { listWatch, type ListWatch } from "../../lib/kube/list-watch.ts";
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

const pod = (name: string, image: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "chaos" }, spec: { containers: [{ name: "c", image }] } });
const imageOf = (obj: KubeObject) => (obj as { spec?: { containers?: { image?: string }[] } }).spec?.containers?.[0]?.image ?? "";

async function until(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function chaos(expiredWatchAs: "event" | "http"): Promise<void> {
  const e = await startEmulator({ expiredWatchAs, bookmarkIntervalMs: 100 });
  emu = e;
  await e.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "chaos" } });
  for (let i = 0; i < 12; i++) await e.store.create("pods", pod(`p${i}`, "v0"), { namespace: "chaos" });
  const kubeconfig = e.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-emu-watch-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: { qps: 200, burst: 50 }, retry: { maxAttempts: 3, baseMs: 5, maxMs: 50, maxRetryAfterMs: 50 } });

  const model = new Map<string, string>();
  const problems: string[] = [];
  const kinds = new Set<string>();
  loop = listWatch<string>({
    client,
    type: PODS,
    namespace: "chaos",
    project: imageOf,
    pageSize: 5,
    backoff: { baseMs: 20, maxMs: 200, minMs: 5 },
    onEvent(ev) {
      kinds.add(ev.type);
      if (ev.type === "added") {
        if (model.has(ev.key)) problems.push(`duplicate add ${ev.key}`);
        model.set(ev.key, ev.value);
      } else if (ev.type === "modified") {
        if (!model.has(ev.key)) problems.push(`modify of unknown ${ev.key}`);
        model.set(ev.key, ev.value);
      } else if (ev.type === "deleted") {
        if (!model.has(ev.key)) problems.push(`duplicate delete ${ev.key}`);
        model.delete(ev.key);
      }
    },
  });
  void loop.start();
  await until("synced", () => loop?.health().synced === true);

  let next = 12;
  for (let round = 0; round < 8; round++) {
    await until("watching", () => loop?.health().watching === true && e.watchCount >= 1);
    await e.store.create("pods", pod(`p${next++}`, `v${round}`), { namespace: "chaos" });
    await e.store.patch("pods", "chaos", `p${round + 4}`, "application/merge-patch+json", JSON.stringify({ spec: { containers: [{ name: "c", image: `r${round}` }] } })).catch(() => undefined);
    await e.store.delete("pods", "chaos", `p${round}`);
    switch (round % 4) {
      case 0:
        e.faults.dropWatches({ abrupt: round % 8 === 0 });
        break;
      case 1: // deletions only a relist can see
        e.faults.failNext(1, { verb: "watch", resource: "pods", status: 500 });
        e.faults.dropWatches();
        await e.store.delete("pods", "chaos", `p${next - 1}`);
        e.faults.compact();
        break;
      case 2:
        e.faults.failNext(2, { verb: "watch", resource: "pods", status: 429, retryAfterSeconds: 0 });
        e.faults.failNext(1, { verb: "list", resource: "pods", status: 503, retryAfterSeconds: 0 });
        e.faults.compact();
        e.faults.dropWatches({ abrupt: true });
        break;
      case 3:
        await e.faults.stopListener();
        await e.store.delete("pods", "chaos", `p${round + 20}`).catch(() => undefined);
        await e.store.create("pods", pod(`late${round}`, "late"), { namespace: "chaos" });
        await Bun.sleep(30);
        await e.faults.startListener();
        break;
    }
  }
  const truth = () => new Map(e.store.list("pods", { namespace: "chaos" }).map((o) => [`chaos/${o.metadata?.name}`, imageOf(o as KubeObject)]));
  await until("converged", () => {
    const t = truth();
    return t.size === model.size && [...t].every(([k, v]) => model.get(k) === v);
  });
  expect(problems).toEqual([]);
  expect(kinds.has("relisted")).toBe(true);
  expect(kinds.has("error")).toBe(true);
  expect([...(loop?.store.keys() ?? [])].sort()).toEqual([...truth().keys()].sort());
  expect(loop?.isReady()).toBe(true);
}

test("chaos against the emulator (expired watch as an in-stream ERROR event)", () => chaos("event"), 60_000);
test("chaos against the emulator (expired watch as HTTP 410)", () => chaos("http"), 60_000);

test("a watch request the server never answers is an error after the header timeout (logged, backed off, readiness says why), and recovers", async () => {
  const e = await startEmulator();
  emu = e;
  await e.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "chaos" } });
  await e.store.create("pods", pod("p0", "v0"), { namespace: "chaos" });
  const kubeconfig = e.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-emu-hung-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: false });
  const errors: { phase: string; error: unknown }[] = [];
  const images = new Map<string, string>();
  let synced = false;
  // Every watch hangs before its response headers: an overloaded API server, or a load balancer blackholing it.
  e.faults.addLatency(600_000, { verb: "watch" });
  loop = listWatch<string>({
    client,
    type: PODS,
    namespace: "chaos",
    project: imageOf,
    watchHeaderTimeoutMs: 300,
    backoff: { baseMs: 20, maxMs: 50, minMs: 5 },
    onEvent(ev) {
      if (ev.type === "error") errors.push({ phase: ev.phase, error: ev.error });
      if (ev.type === "synced") synced = true;
      if (ev.type === "added" || ev.type === "modified") images.set(ev.key, ev.value);
    },
  });
  void loop.start();
  await until("two watch failures", () => errors.length >= 2);
  expect(synced).toBe(true);
  expect(errors[0]!.phase).toBe("watch");
  expect(String((errors[0]!.error as Error).message)).toContain("no response within 300 ms");
  expect(loop.health()).toMatchObject({ watching: false });
  expect(String((loop.health().lastError as Error).message)).toContain("nothing answers");
  e.faults.clear();
  await until("the watch to open again", () => loop!.health().watching);
  await e.store.create("pods", pod("p1", "v1"), { namespace: "chaos" });
  await until("the new pod through the watch", () => images.get("chaos/p1") === "v1");
}, 30_000);
