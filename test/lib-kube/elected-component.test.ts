/**
 * ElectedComponent's readiness against the emulator: a leader whose lease renewal fails steps
 * down, and its /readyz reason must not name itself as the leader (the Lease still does, until
 * it expires); it leads again once the API server takes the renewal. After a graceful release the
 * standby says the lease is free rather than naming the replica that let it go.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import { connect } from "../../lib/kube/connect.ts";
import { ElectedComponent } from "../../lib/kube/elected-component.ts";
import { createLogger } from "../../lib/log.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

/** An ElectedComponent on the emulator whose work waits for the stop signal. */
function electedOn(component: string, lease: string, identity: string, retryPeriodMs: number): ElectedComponent {
  const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-elected-")), "config"));
  const { client } = connect({ kubeconfig, env: {}, rateLimit: false, retry: { maxAttempts: 1 } });
  const registry = new Registry();
  return new ElectedComponent({
    component,
    client,
    settings: { enabled: true, name: lease, namespace: "default", identity, leaseDurationMs: 1_000, renewDeadlineMs: 800, retryPeriodMs },
    logger: createLogger({ level: "silent" }),
    leaderGauge: new Gauge({ name: "leader", help: "h", labelNames: ["component"], registers: [registry] }),
    transitions: new Counter({ name: "transitions", help: "h", labelNames: ["component"], registers: [registry] }),
    work: (signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
  });
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await Bun.sleep(10);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

test("after a failed renewal the standby's readiness says so instead of naming itself leader; it leads again after", async () => {
  const elected = electedOn("watch", "elected-test", "replica-a", 200);
  const stop = new AbortController();
  const running = elected.run(stop.signal);
  await until("leading", () => elected.leading);
  emu.faults.failNext(1_000_000, { verb: "update", resource: "leases", status: 500 });
  await until("stepping down", () => !elected.leading);
  const standby = elected.readiness(() => ({ ready: true, reasons: [] }));
  expect(standby.reasons.join()).not.toContain("replica-a leads");
  expect(standby.reasons).toEqual(["standby: its lease renewal failed; re-acquiring the lease it held"]);
  emu.faults.clear();
  await until("leading again", () => elected.leading);
  stop.abort();
  await running;
});

test("after the leader released the lease, the standby's readiness says the lease is free instead of naming the old leader", async () => {
  const now = new Date().toISOString();
  await emu.store.create("leases.coordination.k8s.io", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "released-test", namespace: "default" }, spec: { holderIdentity: "replica-old", leaseDurationSeconds: 3600, acquireTime: now, renewTime: now, leaseTransitions: 0 } } as never, { namespace: "default" });
  const elected = electedOn("reconcile", "released-test", "replica-b", 100);
  const stop = new AbortController();
  const running = elected.run(stop.signal);
  const reasons = (): string[] => elected.readiness(() => ({ ready: true, reasons: [] })).reasons;
  await until("the standby reads the lease", () => reasons()[0] === "standby: replica-old leads");
  // The API server refuses this replica's takeover writes, so it stays a standby while the lease is free.
  emu.faults.failNext(1_000_000, { verb: "update", resource: "leases", status: 500 });
  // The old leader's graceful release, as client-go and our elector write it: holder cleared, 1 s duration.
  const held = (await emu.store.get("leases.coordination.k8s.io", "default", "released-test")) as unknown as { spec: Record<string, unknown> };
  await emu.store.update("leases.coordination.k8s.io", { ...held, spec: { ...held.spec, holderIdentity: null, leaseDurationSeconds: 1 } } as never, { namespace: "default" });
  await until("the standby reads the released lease", () => !reasons()[0]?.includes("replica-old"));
  expect(reasons()).toEqual(["standby: the lease is free (released, or not taken yet); acquiring it"]);
  expect(elected.leading).toBe(false);
  emu.faults.clear();
  await until("the standby takes the free lease", () => elected.leading);
  stop.abort();
  await running;
});
