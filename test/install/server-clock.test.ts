/**
 * `check` judges a Lease's age by the API server's clock (its `Date` header), not this machine's:
 * a laptop whose clock runs 60 s ahead must not call a leader that renewed 3 s ago stale.
 */
import { describe, expect, test } from "bun:test";
import { judgeLease } from "../../lib/install/install-health.ts";
import { serverClockOffset } from "../../lib/cli/server-clock.ts";

const SERVER_NOW = Date.parse("2026-11-26T15:00:00Z");
const lease = { state: "found" as const, object: { spec: { holderIdentity: "watch-abc", renewTime: "2026-11-26T14:59:57.000000Z", leaseDurationSeconds: 15 } } };

describe("serverClockOffset", () => {
  test("the header's mid-second against the midpoint of the request", () => {
    const local = SERVER_NOW + 60_000;
    expect(serverClockOffset("Thu, 26 Nov 2026 15:00:00 GMT", local - 100, local + 100)).toBe(-59_500);
    expect(serverClockOffset("Thu, 26 Nov 2026 15:00:00 GMT", SERVER_NOW, SERVER_NOW)).toBe(500);
  });

  test("no header, or not an HTTP date: our own clock (0)", () => {
    expect(serverClockOffset(null, SERVER_NOW, SERVER_NOW)).toBe(0);
    expect(serverClockOffset("1764169200", SERVER_NOW, SERVER_NOW)).toBe(0);
    expect(serverClockOffset("Thu, 99 Nov 2026 99:00:00 GMT", SERVER_NOW, SERVER_NOW)).toBe(0);
  });

  test("a leader that renewed 3 s ago is OK by the server's clock though ours is 60 s ahead", () => {
    const local = SERVER_NOW + 60_000;
    expect(judgeLease("Leader watch", lease, "kd", "kube-devops-watch", local).status).toBe("WARN");
    const now = local + serverClockOffset("Thu, 26 Nov 2026 15:00:00 GMT", local, local);
    expect(judgeLease("Leader watch", lease, "kd", "kube-devops-watch", now)).toEqual({ label: "Leader watch", status: "OK", detail: "watch-abc, renewed 4s ago" });
  });
});
