/**
 * The caBundle watch in process against the API emulator (a real list+watch, a ManualClock for the
 * pacing): a configuration that lacks the bundle is repaired at once; when someone keeps resetting
 * it, repairs in a row wait 1 s, 2 s, 4 s … and the log says why; after a quiet minute the next
 * repair is immediate again. `repair` here writes the bundle itself (in the webhook it is the
 * certificate manager's check).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderWebhookConfiguration } from "../../gen/webhook-configuration.ts";
import { ManualClock } from "../../lib/kube/clock.ts";
import { connect } from "../../lib/kube/connect.ts";
import { createLogger } from "../../lib/log.ts";
import { DEFAULT_REPAIR_PACING, repairDelayMs, watchCaBundle } from "../../lib/webhook/ca-bundle-watch.ts";
import { createCertificateAuthority } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";

const VWCS = "validatingwebhookconfigurations.admissionregistration.k8s.io";
const NAME = "kube-devops-webhook";
const SERVICE = { name: "kube-devops-webhook", namespace: "kube-devops" };
type Vwc = { metadata: Record<string, unknown>; webhooks: Array<{ clientConfig: { caBundle?: string } }> };

let emu: Emulator;
let ca: string;

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Sets every webhook's caBundle (as an outside writer would: a GitOps sync, or our repair). */
async function setBundle(caBundle: string): Promise<void> {
  const vwc = emu.store.get(VWCS, undefined, NAME) as unknown as Vwc;
  await emu.store.update(VWCS, { ...vwc, webhooks: vwc.webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle } })) } as never);
}

beforeAll(async () => {
  emu = await startEmulator();
  ca = (await createCertificateAuthority({ validityDays: 10, now: new Date() })).cert;
  const vwc = renderWebhookConfiguration({ caBundle: "" }) as unknown as Vwc;
  for (const hook of vwc.webhooks) delete hook.clientConfig.caBundle;
  await emu.store.create(VWCS, vwc as never);
});
afterAll(() => emu?.stop());

describe("watchCaBundle", () => {
  test("the first repair at once, then doubling from base to the cap", () => {
    const pacing = { baseMs: 1000, maxMs: 60_000, quietMs: 60_000 };
    expect([0, 1, 2, 3, 6, 7, 40].map((n) => repairDelayMs(n, pacing))).toEqual([0, 1000, 2000, 4000, 32_000, 60_000, 60_000]);
    expect(repairDelayMs(0, DEFAULT_REPAIR_PACING)).toBe(0);
  });

  test("repairs a missing bundle at once; a bundle reset again and again is repaired with growing pauses; stops on abort", async () => {
    const kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-cabw-")), "kubeconfig"));
    const { client } = connect({ kubeconfig, env: {}, rateLimit: false });
    const clock = new ManualClock(Date.now());
    const lines: string[] = [];
    const logger = createLogger({ format: "json", level: "debug", write: (l) => void lines.push(l) });
    const good = Buffer.from(ca).toString("base64");
    let repairs = 0;
    const watch = watchCaBundle({ client, name: NAME, service: SERVICE, logger, clock, desired: () => ca, repair: async () => { repairs++; await setBundle(good); } });
    const ctrl = new AbortController();
    const running = watch.start(ctrl.signal);

    await until("the first repair (the configuration had no bundle)", () => (repairs === 1 ? true : undefined));
    expect(clock.pending).toBe(0); // no pause before the first one

    // reset by someone else, three times in a row: 1 s, then 2 s, then 4 s before each repair
    for (const [n, pause] of [[2, 1000], [3, 2000], [4, 4000]] as const) {
      await until(`repair ${n - 1} seen by the watch`, () => (lines.some((l) => l.includes('"lacksBundle":false')) ? true : undefined));
      lines.length = 0;
      await setBundle("");
      await until(`the pause before repair ${n}`, () => (clock.pending === 1 ? true : undefined));
      await clock.advance(pause - 1);
      expect(repairs).toBe(n - 1);
      await clock.advance(1);
      await until(`repair ${n}`, () => (repairs === n ? true : undefined));
    }
    expect(lines.some((l) => l.includes("keeps being reset"))).toBe(true);

    // a quiet minute later, the next reset is repaired at once again
    await until("the last repair seen by the watch", () => (lines.some((l) => l.includes('"lacksBundle":false')) ? true : undefined));
    await clock.advance(DEFAULT_REPAIR_PACING.quietMs);
    await setBundle("");
    await until("an immediate repair after a quiet spell", () => (repairs === 5 ? true : undefined));

    // a change that leaves the bundle alone is no reason to repair
    await until("the repair seen by the watch", () => (lines.filter((l) => l.includes('"lacksBundle":false')).length >= 2 ? true : undefined));
    const vwc = emu.store.get(VWCS, undefined, NAME) as unknown as Vwc;
    const labelled = (await emu.store.update(VWCS, { ...vwc, metadata: { ...vwc.metadata, labels: { team: "platform" } } } as never)) as unknown as Vwc;
    await until("the label change judged", () => lines.find((l) => l.includes(`"resourceVersion":"${String(labelled.metadata.resourceVersion)}"`)));
    expect(lines.find((l) => l.includes(`"resourceVersion":"${String(labelled.metadata.resourceVersion)}"`))).toContain('"lacksBundle":false');
    expect(repairs).toBe(5);

    ctrl.abort();
    await running;
    expect(repairs).toBe(5);
  });
});
