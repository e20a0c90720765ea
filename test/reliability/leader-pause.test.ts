/**
 * Reliability: a leader that is paused (SIGSTOP, as a frozen node or a long GC
 * would) loses its lease to the standby; when it resumes it steps down instead of
 * leading beside the new leader, and the lease never flips back. Then a graceful
 * stop (SIGTERM) of the new leader hands over at once and exits 0.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "./components.ts";
import { leaderGauge, startReplica, until, type Replica } from "./replicas.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-rel-"));
const kubeconfig = join(dir, "kubeconfig");
const started: Replica[] = [];


beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
});

afterAll(async () => {
  for (const r of started) {
    r.proc.kill("SIGCONT");
    r.proc.kill("SIGKILL");
  }
  await emu.stop();
});

function holder(lease: string): string | undefined {
  try {
    return (emu.store.get("leases.coordination.k8s.io", "default", lease) as unknown as { spec?: { holderIdentity?: string } }).spec?.holderIdentity;
  } catch {
    return undefined;
  }
}

for (const { name, lease, spec } of LEASE_COMPONENTS) {
  describe(`${name}: leader paused, resumed, then stopped`, () => {
    test("the standby takes over, the resumed leader steps down, never two leaders, graceful hand-over", async () => {
      const holders: string[] = [];
      const unsubscribe = emu.store.subscribe((ev) => {
        if ((ev.object as { metadata?: { name?: string } }).metadata?.name !== lease) return;
        const h = (ev.object as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
        if (holders.at(-1) !== h) holders.push(h);
      }, { resource: "leases.coordination.k8s.io" });

      const a = await startReplica(spec, kubeconfig, `${name}-a`);
      started.push(a);
      await until("a to lead", () => (holder(lease) === a.identity ? true : undefined));
      const b = await startReplica(spec, kubeconfig, `${name}-b`);
      started.push(b);
      await until("b to report standby", async () => ((await leaderGauge(b)) === 0 ? true : undefined));

      a.proc.kill("SIGSTOP");
      await until("b to take the lease from the paused a", () => (holder(lease) === b.identity ? true : undefined), 15_000);
      await until("b to report leadership", async () => ((await leaderGauge(b)) === 1 ? true : undefined));

      a.proc.kill("SIGCONT");
      // After resuming, a must find its renew deadline long passed and step down.
      const overlap: number[] = [];
      const resumed = Date.now();
      while (Date.now() - resumed < 3000) {
        const [ga, gb] = await Promise.all([leaderGauge(a), leaderGauge(b)]);
        if (ga === 1 && gb === 1) overlap.push(Date.now() - resumed);
        await Bun.sleep(50);
      }
      expect(overlap.filter((ms) => ms > 300)).toEqual([]); // at most one retry period of stale self-belief
      expect(await leaderGauge(a)).toBe(0);
      expect(holder(lease)).toBe(b.identity);

      b.proc.kill("SIGTERM");
      expect(await b.proc.exited).toBe(0);
      await until("a to take over after the graceful stop", () => (holder(lease) === a.identity ? true : undefined), 5_000);
      unsubscribe();
      // The lease went a → b (→ released) → a: it never flipped back while b led.
      const sequence = holders.filter((h) => h !== "");
      expect(sequence).toEqual([a.identity, b.identity, a.identity]);
    });
  });
}
