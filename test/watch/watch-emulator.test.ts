/**
 * The watch controller against the API emulator over HTTPS while pods churn and the
 * API misbehaves (dropped watches, compaction → 410, error bursts, listener restart):
 * at the end /metrics equals a fresh evaluation of the same pods. Policies change a
 * namespace's checks (re-evaluated by a re-list), and a pending deadline fires alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { analyzeObjects } from "../../lib/analysis/build-report.ts";
import { checkSetFromPolicies, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import type { PodLike } from "../../lib/k8s-objects.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { DEVOPS_POLICIES, PODS } from "../../lib/kube/resources.ts";
import { createProbeApp } from "../../lib/server/probe-app.ts";
import { WatchController } from "../../lib/watch/watch-controller.ts";
import { createWatchMetrics } from "../../lib/watch/watch-metrics.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import type { KubeObject } from "../kube/types.ts";
import { eventually, installCrds, prepareCluster, testPolicy, type Cluster } from "../operator/support.ts";
import { expectedScores, makePod, prng, scrapedScores } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;
const logs: { msg: string; fields: Record<string, unknown> }[] = [];
const logger = {
  info: (msg: string, fields?: Record<string, unknown>) => void logs.push({ msg, fields: fields ?? {} }),
  warn: (msg: string, fields?: Record<string, unknown>) => void logs.push({ msg, fields: fields ?? {} }),
  debug: () => {},
};
const registry = new Registry();
const metrics = createWatchMetrics(registry);
let controller: WatchController;
const app = createProbeApp({ registry, readiness: () => controller.readiness() });
let stop = new AbortController();
let running: Promise<void>;
const NAMESPACES = ["shop", "search", "batch", "team-c"];

function exists(ns: string, name: string): boolean {
  try {
    return emu.store.get("pods", ns, name) !== undefined;
  } catch {
    return false;
  }
}

async function scrape() {
  return scrapedScores(await (await app.request("/metrics")).text());
}

async function freshEvaluation(setOf?: Parameters<typeof expectedScores>[2]) {
  const { items } = await cluster.client.listAll<KubeObject>(PODS);
  return expectedScores(items as PodLike[], Date.now(), setOf);
}

beforeAll(async () => {
  emu = await startEmulator({ historySize: 200, bookmarkIntervalMs: 1_000 }); // a bookmark a second (real servers: a minute)
  cluster = await prepareCluster(emu, NAMESPACES, { installCrds: false });
  await installCrds(cluster.client);
  for (let i = 0; i < 120; i++) emu.store.load(makePod(NAMESPACES[i % 4]!, `pod-${i}`, i));
  emu.store.load({ ...makePod("kube-system", "coredns", 1) });
  controller = new WatchController({ client: cluster.client, clock: systemClock, logger, metrics, pageSize: 50, policyDebounceMs: 50 });
  running = controller.run(stop.signal);
});

afterAll(async () => {
  stop.abort();
  await running;
  await emu.stop();
});

describe("watch controller against the emulator", () => {
  test("Ready after the first sync; gauges equal a fresh evaluation; system pods are not scored", async () => {
    await eventually(async () => (controller.readiness().ready ? true : undefined), "ready");
    const fresh = await freshEvaluation();
    expect(await scrape()).toEqual({ present: true, ...fresh });
    expect(fresh.pods).toBe(120);
    expect(logs.some((l) => l.msg === "initial_sync_complete" && l.fields.pods === 120)).toBe(true);
    expect(logs.some((l) => l.msg === "policy_violation_detected")).toBe(false);
  });

  test("under churn and chaos the gauges end equal to a fresh evaluation", async () => {
    const random = prng(7);
    const faults: (() => Promise<void> | void)[] = [
      () => void emu.faults.dropWatches({ abrupt: true }),
      () => emu.faults.compact(),
      () => emu.faults.failNext(4, { resource: "pods", status: 500 }),
      async () => {
        await emu.faults.stopListener();
        await Bun.sleep(150);
        await emu.faults.startListener();
      },
      () => void emu.faults.dropWatches(),
    ];
    let next = 1000;
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 40; i++) {
        const ns = NAMESPACES[Math.floor(random() * 4)]!;
        const name = `pod-${Math.floor(random() * 160)}`;
        const existing = exists(ns, name);
        if (existing && random() < 0.3) await emu.store.delete("pods", ns, name);
        else emu.store.load(makePod(ns, name, next++));
      }
      if (round % 5 === 2) emu.faults.compact(); // history of 200 events is overrun anyway: 410 → relist
      const fault = faults[round % faults.length]!;
      await Promise.race([fault(), Bun.sleep(10_000).then(() => Promise.reject(new Error(`fault step ${round % faults.length} did not finish within 10 s`)))]);
      await Bun.sleep(20);
    }
    emu.faults.clear();
    const fresh = await freshEvaluation();
    const final = await eventually(async () => {
      const s = await scrape();
      return JSON.stringify(s) === JSON.stringify({ present: true, ...fresh }) ? s : undefined;
    }, `gauges to equal ${JSON.stringify(fresh)} (last: ${JSON.stringify(await scrape())})`, 30_000).catch(async () => scrape());
    expect(final).toEqual({ present: true, ...fresh });
    // and equal to the engine's analyze code path over the same pods
    const { items } = await cluster.client.listAll<KubeObject>(PODS);
    const report = analyzeObjects(items.map((object) => ({ object, file: undefined, line: undefined })), { checkSet: DEFAULT_CHECK_SET, now: Date.now(), exemptions: true, source: "test", scoreTemplates: false });
    expect(final.cluster).toBe(report.score);
    expect(final.namespaces).toEqual(Object.fromEntries(report.namespaces.map((n) => [n.namespace, n.score])));
    expect(logs.some((l) => l.msg === "pods_relisted")).toBe(true);
    expect(logs.some((l) => l.msg === "pod_watch_error")).toBe(true);
    await eventually(async () => (controller.readiness().ready ? true : undefined), "ready again");
  }, 60_000);

  test("a namespace whose last pod goes loses its series; violations are logged once per appearance", async () => {
    for (const p of (await cluster.client.listAll<KubeObject>(PODS, { namespace: "batch" })).items) await emu.store.delete("pods", "batch", p.metadata.name!);
    await eventually(async () => ((await scrape()).namespaces.batch === undefined ? true : undefined), "batch series gone");
    const before = logs.filter((l) => l.msg === "policy_violation_detected" && l.fields.pod === "flappy").length;
    emu.store.load(makePod("batch", "flappy", 1));
    for (let i = 0; i < 5; i++) emu.store.load({ ...makePod("batch", "flappy", 1), metadata: { ...makePod("batch", "flappy", 1).metadata, labels: { n: String(i) } } });
    await eventually(async () => ((await scrape()).namespaces.batch === 95 ? true : undefined), "batch back with one :latest pod");
    const detected = logs.filter((l) => l.msg === "policy_violation_detected" && l.fields.pod === "flappy");
    expect(detected.length - before).toBe(1);
    expect(detected.at(-1)?.fields).toMatchObject({ event: "policy_violation", namespace: "batch", violations: ["latest_tag"] });
    emu.store.load(makePod("batch", "flappy", 0));
    await eventually(async () => (logs.some((l) => l.msg === "policy_violation_resolved" && l.fields.pod === "flappy") ? true : undefined), "resolved log");
  });

  test("a DevOpsPolicy changes its namespace's checks: the namespace is re-evaluated to the policy's score", async () => {
    const spec = { forbidLatestTag: true, maxRestartCount: 20, requireResourceLimits: true };
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "team-c", spec));
    const set = checkSetFromPolicies([spec as never]);
    const target = await freshEvaluation((ns) => (ns === "team-c" ? set : DEFAULT_CHECK_SET));
    expect(target.namespaces["team-c"]).not.toBe((await freshEvaluation()).namespaces["team-c"]);
    await eventually(async () => ((await scrape()).namespaces["team-c"] === target.namespaces["team-c"] ? true : undefined), `team-c to score ${target.namespaces["team-c"]} under its policy`);
    expect(await scrape()).toEqual({ present: true, ...target });
    expect(logs.some((l) => l.msg === "namespace_checks_changed" && l.fields.namespace === "team-c")).toBe(true);

    await cluster.client.delete(DEVOPS_POLICIES, "team", { namespace: "team-c" });
    const back = await freshEvaluation();
    await eventually(async () => ((await scrape()).namespaces["team-c"] === back.namespaces["team-c"] ? true : undefined), "team-c back to the default checks");
  });

  test("a Pending pod crosses forbidPendingDuration with no new event", async () => {
    await cluster.client.create(DEVOPS_POLICIES, testPolicy("pending", "search", { forbidPendingDuration: 2 }));
    const created = new Date(Date.now() - 500).toISOString();
    const pending = makePod("search", "waiting", 4);
    emu.store.load({ ...pending, metadata: { ...pending.metadata, creationTimestamp: created } });
    await eventually(async () => (logs.some((l) => l.msg === "namespace_checks_changed" && l.fields.namespace === "search") ? true : undefined), "search re-evaluated");
    const appeared = await eventually(
      async () => logs.find((l) => l.msg === "policy_violation_detected" && l.fields.pod === "waiting" && l.fields.reason === "pending-deadline"),
      "the pending deadline to fire",
    ).catch((err) => {
      console.error(JSON.stringify(logs.filter((l) => l.fields.pod === "waiting" || l.fields.namespace === "search").slice(-10)));
      throw err;
    });
    expect(appeared.fields.violations).toEqual(["pending"]);
  }, 20_000);

  test("an outage of the pod watch: the last known scores stay, and watch_cache_age_seconds says how old they are", async () => {
    const age = async () => Number(/^watch_cache_age_seconds (\S+)$/m.exec(await (await app.request("/metrics")).text())?.[1]);
    // seconds since the last event or bookmark: a healthy watch hears something at least once a minute
    expect(await age()).toBeLessThan(60);
    emu.faults.failNext(100_000, { resource: "pods", status: 503 });
    emu.faults.dropWatches();
    const stale = await eventually(async () => ((await age()) > 1 ? await age() : undefined), "the age to grow during the outage");
    expect(stale).toBeGreaterThan(1);
    expect(await (await app.request("/metrics")).text()).toContain("cluster_health_score ");
    emu.faults.clear();
    // a reopened watch is not progress by itself: its first bookmark (or event) is
    expect(await eventually(async () => ((await age()) < 1 ? true : undefined), "the age back under 1 s once the reopened watch hears something", 20_000)).toBe(true);
  }, 30_000);

  test("a new leader term starts fresh: a policy deleted while not leading no longer applies", async () => {
    stop.abort();
    await running;
    expect(controller.readiness().ready).toBe(false);
    expect(await (await app.request("/metrics")).text()).not.toContain("cluster_health_score");
    await cluster.client.delete(DEVOPS_POLICIES, "pending", { namespace: "search" });
    stop = new AbortController();
    running = controller.run(stop.signal);
    await eventually(async () => (controller.readiness().ready ? true : undefined), "ready in the new term");
    expect(await scrape()).toEqual({ present: true, ...(await freshEvaluation()) });
  }, 20_000);
});
