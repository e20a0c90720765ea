/**
 * Reliability: the DevOpsPolicy CRD deleted while watch, reconcile and webhook serve run (the
 * compiled binaries), then installed again, twice. Each component says the CRD went, says it
 * came back, and says so again the second time — the "absent" warning used to be reset only by
 * a process's first list, so a second deletion went unreported — and policies apply again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CUSTOM_RESOURCE_DEFINITIONS, DEVOPS_POLICIES, PODS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { eventually, installCrds, prepareCluster, testPod, testPolicy, type Cluster } from "../operator/support.ts";
import { ensureBinary } from "../support/binary.ts";

const CRD = "devopspolicies.devops.stochastic.io";
let emu: Emulator;
let cluster: Cluster;
const procs: { name: string; proc: ReturnType<typeof Bun.spawn>; log: () => string }[] = [];

function spawn(name: string, args: string[], home: string) {
  const proc = Bun.spawn([ensureBinary(), ...args, "--kubeconfig", cluster.kubeconfigPath, "--log-format", "json"], { stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home } });
  let text = "";
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += new TextDecoder().decode(chunk);
  })();
  procs.push({ name, proc, log: () => text });
}

/** How many log lines of `name` carry `message`. */
function count(name: string, message: string): number {
  const log = procs.find((p) => p.name === name)!.log();
  return log.split("\n").filter((l) => l.includes(`"msg":"${message}`)).length;
}

/** Waits until each component logged `message` (a prefix) `times` times. */
async function everyoneSaid(messages: Record<string, string>, times: number, what: string): Promise<void> {
  await eventually(async () => (Object.entries(messages).every(([name, m]) => count(name, m) >= times) ? true : undefined), `${what}; logs:\n${procs.map((p) => `${p.name}:\n${p.log()}`).join("\n")}`, 20_000);
}

const ABSENT = { watch: "policies_crd_absent", reconcile: "policies_crd_absent", webhook: "the DevOpsPolicy CRD was deleted" };
const RESTORED = { watch: "policies_crd_restored", reconcile: "policies_crd_restored", webhook: "the DevOpsPolicy CRD is installed again" };

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"]);
  await cluster.client.create(PODS, testPod("bad", "prod", true));
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
  const dir = mkdtempSync(join(tmpdir(), "kd-crd-reinstall-"));
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  const paths = writeCertificateSet(dir, certs);
  spawn("watch", ["watch", "--no-leader-elect", "--metrics-addr", "127.0.0.1:0"], dir);
  spawn("reconcile", ["reconcile", "--no-leader-elect", "--metrics-addr", "127.0.0.1:0", "--pod-debounce", "100ms"], dir);
  spawn("webhook", ["webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", paths.tlsCert, "--tls-key", paths.tlsKey, "--cert-check-interval", "60"], dir);
  await everyoneSaid({ watch: "policies_synced", reconcile: "leader_acquired", webhook: "policy cache synced" }, 1, "all three components started");
});

afterAll(async () => {
  for (const p of procs) p.proc.kill("SIGKILL");
  await emu.stop();
});

describe("the DevOpsPolicy CRD deleted and installed again while the controllers run", () => {
  test("every component reports each deletion and each return, and policies apply again", async () => {
    for (const round of [1, 2]) {
      await cluster.client.delete(CUSTOM_RESOURCE_DEFINITIONS, CRD);
      await everyoneSaid(ABSENT, round, `deletion ${round} reported by every component`);
      await installCrds(cluster.client);
      await cluster.client.create(DEVOPS_POLICIES, testPolicy("team", "prod", { forbidLatestTag: true }));
      await everyoneSaid(RESTORED, round, `return ${round} reported by every component`);
      const status = await eventually(async () => {
        const policy = await cluster.client.get<KubeObject & { status?: { violations?: number } }>(DEVOPS_POLICIES, "team", { namespace: "prod" });
        return policy.status?.violations === 1 ? policy.status : undefined;
      }, `the re-created policy evaluated (round ${round})`);
      expect(status.violations).toBe(1);
    }
    for (const name of ["watch", "reconcile", "webhook"] as const) {
      expect(count(name, ABSENT[name])).toBe(2);
      expect(count(name, RESTORED[name])).toBe(2);
    }
  }, 60_000);
});
