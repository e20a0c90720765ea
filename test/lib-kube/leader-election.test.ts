/**
 * Leader election against the API emulator over HTTPS with short durations: three
 * contenders never lead at the same instant (checked from recorded
 * transitions), a dead leader is replaced within leaseDuration + retryPeriod
 * (jittered), a partitioned leader steps down, a graceful stop hands over at
 * once, and a SIGKILLed leader process is replaced.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKubeClient } from "../../lib/kube/client.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { leaderElection } from "../../lib/kube/leader-election.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

const now = (): number => performance.timeOrigin + performance.now();
const FAST = { leaseDurationMs: 1_000, renewDeadlineMs: 700, retryPeriodMs: 200 };
const JITTERED_RETRY = FAST.retryPeriodMs * 2.2;
const SLACK = 600; // scheduling and request latency on a loaded 2-core machine

interface Interval {
  id: string;
  start: number;
  stop?: number;
}

let api: Emulator;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
  await api?.stop();
});

async function startApi(): Promise<Emulator> {
  const emu = await startEmulator();
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kd" } });
  return emu;
}

function kubeconfigFile(): string {
  return api.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-le-")), "config"));
}

function storedLease(): { spec: { leaseTransitions?: number; holderIdentity?: string | null; renewTime?: string } } {
  return api.store.get("leases.coordination.k8s.io", "kd", "kube-devops-test") as never;
}

function contender(id: string, intervals: Interval[], options: { release?: boolean; timing?: typeof FAST } = {}) {
  const ctrl = new AbortController();
  const client = createKubeClient(loadKubeConfig({ kubeconfig: kubeconfigFile(), env: {} }), { rateLimit: false, retry: { maxAttempts: 1 } });
  const elector = leaderElection({
    client,
    namespace: "kd",
    name: "kube-devops-test",
    identity: id,
    ...(options.timing ?? FAST),
    releaseOnCancel: options.release ?? true,
    onStartedLeading: () => void intervals.push({ id, start: now() }),
    onStoppedLeading: () => {
      const open = intervals.findLast((i) => i.id === id && i.stop === undefined);
      if (open) open.stop = now();
    },
  });
  const done = elector.run(ctrl.signal);
  const stop = async () => {
    ctrl.abort();
    await done;
  };
  stops.push(stop);
  return { id, elector, stop };
}

function assertNoOverlap(intervals: Interval[]): void {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Interval;
    const cur = sorted[i] as Interval;
    expect({ prev: prev.id, cur: cur.id, overlap: prev.stop === undefined || cur.start < prev.stop }).toEqual({ prev: prev.id, cur: cur.id, overlap: false });
  }
}

async function until(what: string, cond: () => boolean, limitMs = 10_000): Promise<number> {
  const t0 = now();
  while (!cond()) {
    if (now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
  return now();
}

const leaderOf = (intervals: Interval[]) => intervals.find((i) => i.stop === undefined)?.id;

describe("leader election", () => {
  test("three contenders: one leader; a crashed leader is replaced within leaseDuration + retryPeriod; never two at once", async () => {
    api = await startApi();
    const intervals: Interval[] = [];
    const all = ["a", "b", "c"].map((id) => contender(id, intervals, { release: false }));
    await until("a leader", () => leaderOf(intervals) !== undefined);
    for (let round = 0; round < 2; round++) {
      const leader = leaderOf(intervals) as string;
      const victim = all.find((c) => c.id === leader);
      // A crash: stop renewing without releasing (releaseOnCancel false).
      const killedAt = now();
      await victim?.stop();
      const takeover = await until("a new leader", () => intervals.some((i) => i.start > killedAt && i.id !== leader));
      expect(takeover - killedAt).toBeLessThan(FAST.leaseDurationMs + JITTERED_RETRY + SLACK);
    }
    assertNoOverlap(intervals);
    const lease = storedLease();
    expect(lease.spec.leaseTransitions).toBe(2);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
  });

  test("a leader that cannot renew steps down before its lease can be taken, and contends again", async () => {
    api = await startApi();
    const intervals: Interval[] = [];
    contender("a", intervals);
    await until("a leads", () => leaderOf(intervals) === "a");
    contender("b", intervals);
    await Bun.sleep(300);
    api.faults.failNext(100_000, { resource: "leases", status: 503 });
    const outageAt = now();
    await until("a steps down", () => intervals[0]?.stop !== undefined);
    expect((intervals[0]?.stop as number) - outageAt).toBeLessThan(FAST.renewDeadlineMs + SLACK);
    api.faults.clear();
    await until("someone leads again", () => leaderOf(intervals) !== undefined);
    assertNoOverlap(intervals);
  });

  test("lastObservedAt: a standby's last successful read of the lease, frozen while the API fails", async () => {
    api = await startApi();
    const intervals: Interval[] = [];
    contender("a", intervals);
    await until("a leads", () => leaderOf(intervals) === "a");
    const b = contender("b", intervals);
    expect(b.elector.lastObservedAt).toBe(0);
    await until("b reads the lease", () => b.elector.lastObservedAt > 0);
    const first = b.elector.lastObservedAt;
    await until("b reads it again", () => b.elector.lastObservedAt > first);
    api.faults.failNext(100_000, { resource: "leases", status: 503 });
    await Bun.sleep(FAST.retryPeriodMs * 3);
    const frozen = b.elector.lastObservedAt;
    await Bun.sleep(FAST.retryPeriodMs * 3);
    expect(b.elector.lastObservedAt).toBe(frozen);
    api.faults.clear();
    await until("b reads the lease after the outage", () => b.elector.lastObservedAt > frozen);
  });

  test("a graceful stop releases the lease: a standby takes over well before the lease would expire", async () => {
    api = await startApi();
    const slow = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 200 };
    const intervals: Interval[] = [];
    const a = contender("a", intervals, { timing: slow });
    await until("a leads", () => leaderOf(intervals) === "a");
    contender("b", intervals, { timing: slow });
    await Bun.sleep(300);
    const stoppedAt = now();
    await a.stop();
    const lease = storedLease();
    const takeover = await until("b leads", () => leaderOf(intervals) === "b");
    expect(takeover - stoppedAt).toBeLessThan(slow.leaseDurationMs / 2);
    expect(lease.spec.holderIdentity ?? null).not.toBe("a");
    assertNoOverlap(intervals);
  });

  test("SIGKILL of the leader process: a standby takes over within leaseDuration + retryPeriod; SIGTERM hands over at once", async () => {
    api = await startApi();
    const config = kubeconfigFile();
    const spawnChild = (id: string, timing = FAST) => {
      const child = Bun.spawn(["bun", join(import.meta.dir, "fixtures", "lease-child.ts"), config, id, String(timing.leaseDurationMs), String(timing.renewDeadlineMs), String(timing.retryPeriodMs)], { stdout: "pipe", stderr: "inherit" });
      const lines: string[] = [];
      void (async () => {
        const decoder = new TextDecoder();
        let buf = "";
        for await (const chunk of child.stdout) {
          buf += decoder.decode(chunk);
          const parts = buf.split("\n");
          buf = parts.pop() ?? "";
          lines.push(...parts);
        }
      })();
      return { child, lines };
    };
    const intervals: Interval[] = [];
    const leader = spawnChild("proc-1");
    await until("child leads", () => leader.lines.some((l) => l.startsWith("leading")), 20_000);
    contender("standby", intervals);
    await Bun.sleep(300);
    const killedAt = now();
    leader.child.kill("SIGKILL");
    await leader.child.exited;
    const takeover = await until("standby leads", () => leaderOf(intervals) === "standby");
    expect(takeover - killedAt).toBeLessThan(FAST.leaseDurationMs + JITTERED_RETRY + SLACK);

    // Graceful: a child standby, then SIGTERM to ... the in-process leader is stopped gracefully instead.
    const slow = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 200 };
    await Promise.all(stops.splice(0).map((s) => s()));
    const second = spawnChild("proc-2", slow);
    await until("proc-2 leads", () => second.lines.some((l) => l.startsWith("leading")), 20_000);
    const waiting: Interval[] = [];
    contender("standby-2", waiting, { timing: slow });
    await Bun.sleep(300);
    const termAt = now();
    second.child.kill("SIGTERM");
    expect(await second.child.exited).toBe(0);
    const handover = await until("standby-2 leads", () => leaderOf(waiting) === "standby-2");
    expect(handover - termAt).toBeLessThan(slow.leaseDurationMs / 2);
    const stoppedLine = second.lines.find((l) => l.startsWith("stopped")) as string;
    expect(Number(stoppedLine.split(" ")[1])).toBeLessThanOrEqual(waiting[0]?.start as number);
  });

  test("a leader whose work fails releases the lease and run() rejects with the error; a standby takes over at once", async () => {
    api = await startApi();
    const slow = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 200 };
    const client = createKubeClient(loadKubeConfig({ kubeconfig: kubeconfigFile(), env: {} }), { rateLimit: false, retry: { maxAttempts: 1 } });
    let fail: (err: Error) => void = () => {};
    const failing = leaderElection({
      client,
      namespace: "kd",
      name: "kube-devops-test",
      identity: "broken",
      ...slow,
      onStartedLeading: () => new Promise<void>((_, reject) => (fail = reject)),
    });
    const result = failing.run(new AbortController().signal).then(
      () => "resolved",
      (e: unknown) => (e as Error).message,
    );
    await until("broken leads", () => failing.isLeader);
    const intervals: Interval[] = [];
    contender("standby", intervals, { timing: slow });
    await Bun.sleep(300);
    const failedAt = now();
    fail(new Error("work crashed"));
    expect(await result).toBe("work crashed");
    const takeover = await until("standby leads", () => leaderOf(intervals) === "standby");
    expect(takeover - failedAt).toBeLessThan(slow.leaseDurationMs / 2);
  });
});
