/** `reconcile` refuses bad flag values before touching the cluster (usage errors, exit 2). */
import { expect, test } from "bun:test";
import { runBinary } from "../support/binary.ts";

test.each([
  [["--requeue-interval", "soon"], "--requeue-interval"],
  [["--requeue-interval", "10ms"], "--requeue-interval"],
  [["--audit-retention", "-1"], "--audit-retention"],
  [["--workers", "0"], "--workers"],
  [["--lease-duration", "5s", "--renew-deadline", "10s"], "--lease-duration"],
  [["--metrics-addr", "nine-thousand"], "--metrics-addr"],
])("reconcile %p is a usage error naming %s", (flags, named) => {
  const { code, stderr, stdout } = runBinary(["reconcile", "--kubeconfig", "/nonexistent", ...flags]);
  expect(stdout).toBe("");
  expect(stderr).toContain(named);
  expect(code).toBe(2);
});
