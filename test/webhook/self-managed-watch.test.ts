/**
 * `webhook serve --self-managed` (compiled binary, two replicas, periodic check an hour away)
 * against the API emulator: the watch on the ValidatingWebhookConfiguration sets the caBundle of a
 * configuration created after the webhook started, and restores it when the configuration is
 * deleted and re-created without it (kubectl replace, Argo CD, a reinstall) — the periodic check
 * cannot have done it; a change that leaves the bundle alone (a label) makes no request at all;
 * SIGTERM stops the watch and the process exits 0.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { readSecretData } from "../../lib/webhook/cert-plan.ts";
import { pemCertificates } from "../../lib/webhook/published-bundle.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import type { RequestAttributes } from "../kube/hooks.ts";
import { ensureBinary } from "../support/binary.ts";

const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
const NAME = "kube-devops-webhook";
type Vwc = { metadata: { resourceVersion?: string; labels?: Record<string, string> }; webhooks: Array<{ clientConfig: { caBundle?: string } }> };

let emu: Emulator;
let dir: string;
const replicas: Array<{ proc: ReturnType<typeof Bun.spawn>; stderr: string[] }> = [];
/** Every request the replicas made (they are the only HTTP clients here). */
const requests: RequestAttributes[] = [];
/** Secret writes (create, update) once both replicas were up: the first start's. */
let startupSecretWrites = 0;
const secretWrites = () => requests.filter((r) => r.resource === "secrets" && r.verb !== "get").length;

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve().then(fn).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${replicas.map((r) => r.stderr.join("")).join("\n---\n")}`);
    await Bun.sleep(50);
  }
}

/** The replica's JSON log records. */
function records(replica: { stderr: string[] }): Array<Record<string, unknown>> {
  return replica.stderr.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function startReplica(kubeconfig: string) {
  const stderr: string[] = [];
  const proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--self-managed", "--addr", "127.0.0.1:0", "--cert-check-interval", "3600", "--namespace", "kube-devops", "--kubeconfig", kubeconfig, "--log-format", "json", "--log-level", "debug"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdout: "ignore",
    stderr: "pipe",
  });
  void (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr.push(new TextDecoder().decode(chunk));
  })();
  replicas.push({ proc, stderr });
}

/** The configuration as the generated manifests ship it: no caBundle. */
function freshConfiguration() {
  const vwc = renderWebhookConfiguration({ caBundle: "" }) as unknown as Vwc;
  for (const hook of vwc.webhooks) delete hook.clientConfig.caBundle;
  return vwc;
}

const getVwc = () => emu.store.get(VWCS, undefined, NAME) as unknown as Vwc;

/** The certificates the Secret says the bundle must hold (at least its CA). */
function secretCa(): string {
  const certs = readSecretData((emu.store.get("secrets", "kube-devops", "kube-devops-webhook-tls") as { data?: unknown }).data);
  if (!certs) throw new Error("incomplete secret");
  return certs.ca.cert;
}

/** Waits until every webhook of the configuration carries the Secret's CA. */
function bundleRestored(what: string): Promise<Vwc> {
  return until(what, () => {
    const vwc = getVwc();
    const [ca] = pemCertificates(secretCa());
    const carries = vwc.webhooks.length > 0 && vwc.webhooks.every((w) => w.clientConfig.caBundle && pemCertificates(Buffer.from(w.clientConfig.caBundle, "base64").toString()).has(ca ?? "none"));
    return carries ? vwc : undefined;
  });
}

/** Waits until every replica judged the configuration's current version fine and has no repair in flight (each "publishing" line has its "done"). */
function repairsSettled(): Promise<true> {
  const count = (r: { stderr: string[] }, msg: string) => records(r).filter((l) => l.msg === msg).length;
  const judgedCurrent = (r: { stderr: string[] }) => {
    const last = records(r).filter((l) => l.msg === "webhook configuration seen").at(-1);
    return last?.resourceVersion === getVwc().metadata.resourceVersion && last?.lacksBundle === false;
  };
  return until("the replicas' repairs to finish", () => (replicas.every((r) => judgedCurrent(r) && count(r, "the webhook configuration lacks the CA bundle; publishing it") === count(r, "caBundle repair done")) ? true : undefined));
}

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-cabundle-watch-"));
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-devops" } });
  const rbac = emu.hooks.authorize;
  emu.hooks.authorize = (attrs) => {
    requests.push(attrs);
    return rbac ? rbac(attrs) : { allowed: true };
  };
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  // no configuration yet: as when the webhook's Deployment is applied before it
  startReplica(kubeconfig);
  startReplica(kubeconfig);
  await until("both replicas listening", () => (replicas.every((r) => r.stderr.join("").includes('"url":"https:')) ? true : undefined), 60_000);
  startupSecretWrites = secretWrites();
}, 90_000);

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve --self-managed: the caBundle follows the webhook configuration (two replicas)", () => {
  test("a configuration created after the start gets its caBundle from the watch; 'not found' was logged once per replica", async () => {
    await until("both replicas watching the configuration", () => (requests.filter((r) => r.resource === "validatingwebhookconfigurations" && r.verb === "watch" && r.name === NAME).length >= 2 ? true : undefined));
    await emu.store.create(VWCS, freshConfiguration() as never);
    await bundleRestored("the caBundle of the new configuration");
    for (const r of replicas) {
      expect(r.proc.exitCode).toBeNull();
      expect(records(r).filter((l) => l.msg === "webhook configuration not found; its caBundle will be set once it exists")).toHaveLength(1);
    }
  });

  test("deleted and re-created without caBundle: restored by the watch, not the hourly check", async () => {
    await emu.store.delete(VWCS, undefined, NAME);
    const recreated = (await emu.store.create(VWCS, freshConfiguration() as never)) as unknown as Vwc;
    expect(recreated.webhooks.every((w) => !w.clientConfig.caBundle)).toBe(true);
    const restored = await bundleRestored("the caBundle restored after the configuration was replaced");
    expect(pemCertificates(Buffer.from(restored.webhooks[0]?.clientConfig.caBundle ?? "", "base64").toString())).toEqual(pemCertificates(secretCa()));
    // each replica saw the deletion; the Secret was only read (no renewal: the bundle came from it as it was)
    for (const r of replicas) expect(records(r).some((l) => l.msg === "webhook configuration deleted; its caBundle is set again as soon as it is re-created")).toBe(true);
    expect(secretWrites()).toBe(startupSecretWrites);
  });

  test("a label change is judged by both replicas and makes no request; a reset bundle is repaired by exactly one write", async () => {
    await bundleRestored("the caBundle");
    await repairsSettled();
    const since = requests.length;
    const vwc = getVwc();
    const labelled = (await emu.store.update(VWCS, { ...vwc, metadata: { ...vwc.metadata, labels: { ...vwc.metadata.labels, team: "platform" } } } as never)) as unknown as Vwc;
    const rv = labelled.metadata.resourceVersion;
    // each replica logs its verdict on exactly this version: the bundle is there, nothing to do
    for (const r of replicas) {
      const verdict = await until(`replica ${replicas.indexOf(r)} to judge resourceVersion ${rv}`, () => records(r).find((l) => l.msg === "webhook configuration seen" && l.resourceVersion === rv));
      expect(verdict.lacksBundle).toBe(false);
    }
    const reads = (from: number) => requests.slice(from).filter((r) => (r.resource === "secrets" || r.resource === "validatingwebhookconfigurations") && r.verb !== "watch" && r.verb !== "list");
    expect(reads(since).map((r) => `${r.verb} ${r.resource}`)).toEqual([]);

    // now the bundle of one webhook is reset in place: both replicas see it lack the CA, one write repairs it
    const current = getVwc();
    const writesBefore = requests.filter((r) => r.resource === "validatingwebhookconfigurations" && r.verb === "patch").length;
    let modifications = 0;
    const unsubscribe = emu.store.subscribe((ev) => {
      if (ev.type === "MODIFIED" && (ev.object.metadata as { name?: string }).name === NAME) modifications++;
    }, { resource: VWCS });
    const reset = (await emu.store.update(VWCS, { ...current, webhooks: current.webhooks.map((w, i) => (i === 0 ? { ...w, clientConfig: { ...w.clientConfig, caBundle: Buffer.from("not a certificate").toString("base64") } } : w)) } as never)) as unknown as Vwc;
    await bundleRestored("the reset caBundle repaired");
    for (const r of replicas) await until("both replicas to see the repaired version", () => records(r).find((l) => l.msg === "webhook configuration seen" && Number(l.resourceVersion) > Number(reset.metadata.resourceVersion) && l.lacksBundle === false));
    unsubscribe();
    expect(modifications).toBe(2); // the reset, then one repair: the other replica's patch found it done or lost the resourceVersion test
    expect(requests.filter((r) => r.resource === "validatingwebhookconfigurations" && r.verb === "patch").length - writesBefore).toBeLessThanOrEqual(2);
  });

  test("SIGTERM stops the watches and each replica exits 0", async () => {
    for (const r of replicas) r.proc.kill("SIGTERM");
    const codes = await Promise.all(replicas.map((r) => r.proc.exited));
    expect(codes).toEqual([0, 0]);
    await until("the emulator to see every watch closed", () => (emu.watchCount === 0 ? true : undefined));
    expect(emu.watchCount).toBe(0);
  });
});
