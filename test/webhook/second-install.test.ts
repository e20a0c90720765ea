/**
 * A second install (decision 0035), end to end: `webhook serve --self-managed` of an install in
 * team-b (compiled binary, periodic check every second) against the API emulator, where the
 * webhook configuration still calls team-a's Service. It never patches that configuration, says
 * so once as an error naming both namespaces, and takes the configuration up as soon as it calls
 * team-b's Service (the user moved the install).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import type { RequestAttributes } from "../kube/hooks.ts";
import { ensureBinary } from "../support/binary.ts";

const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
const NAME = "kube-devops-webhook";
const TEAM_A_BUNDLE = Buffer.from("team-a's CA bundle").toString("base64");
type Vwc = { metadata: { resourceVersion?: string }; webhooks: Array<{ clientConfig: { caBundle?: string; service?: { namespace?: string } } }> };

let emu: Emulator;
let dir: string;
let stderr: string[] = [];
let proc: ReturnType<typeof Bun.spawn> | undefined;
const requests: RequestAttributes[] = [];

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve().then(fn).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${stderr.join("")}`);
    await Bun.sleep(50);
  }
}

function records(): Array<Record<string, unknown>> {
  return stderr.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const getVwc = () => emu.store.get(VWCS, undefined, NAME) as unknown as Vwc;
const vwcPatches = () => requests.filter((r) => r.resource === "validatingwebhookconfigurations" && r.verb === "patch");
const secretReads = () => requests.filter((r) => r.resource === "secrets" && r.verb === "get").length;
const ownerErrors = () => records().filter((l) => l.level === "error" && typeof l.msg === "string" && l.msg.startsWith(`the webhook configuration ${NAME} calls the Service team-a/kube-devops-webhook`));

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-second-install-"));
  for (const name of ["team-a", "team-b"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  // install A's configuration, its caBundle set by A's webhook
  await emu.store.create(VWCS, renderWebhookConfiguration({ caBundle: TEAM_A_BUNDLE, namespace: "team-a" }) as never);
  const rbac = emu.hooks.authorize;
  emu.hooks.authorize = (attrs) => {
    requests.push(attrs);
    return rbac ? rbac(attrs) : { allowed: true };
  };
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--self-managed", "--addr", "127.0.0.1:0", "--cert-check-interval", "1", "--namespace", "team-b", "--kubeconfig", kubeconfig, "--log-format", "json", "--log-level", "debug"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
    stdout: "ignore",
    stderr: "pipe",
  });
  void (async () => {
    for await (const chunk of proc?.stderr as ReadableStream<Uint8Array>) stderr.push(new TextDecoder().decode(chunk));
  })();
  await until("the webhook listening", () => (stderr.join("").includes('"url":"https:') ? true : undefined), 60_000);
}, 90_000);

afterAll(async () => {
  proc?.kill("SIGKILL");
  await emu?.stop();
});

describe("webhook serve --self-managed of a second install (team-b) beside team-a's configuration", () => {
  test("leaves team-a's configuration alone across periodic checks and logs one error naming both namespaces and the fix", async () => {
    const before = getVwc().metadata.resourceVersion;
    // the start's check and at least three periodic ones (each re-reads the Secret first)
    await until("three periodic checks", () => (secretReads() >= 4 ? true : undefined));
    await until("the watch to judge the configuration", () => records().find((l) => l.msg === "webhook configuration seen"));
    expect(vwcPatches()).toEqual([]);
    const vwc = getVwc();
    expect(vwc.metadata.resourceVersion).toBe(before);
    expect(vwc.webhooks.map((w) => [w.clientConfig.service?.namespace, w.clientConfig.caBundle])).toEqual([["team-a", TEAM_A_BUNDLE]]);
    const errors = ownerErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ configuration: NAME, service: "team-b/kube-devops-webhook", owner: "team-a/kube-devops-webhook" });
    expect(String(errors[0]?.msg)).toContain("belongs to the kube-devops install in namespace team-a");
    expect(String(errors[0]?.hint)).toContain("kube-devops runs once per cluster");
    expect(proc?.exitCode).toBeNull();
  });

  test("a configuration pointed at team-b (the install moved) gets team-b's caBundle from the watch", async () => {
    const current = getVwc();
    await emu.store.update(VWCS, { ...renderWebhookConfiguration({ caBundle: "", namespace: "team-b" }), metadata: { ...(current.metadata as object), name: NAME } } as never);
    const taken = await until("team-b's caBundle published", () => {
      const vwc = getVwc();
      const bundle = vwc.webhooks[0]?.clientConfig.caBundle;
      return bundle && Buffer.from(bundle, "base64").toString().includes("BEGIN CERTIFICATE") ? vwc : undefined;
    });
    expect(taken.webhooks[0]?.clientConfig.service?.namespace).toBe("team-b");
    await until("the all-clear log line", () => records().find((l) => l.msg === `the webhook configuration ${NAME} calls this install's Service team-b/kube-devops-webhook again`));
    expect(vwcPatches().length).toBeGreaterThanOrEqual(1);
    expect(ownerErrors()).toHaveLength(1);
  });

  test("a configuration emptied of Service webhooks (url only) is named once as a warning, not greeted as ours; its return is", async () => {
    const current = getVwc() as unknown as { metadata: object; webhooks: Array<Record<string, unknown>> };
    const urlOnly = { ...current, webhooks: current.webhooks.map((w) => ({ ...w, clientConfig: { url: "https://example.invalid/validate" } })) };
    await emu.store.update(VWCS, urlOnly as never);
    const none = () => records().filter((l) => l.level === "warn" && l.msg === `the webhook configuration ${NAME} calls no Service (its webhooks are gone or use url): the API server sends this webhook nothing`);
    await until("the warning", () => (none().length === 1 ? true : undefined));
    const agains = () => records().filter((l) => typeof l.msg === "string" && l.msg.endsWith("calls this install's Service team-b/kube-devops-webhook again"));
    const before = agains().length;
    const secretReadsAt = secretReads();
    await until("two more periodic checks", () => (secretReads() >= 2 + secretReadsAt ? true : undefined));
    expect(none()).toHaveLength(1);
    expect(agains()).toHaveLength(before);
    const now = getVwc();
    await emu.store.update(VWCS, { ...renderWebhookConfiguration({ caBundle: "", namespace: "team-b" }), metadata: { ...(now.metadata as object), name: NAME } } as never);
    await until("the all-clear after the warning", () => (agains().length === before + 1 ? true : undefined));
  });
});
