/**
 * The compiled operator in enforce mode against the API emulator: what it cannot
 * fix (a container with no port to probe, a native sidecar) is listed in the
 * DevOpsPolicy's status with why, said in one `Unresolved` Event — not one per
 * requeue, not again after a restart — and the `Remediated` Event of a patched
 * two-container Deployment names each container's fields.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { DAEMONSETS, DEPLOYMENTS, DEVOPS_POLICIES, EVENTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { DevOpsPolicyStatus } from "../../lib/policy/schema.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { ensureBinary } from "../support/binary.ts";
import { eventually, prepareCluster, testPolicy, type Cluster } from "../operator/support.ts";
import { deployment, sidecarDaemonSet } from "./workloads.ts";

type Operator = { proc: Subprocess<"ignore", "ignore", "pipe">; url: string };
type Event = KubeObject & { reason: string; message: string; type: string; involvedObject: { kind: string; name: string } };

let emu: Emulator;
let cluster: Cluster;
const running: Subprocess[] = [];
const NS = "team-b";

beforeAll(async () => {
  ensureBinary();
  emu = await startEmulator();
  cluster = await prepareCluster(emu, [NS]);
  await cluster.client.create(DEPLOYMENTS, deployment("worker", NS, [{ name: "w", image: "worker:2" }]), { namespace: NS });
  await cluster.client.create(DEPLOYMENTS, deployment("pair", NS, [{ name: "app", image: "a:1", ports: [{ containerPort: 8080 }] }, { name: "proxy", image: "p:1", ports: [{ containerPort: 9090 }] }]), { namespace: NS });
  await cluster.client.create(DAEMONSETS, sidecarDaemonSet(NS), { namespace: NS });
});

afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await emu.stop();
});

async function startOperator(): Promise<Operator> {
  const proc = Bun.spawn(
    [ensureBinary(), "reconcile", "--kubeconfig", cluster.kubeconfigPath, "--log-format", "json", "--metrics-addr", "127.0.0.1:0", "--no-leader-elect", "--requeue-interval", "1s", "--pod-debounce", "50ms", "--audit-retention", "0"],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", POD_NAMESPACE: "kube-devops" } },
  );
  running.push(proc);
  let buffer = "";
  void (async () => {
    for await (const chunk of proc.stderr) buffer += new TextDecoder().decode(chunk);
  })();
  const line = await eventually(async () => buffer.split("\n").find((l) => l.includes('"operator_started"')), "operator start");
  return { proc, url: JSON.parse(line).metrics as string };
}

async function reconciles(op: Operator): Promise<number> {
  const text = await (await fetch(`${op.url}/metrics`)).text();
  return Number(text.split("\n").find((l) => l.startsWith("devopspolicy_reconcile_total "))?.split(" ")[1] ?? 0);
}

/** Waits until at least `n` more reconciles ran (each one re-plans the namespace). */
async function cycles(op: Operator, n: number): Promise<void> {
  const start = await reconciles(op);
  await eventually(async () => ((await reconciles(op)) >= start + n ? true : undefined), `${n} reconciles`, 15_000);
}

const status = async (): Promise<DevOpsPolicyStatus | undefined> => (await cluster.client.get<KubeObject & { status?: DevOpsPolicyStatus }>(DEVOPS_POLICIES, "strict", { namespace: NS })).status;
const events = async (reason: string): Promise<Event[]> => (await cluster.client.listAll<Event>(EVENTS, { namespace: NS })).items.filter((e) => e.reason === reason);

test("status lists what enforcement cannot fix, with why; one Unresolved Event, not one per requeue or restart", async () => {
  let op = await startOperator();
  await cluster.client.create(DEVOPS_POLICIES, testPolicy("strict", NS, { requireReadinessProbe: true, enforcementMode: "enforce" }));

  const listed = await eventually(async () => {
    const s = await status();
    return s?.unresolvedCount === 2 && s.remediatedWorkloads?.length === 1 ? s : undefined;
  }, "the unresolved list in status");
  expect(listed.unresolved).toEqual([
    { workload: `daemonset/${NS}/logs`, container: "shipper", reason: "native sidecar: not remediated, see decision 0026 (missing_readiness)" },
    { workload: `deployment/${NS}/worker`, container: "w", reason: "needs a readiness probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)" },
  ]);
  expect(listed.remediatedWorkloads).toEqual([`deployment/${NS}/pair`]);

  const remediated = await eventually(async () => {
    const found = (await events("Remediated")).filter((e) => e.involvedObject.name === "pair");
    return found.length > 0 ? found : undefined;
  }, "the Remediated Event");
  expect(remediated.map((e) => e.message)).toEqual([`DevOpsPolicy ${NS}/strict: container app: readinessProbe tcpSocket :8080; container proxy: readinessProbe tcpSocket :9090`]);

  await cycles(op, 3);
  const once = await events("Unresolved");
  expect(once.map((e) => [e.type, e.involvedObject.kind, e.involvedObject.name])).toEqual([["Warning", "DevOpsPolicy", "strict"]]);
  expect(once[0]?.message).toBe(
    `Enforcement cannot remediate 2 item(s): daemonset/${NS}/logs container shipper: native sidecar: not remediated, see decision 0026 (missing_readiness); ` +
      `deployment/${NS}/worker container w: needs a readiness probe, port unknown (the container declares no port and the policy sets no defaultProbe.tcpPort)`,
  );

  // A restarted operator reads the list from the stored status: nothing new to say.
  op.proc.kill("SIGTERM");
  await op.proc.exited;
  op = await startOperator();
  await cycles(op, 3);
  expect(await events("Unresolved")).toHaveLength(1);

  // Fixed by hand: the list shrinks (one more Event says what is left) and then stays quiet.
  const worker = await cluster.client.get<ReturnType<typeof deployment>>(DEPLOYMENTS, "worker", { namespace: NS });
  (worker.spec.template.spec.containers[0] as Record<string, unknown>).readinessProbe = { exec: { command: ["true"] } };
  await cluster.client.update(DEPLOYMENTS, worker, { namespace: NS });
  const shrunk = await eventually(async () => ((await status())?.unresolvedCount === 1 ? await status() : undefined), "the list without the worker");
  expect(shrunk?.unresolved?.map((u) => u.workload)).toEqual([`daemonset/${NS}/logs`]);
  await cycles(op, 2);
  expect((await events("Unresolved")).map((e) => e.message.split(":")[0]).sort()).toEqual(["Enforcement cannot remediate 1 item(s)", "Enforcement cannot remediate 2 item(s)"]);
});
