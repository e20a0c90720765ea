/**
 * The leader election flags of watch and reconcile: the identity a replica writes into the
 * Lease is never shared by two processes that happen to have one host name and pid.
 */
import { expect, test } from "bun:test";
import { hostname } from "node:os";
import { parseLeaderElectionArgs } from "../../lib/kube/elected-component.ts";

const args = { "lease-name": "kube-devops-watch", "lease-duration": "15s", "renew-deadline": "10s", "retry-period": "2s" };

test("identity: --identity, else POD_NAME, else the host name and a random suffix (two containers on the host network are each PID 1)", () => {
  expect(parseLeaderElectionArgs({ ...args, identity: "me" }, { POD_NAME: "watch-abc" }).identity).toBe("me");
  expect(parseLeaderElectionArgs(args, { POD_NAME: "watch-abc" }).identity).toBe("watch-abc");
  const a = parseLeaderElectionArgs(args, {}).identity;
  const b = parseLeaderElectionArgs(args, {}).identity;
  expect(a).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_[0-9a-f]{6}$`));
  expect(a).not.toBe(b);
  expect(a).not.toBe(`${hostname()}_${process.pid}`);
});
