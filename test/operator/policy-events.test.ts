/**
 * The operator's Events against the emulator: a repeat of the same Event about the same policy
 * within ten minutes bumps the first one's count, as client-go's recorder does, instead of
 * adding an Event per requeue; a different message, a later repeat or a vanished Event creates one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EVENTS } from "../../lib/kube/resources.ts";
import { createLogger } from "../../lib/log.ts";
import { EVENT_REPEAT_WINDOW_MS, PolicyEvents } from "../../lib/operator/events.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { prepareCluster, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;
const policy = { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name: "team", namespace: "prod", uid: "u-team" } };
type Ev = { metadata: { name: string }; message: string; count: number; firstTimestamp: string; lastTimestamp: string };

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["prod"]);
});

afterAll(async () => {
  await emu.stop();
});

async function events(): Promise<Ev[]> {
  const { items } = await cluster.client.listAll<Ev & { metadata: { name: string } }>(EVENTS, { namespace: "prod" });
  return (items as Ev[]).sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp) || a.message.localeCompare(b.message));
}

describe("PolicyEvents", () => {
  test("repeats fold into one Event's count; another message, a repeat after the window, or a deleted Event makes a new one", async () => {
    const recorder = new PolicyEvents({ client: cluster.client, logger: createLogger({ level: "silent" }) });
    const t0 = new Date("2026-11-26T10:00:00Z");
    const failed = { type: "Warning" as const, reason: "Enforced", message: "Remediated 0 workload(s), 1 failed" };
    for (let i = 0; i < 3; i++) await recorder.emit(policy, { ...failed, now: new Date(t0.getTime() + i * 30_000) });
    expect((await events()).map((e) => [e.message, e.count, e.lastTimestamp])).toEqual([[failed.message, 3, "2026-11-26T10:01:00.000Z"]]);

    await recorder.emit(policy, { ...failed, message: "Remediated 0 workload(s), 2 failed", now: new Date(t0.getTime() + 90_000) });
    expect((await events()).map((e) => [e.message, e.count])).toEqual([[failed.message, 3], ["Remediated 0 workload(s), 2 failed", 1]]);

    // past the window since the last repeat: a new Event
    await recorder.emit(policy, { ...failed, now: new Date(t0.getTime() + 60_000 + EVENT_REPEAT_WINDOW_MS) });
    expect((await events()).filter((e) => e.message === failed.message).map((e) => e.count)).toEqual([3, 1]);

    // the Event it would bump is gone (TTL, someone deleted it): created again, not lost
    for (const e of await events()) await cluster.client.delete(EVENTS, e.metadata.name, { namespace: "prod" });
    await recorder.emit(policy, { ...failed, now: new Date(t0.getTime() + 90_000 + EVENT_REPEAT_WINDOW_MS) });
    expect((await events()).map((e) => [e.message, e.count])).toEqual([[failed.message, 1]]);
  });
});
