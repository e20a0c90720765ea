/**
 * Reliability: the webhook's API side under chaos. While it answers a steady
 * stream of admissions, the emulator drops and cuts its DevOpsPolicy watch,
 * compacts history (410 → relist), answers the policy list with 429 +
 * Retry-After and 500 bursts, slows down, and restarts its listener. Every
 * review is answered with the right verdict from the last known policies,
 * readiness holds and is Ready at the end, a policy created during the chaos is
 * enforced, and the retries stay bounded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renderDevOpsPolicyCrd } from "../../gen/crd.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { until } from "./replicas.ts";
import { countRequests } from "./request-counter.ts";
import { admit, startWebhook, type Verdict, type WebhookProcess } from "./webhook-process.ts";

let emu: Emulator;
let wh: WebhookProcess;
const POLICIES = "devopspolicies.devops.stochastic.io";

function enforceNoLatest(name: string, namespace: string) {
  return { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name, namespace }, spec: { forbidLatestTag: true, enforcementMode: "enforce" } };
}

async function readyz(): Promise<number> {
  return (await fetch(`${wh.url}/readyz`, { tls: { ca: wh.ca } })).status;
}

beforeAll(async () => {
  emu = await startEmulator();
  await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", renderDevOpsPolicyCrd() as never);
  for (const name of ["prod", "late"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } } as never);
  await emu.store.create(POLICIES, enforceNoLatest("no-latest", "prod") as never, { namespace: "prod" });
  wh = await startWebhook(emu);
  await until("the webhook to be ready", async () => ((await readyz()) === 200 ? true : undefined));
  await until("the policy to reach the cache", async () => ((await admit(wh, "probe", "nginx:latest")).allowed ? undefined : true));
});

afterAll(async () => {
  wh?.proc.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve under API chaos", () => {
  test("every admission answered correctly, readiness holds, a policy created meanwhile is enforced, bounded retries", async () => {
    const counter = countRequests(emu, "/devopspolicies");
    let stop = false;
    let seq = 0;
    const answers: Array<{ uid: string; image: string; verdict?: Verdict; error?: string }> = [];
    const readiness: number[] = [];
    const client = async (): Promise<void> => {
      while (!stop) {
        const uid = `r-${seq++}`;
        const image = seq % 2 ? "nginx:latest" : "nginx:1.27";
        try {
          answers.push({ uid, image, verdict: await admit(wh, uid, image) });
        } catch (err) {
          answers.push({ uid, image, error: String(err) });
        }
        await Bun.sleep(10);
      }
    };
    const clients = [client(), client(), client()];
    const prober = (async () => {
      while (!stop) {
        readiness.push(await readyz().catch(() => 0));
        await Bun.sleep(100);
      }
    })();

    // Dropped and cut watches.
    emu.faults.dropWatches();
    await Bun.sleep(300);
    emu.faults.dropWatches({ abrupt: true });
    await Bun.sleep(300);
    // Compaction: the resumed watch gets 410 and the cache relists.
    await advanceAndCompact();
    emu.faults.dropWatches({ abrupt: true });
    await Bun.sleep(500);
    // Throttled relists (429 + Retry-After), then a 500 burst, with slow responses.
    counter.noteFaults(3);
    emu.faults.failNext(3, { resource: "devopspolicies", status: 429, retryAfterSeconds: 1 });
    await advanceAndCompact();
    emu.faults.dropWatches({ abrupt: true });
    await until("the 429s to be used up", () => (emu.faults.pendingFailures === 0 ? true : undefined), 15_000);
    counter.noteFaults(5);
    emu.faults.failNext(5, { resource: "devopspolicies", status: 500 });
    emu.faults.addLatency(200, { resource: "devopspolicies" });
    emu.faults.dropWatches({ abrupt: true });
    // A policy created while the cache cannot list.
    await emu.store.create(POLICIES, enforceNoLatest("late-policy", "late") as never, { namespace: "late" });
    await until("the 500s to be used up", () => (emu.faults.pendingFailures === 0 ? true : undefined), 15_000);
    // The listener goes away and comes back (connections cut).
    await emu.restart();
    emu.faults.clear();
    const faultedRequests = counter.count();

    const late = await until("the policy created during the chaos to be enforced", async () => {
      const v = await admitIn("late");
      return v.allowed ? undefined : v;
    }, 20_000);
    expect(late.message).toContain(":latest");
    await until("Ready after the chaos", async () => ((await readyz()) === 200 ? true : undefined), 10_000);
    stop = true;
    await Promise.all([...clients, prober]);
    counter.stop();

    expect(wh.proc.exitCode).toBeNull();
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(answers.filter((a) => a.verdict?.uid !== a.uid)).toEqual([]);
    // The last known policies keep being enforced through the chaos: no fail-open needed.
    expect(answers.filter((a) => a.verdict?.allowed !== (a.image === "nginx:1.27")).map((a) => a.uid)).toEqual([]);
    expect(readiness.filter((s) => s !== 200)).toEqual([]);
    // Each fault costs a few requests (list, watch, retries with backoff), never a hot loop.
    expect(faultedRequests).toBeGreaterThanOrEqual(8);
    expect(faultedRequests).toBeLessThanOrEqual(60);
  }, 60_000);
});

let configmaps = 0;
/** Writes an unrelated object so the watch's resourceVersion is history, then compacts: the resume gets 410. */
async function advanceAndCompact(): Promise<void> {
  await emu.store.create("configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `bump-${configmaps++}`, namespace: "prod" } } as never, { namespace: "prod" });
  emu.faults.compact();
}

async function admitIn(namespace: string): Promise<Verdict> {
  const body = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "late", kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace, operation: "CREATE", userInfo: { username: "alice" }, object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace }, spec: { containers: [{ name: "app", image: "nginx:latest" }] } } } });
  const res = await fetch(`${wh.url}/validate`, { method: "POST", body, headers: { "Content-Type": "application/json" }, tls: { ca: wh.ca } });
  const { response } = (await res.json()) as { response: { uid: string; allowed: boolean; status?: { message?: string } } };
  return { uid: response.uid, allowed: response.allowed, ...(response.status?.message ? { message: response.status.message } : {}) };
}
