/**
 * Every deliberate divergence from the reference (docs/decisions/0002):
 * untagged = latest, digests never flagged, Succeeded and terminating pods not
 * scored, forbidPendingDuration honoured against an injected clock.
 */
import { describe, expect, test } from "bun:test";
import { checkSetFromPolicy, DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { evaluatePod, tallyPod } from "../../lib/checks/evaluate.ts";
import { parseImageRef, usesLatestTag } from "../../lib/checks/image-ref.ts";
import { emptyTally } from "../../lib/score.ts";
import { makePod, NOW } from "./fixtures.ts";

const latest = DEFAULT_CHECK_SET;

describe("images", () => {
  test("an untagged image is :latest (the reference does not flag it)", () => {
    expect(tallyPod(makePod({ image: "nginx" }), latest, { now: NOW }).latest_tag).toBe(1);
    expect(tallyPod(makePod({ image: "docker.io/library/nginx" }), latest, { now: NOW }).latest_tag).toBe(1);
  });

  test("a digest-pinned image is never flagged, even with :latest", () => {
    const digest = "@sha256:" + "0".repeat(64);
    expect(tallyPod(makePod({ image: `nginx:latest${digest}` }), latest, { now: NOW }).latest_tag).toBe(0);
    expect(tallyPod(makePod({ image: `nginx${digest}` }), latest, { now: NOW }).latest_tag).toBe(0);
  });
});

describe("usesLatestTag agrees with parseImageRef on edge cases", () => {
  const cases: [string, boolean][] = [
    [" nginx:latest ", true],
    ["nginx:", true],
    ["localhost:5000/app", true],
    ["localhost:5000/app:v1", false],
    ["ghcr.io/org/app:latest-alpine", false],
    ["app:latestx", false],
    ["app@sha256:abc", false],
    ["", false],
    ["   ", false],
  ];
  for (const [image, expected] of cases) {
    test(JSON.stringify(image), () => {
      expect(usesLatestTag(image)).toBe(expected);
      const ref = parseImageRef(image.trim());
      if (image.trim() !== "") expect(!ref.digest && (ref.tag === undefined || ref.tag === "latest")).toBe(expected);
    });
  }
});

describe("pods that are not scored", () => {
  test("a Succeeded pod contributes nothing (the reference counts it)", () => {
    const r = evaluatePod(makePod({ phase: "Succeeded", image: "job:latest", restarts: 9 }), latest, { now: NOW });
    expect(r.skipped).toBe("succeeded");
    expect(r.tally).toEqual(emptyTally());
    expect(r.findings).toEqual([]);
  });

  test("a pod being deleted contributes nothing", () => {
    const r = evaluatePod(makePod({ deleting: true, image: "x:latest" }), latest, { now: NOW });
    expect(r.skipped).toBe("terminating");
    expect(r.tally.pods).toBe(0);
  });

  test("a Failed pod is still scored: its containers failed, which the score should show", () => {
    const r = evaluatePod(makePod({ phase: "Failed", image: "x:latest" }), latest, { now: NOW });
    expect(r.skipped).toBeUndefined();
    expect(r.tally).toMatchObject({ pods: 1, latest_tag: 1 });
    const deadline = evaluatePod({ ...makePod({ image: "x:latest" }), status: { phase: "Failed", reason: "DeadlineExceeded" } }, latest, { now: NOW });
    expect(deadline.skipped).toBeUndefined(); // activeDeadlineSeconds is the workload's own setting
  });

  test("a pod its node evicted or rejected contributes nothing: its controller replaced it (0027)", () => {
    for (const reason of ["Evicted", "Preempting", "Terminated", "Shutdown", "NodeShutdown", "NodeLost", "UnexpectedAdmissionError", "NodeAffinity", "OutOfcpu", "OutOfmemory", "OutOfnvidia.com/gpu"]) {
      const pod = { ...makePod({ image: "x:latest", restarts: 9 }), status: { phase: "Failed", reason, containerStatuses: [{ name: "main", restartCount: 9 }] } };
      const r = evaluatePod(pod, latest, { now: NOW });
      expect([reason, r.skipped]).toEqual([reason, "evicted"]);
      expect(r.tally).toEqual(emptyTally());
    }
    // the same reason on a pod that is not Failed changes nothing
    const running = evaluatePod({ ...makePod({ image: "x:latest" }), status: { phase: "Running", reason: "Evicted" } }, latest, { now: NOW });
    expect(running.skipped).toBeUndefined();
  });
});

describe("forbidPendingDuration is honoured", () => {
  const set = checkSetFromPolicy({ forbidPendingDuration: 300 });
  const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

  test("Pending for less than the duration is not a violation", () => {
    expect(tallyPod(makePod({ phase: "Pending", created: at(299) }), set, { now: NOW }).pending).toBe(0);
  });

  test("Pending for exactly the duration is not yet a violation (strictly longer)", () => {
    expect(tallyPod(makePod({ phase: "Pending", created: at(300) }), set, { now: NOW }).pending).toBe(0);
  });

  test("Pending for longer is a violation", () => {
    expect(tallyPod(makePod({ phase: "Pending", created: at(301) }), set, { now: NOW }).pending).toBe(1);
  });

  test("the clock is injected: the same pod flips when time passes", () => {
    const pod = makePod({ phase: "Pending", created: at(0) });
    expect(tallyPod(pod, set, { now: NOW }).pending).toBe(0);
    expect(tallyPod(pod, set, { now: NOW + 301_000 }).pending).toBe(1);
  });

  test("an unknown creation time is treated as too long", () => {
    expect(tallyPod(makePod({ phase: "Pending" }), set, { now: NOW }).pending).toBe(1);
  });

  test("a duration of 0 and the default set flag any Pending pod (reference behaviour)", () => {
    const fresh = makePod({ phase: "Pending", created: at(1) });
    expect(tallyPod(fresh, checkSetFromPolicy({ forbidPendingDuration: 0 }), { now: NOW }).pending).toBe(1);
    expect(tallyPod(fresh, DEFAULT_CHECK_SET, { now: NOW }).pending).toBe(1);
  });

  test("a Running pod is never pending", () => {
    expect(tallyPod(makePod({ created: at(10_000) }), set, { now: NOW }).pending).toBe(0);
  });
});
