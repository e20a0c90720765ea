/**
 * Reliability: every long-running component, while busy, gets SIGTERM and exits 0
 * within the grace period its generated Deployment declares; lease holders release
 * the lease so a standby takes over at once; the webhook completes every request
 * in flight. A second signal during a stuck shutdown exits at once (130 for SIGINT).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Agent } from "node:https";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCrds } from "../../gen/crd.ts";
import { resolveDeployOptions } from "../../gen/options.ts";
import { renderDeployment } from "../../gen/workloads.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "./components.ts";
import { leaderGauge, SLOW_LEASE_FLAGS, startReplica, until, type Replica } from "./replicas.ts";
import { admitInTwoHalves, startWebhook, type WebhookProcess } from "./webhook-process.ts";

let emu: Emulator;
const kubeconfig = join(mkdtempSync(join(tmpdir(), "kd-rel-stop-")), "kubeconfig");
const started: Array<Replica | WebhookProcess> = [];

/** terminationGracePeriodSeconds of the component's generated Deployment. */
function graceSeconds(component: "watch" | "reconcile" | "webhook"): number {
  const grace = renderDeployment(resolveDeployOptions("0.0.0-test"), component).spec?.template.spec?.terminationGracePeriodSeconds;
  if (typeof grace !== "number") throw new Error(`no terminationGracePeriodSeconds on the ${component} Deployment`);
  return grace;
}

/** The exit code, or "still running" once `seconds` have passed. */
async function exitWithin(proc: { exited: Promise<number> }, seconds: number): Promise<number | "still running"> {
  return Promise.race([proc.exited, Bun.sleep(seconds * 1000).then(() => "still running" as const)]);
}

function holder(lease: string): string | undefined {
  try {
    return (emu.store.get("leases.coordination.k8s.io", "default", lease) as unknown as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
  } catch {
    return undefined;
  }
}

let podSeq = 0;
async function churnPod(): Promise<void> {
  const image = podSeq % 2 ? "nginx:latest" : "nginx:1.27";
  await emu.store.create("pods", { apiVersion: "v1", kind: "Pod", metadata: { name: `churn-${podSeq++}`, namespace: "prod" }, spec: { containers: [{ name: "app", image }] } } as never, { namespace: "prod" });
}

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } } as never);
  await emu.store.create("devopspolicies.devops.stochastic.io", { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "team", namespace: "prod" }, spec: { forbidLatestTag: true } } as never, { namespace: "prod" });
  for (let i = 0; i < 20; i++) await churnPod();
});

afterAll(async () => {
  for (const p of started) p.proc.kill("SIGKILL");
  await emu.stop();
});

for (const { name, lease, spec } of LEASE_COMPONENTS) {
  describe(`${name}: SIGTERM while busy`, () => {
    test("exits 0 within the Deployment's grace period and releases the lease; the standby takes over at once", async () => {
      const holders: string[] = [];
      const replicas: Replica[] = [];
      const unsubscribe = emu.store.subscribe((ev) => {
        if ((ev.object as { metadata?: { name?: string } }).metadata?.name !== lease) return;
        const h = (ev.object as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? "";
        if (holders.at(-1) !== h) holders.push(h);
      }, { resource: "leases.coordination.k8s.io" });
      try {
        await shutDownWhileBusy(holders, replicas);
      } catch (err) {
        // Seen failing once in ~30 CI runs: leave the evidence in the test log.
        process.stderr.write(`${name} SIGTERM while busy failed; lease holders seen: ${JSON.stringify(holders)}\n${replicas.map((r) => `--- ${r.identity} (last 3000 chars of its log)\n${r.log().slice(-3000)}`).join("\n")}\n`);
        throw err;
      } finally {
        // A failure must not leave slowed writes, a subscription or running replicas to the next test.
        unsubscribe();
        emu.faults.clear();
        for (const r of replicas) r.proc.kill("SIGKILL");
      }
    }, 60_000);

    async function shutDownWhileBusy(holders: string[], replicas: Replica[]): Promise<void> {
      const a = await startReplica(spec, kubeconfig, `${name}-stop-a`);
      started.push(a);
      replicas.push(a);
      await until(`${name}-a to lead`, () => (holder(lease) === a.identity ? true : undefined));
      // b's release (stalled below) is bounded by 2 × its retry period: 3 s, not 600 ms, so the
      // second signal always lands while it is stuck.
      const b = await startReplica(spec, kubeconfig, `${name}-stop-b`, SLOW_LEASE_FLAGS);
      started.push(b);
      replicas.push(b);
      await until(`${name}-a to be ready`, async () => ((await fetch(`${a.url}/readyz`)).status === 200 ? true : undefined));

      // Busy: watches open, pods churning, and every write of the leader slowed so one is in flight.
      emu.faults.addLatency(400, { method: "PUT", resource: "devopspolicies" });
      emu.faults.addLatency(400, { method: "PATCH", resource: "devopspolicies" });
      emu.faults.addLatency(400, { method: "POST", resource: "events" });
      const churn = (async () => {
        for (let i = 0; i < 10; i++) {
          await churnPod();
          await Bun.sleep(30);
        }
      })();
      await Bun.sleep(300);
      // A precondition, not the claim under test: on a loaded CI machine the leader may still be
      // opening its watches 300 ms in.
      await until(`${name}-a's watches to be open`, () => (emu.watchCount > 0 ? true : undefined), 5_000);
      a.proc.kill("SIGTERM");
      const code = await exitWithin(a.proc, graceSeconds(name));
      await churn;
      emu.faults.clear();
      expect(code).toBe(0);
      expect(a.log()).toContain("SIGTERM received");
      await until(`${name}-b to take the released lease`, () => (holder(lease) === b.identity ? true : undefined), 10_000);
      // Released (holder cleared) before b took it: b did not wait out a's lease.
      expect(holders.filter((h, i) => i === 0 || h !== holders[i - 1])).toEqual([a.identity, "", b.identity]);

      // A second signal while the shutdown is stuck (the lease release hangs) exits at once. b must
      // know it leads first: the store shows its acquisition before b has read the answer, and a
      // replica that does not lead has nothing to release and exits 0 at once.
      await until(`${name}-b to report itself leader`, async () => ((await leaderGauge(b)) === 1 ? true : undefined), 5_000);
      emu.faults.addLatency(60_000, { method: "PUT", resource: "leases" });
      b.proc.kill("SIGTERM");
      await until(`${name}-b to begin its shutdown`, () => (b.log().includes("SIGTERM received") ? true : undefined), 5_000);
      b.proc.kill("SIGINT");
      expect(await exitWithin(b.proc, 5)).toBe(130);
      expect(b.log()).toContain("second SIGINT, exiting now");
    }
  });
}

describe("webhook serve: SIGTERM with requests in flight", () => {
  test("every request in flight on a keep-alive connection completes, then exit 0 within the grace period", async () => {
    const wh = await startWebhook(emu);
    started.push(wh);
    await until("webhook ready", async () => ((await fetch(`${wh.url}/readyz`, { tls: { ca: wh.ca } })).status === 200 ? true : undefined));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // Warm the keep-alive sockets, then leave 8 requests half-sent across the SIGTERM.
    await Promise.all(Array.from({ length: 8 }, (_, i) => {
      const r = admitInTwoHalves(wh, agent, `warm-${i}`, "nginx:1.27");
      r.finish();
      return r.verdict;
    }));
    const inFlight = Array.from({ length: 8 }, (_, i) => admitInTwoHalves(wh, agent, `inflight-${i}`, i % 2 ? "nginx:latest" : "nginx:1.27"));
    await Promise.all(inFlight.map((r) => r.sent));
    await Bun.sleep(100);
    wh.proc.kill("SIGTERM");
    await until("the webhook to begin its shutdown", () => (wh.log().includes("SIGTERM received") ? true : undefined), 5_000);
    await Bun.sleep(200);
    for (const r of inFlight) r.finish();
    const verdicts = await Promise.allSettled(inFlight.map((r) => r.verdict));
    expect(verdicts.map((v) => (v.status === "fulfilled" ? v.value.uid : String(v.reason)))).toEqual(inFlight.map((_, i) => `inflight-${i}`));
    expect(verdicts.every((v) => v.status === "fulfilled" && v.value.allowed)).toBe(true); // the policy audits (no enforce): allowed
    expect(await exitWithin(wh.proc, graceSeconds("webhook"))).toBe(0);
    agent.destroy();
  }, 60_000);

  test("a second signal during a stuck shutdown exits at once", async () => {
    const wh = await startWebhook(emu);
    started.push(wh);
    const agent = new Agent({ keepAlive: true });
    // A request that never finishes keeps the graceful drain waiting.
    const stuck = admitInTwoHalves(wh, agent, "stuck", "nginx:1.27");
    stuck.verdict.catch(() => undefined); // cut when the process exits
    await stuck.sent;
    wh.proc.kill("SIGTERM");
    await until("the webhook to begin its shutdown", () => (wh.log().includes("SIGTERM received") ? true : undefined), 5_000);
    wh.proc.kill("SIGINT");
    expect(await exitWithin(wh.proc, 5)).toBe(130);
    expect(wh.log()).toContain("second SIGINT, exiting now");
    agent.destroy();
  }, 30_000);
});
