/** The leader-election decision, client-go's algorithm, with explicit times. */
import { describe, expect, test } from "bun:test";
import { decideLease, leaseIdentity, recordFingerprint, releasedSpec, toMicroTime, type LeaseObject } from "../../lib/kube/lease-record.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const lease = (spec: LeaseObject["spec"]): LeaseObject => ({ metadata: { name: "l", namespace: "n", resourceVersion: "5" }, spec });
const held = (holder: string, transitions = 2) => lease({ holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: toMicroTime(T0 - 60_000), renewTime: toMicroTime(T0), leaseTransitions: transitions });

describe("decideLease", () => {
  test("no lease: create it with this identity and zero transitions", () => {
    const d = decideLease({ lease: undefined, observedAt: T0, identity: "a", now: T0, leaseDurationMs: 15_000 });
    expect(d).toEqual({ action: "create", spec: { holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: "2026-01-01T00:00:00.000000Z", renewTime: "2026-01-01T00:00:00.000000Z", leaseTransitions: 0 } });
  });
  test("someone else's lease is respected until leaseDuration after we saw it change", () => {
    expect(decideLease({ lease: held("b"), observedAt: T0, identity: "a", now: T0 + 14_999, leaseDurationMs: 15_000 })).toEqual({ action: "wait", holder: "b", expiresAt: T0 + 15_000 });
    const d = decideLease({ lease: held("b"), observedAt: T0, identity: "a", now: T0 + 15_000, leaseDurationMs: 15_000 });
    expect(d.action).toBe("update");
    if (d.action === "update") {
      expect(d.transition).toBe(true);
      expect(d.spec.holderIdentity).toBe("a");
      expect(d.spec.leaseTransitions).toBe(3);
      expect(d.spec.acquireTime).toBe(toMicroTime(T0 + 15_000));
    }
  });
  test("expiry uses our observation time, not the holder's renewTime (clock skew)", () => {
    // The holder's clock runs an hour behind: its renewTime looks ancient, but we only just saw it change.
    const skewed = lease({ holderIdentity: "b", leaseDurationSeconds: 15, renewTime: toMicroTime(T0 - 3_600_000) });
    expect(decideLease({ lease: skewed, observedAt: T0, identity: "a", now: T0 + 1_000, leaseDurationMs: 15_000 }).action).toBe("wait");
  });
  test("renewing our own lease keeps acquireTime and transitions", () => {
    const d = decideLease({ lease: held("a", 4), observedAt: T0, identity: "a", now: T0 + 2_000, leaseDurationMs: 15_000 });
    expect(d).toMatchObject({ action: "update", transition: false, spec: { holderIdentity: "a", acquireTime: toMicroTime(T0 - 60_000), renewTime: toMicroTime(T0 + 2_000), leaseTransitions: 4 } });
  });
  test("a released lease (no holder) is taken at once", () => {
    const released = lease(releasedSpec(held("b", 7).spec, T0));
    expect(released.spec).toMatchObject({ holderIdentity: null, leaseDurationSeconds: 1, leaseTransitions: 7 });
    expect(decideLease({ lease: released, observedAt: T0, identity: "a", now: T0, leaseDurationMs: 15_000 })).toMatchObject({ action: "update", transition: true, spec: { leaseTransitions: 8 } });
  });
  test("the holder's declared duration governs expiry", () => {
    const short = lease({ holderIdentity: "b", leaseDurationSeconds: 1, renewTime: toMicroTime(T0) });
    expect(decideLease({ lease: short, observedAt: T0, identity: "a", now: T0 + 1_000, leaseDurationMs: 15_000 }).action).toBe("update");
  });
});

test("toMicroTime has six fractional digits", () => {
  expect(toMicroTime(T0 + 123)).toBe("2026-01-01T00:00:00.123000Z");
});

test("recordFingerprint changes when the holder renews", () => {
  expect(recordFingerprint(held("b").spec)).not.toBe(recordFingerprint({ ...held("b").spec, renewTime: toMicroTime(T0 + 1) }));
  expect(recordFingerprint(undefined)).toBe("");
});

test("leaseIdentity: POD_NAME, else hostname plus a random suffix", () => {
  expect(leaseIdentity({ POD_NAME: "watch-7d9f-abcde" }, "node1", Math.random)).toBe("watch-7d9f-abcde");
  const a = leaseIdentity({}, "laptop", () => 0.25);
  expect(a).toBe("laptop_3fffff");
  expect(leaseIdentity({}, "laptop", () => 0.5)).not.toBe(a);
});
