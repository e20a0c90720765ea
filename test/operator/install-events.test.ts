/** Pure parts of `crd install` (readiness of a CRD) and of policy Events. */
import { describe, expect, test } from "bun:test";
import { crdReadiness } from "../../lib/crd/install-crds.ts";
import { parseDuration } from "../../lib/duration.ts";
import { buildPolicyEvent } from "../../lib/operator/events.ts";

describe("crdReadiness", () => {
  test("Established=True is established", () => {
    expect(crdReadiness({ status: { conditions: [{ type: "NamesAccepted", status: "True" }, { type: "Established", status: "True" }] } })).toEqual({ established: true });
  });

  test("no status yet is not established", () => {
    expect(crdReadiness({})).toEqual({ established: false });
  });

  test("NamesAccepted=False is refused with the server's message", () => {
    const crd = { status: { conditions: [{ type: "NamesAccepted", status: "False", reason: "ShortNamesConflict", message: '"dop" is already in use' }] } };
    expect(crdReadiness(crd)).toEqual({ established: false, refused: '"dop" is already in use' });
  });
});

describe("parseDuration", () => {
  test.each([["30s", 30_000], ["1h", 3_600_000], ["1m30s", 90_000], ["500ms", 500], ["2", 2000], ["1.5s", 1500]])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["", "s", "10x", "1h 2m", "-1s", "1s2"])("%p is not a duration", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("buildPolicyEvent", () => {
  test("points at the policy and carries reason, type and times", () => {
    const now = new Date("2026-11-25T12:00:00Z");
    const event = buildPolicyEvent({ metadata: { name: "team", namespace: "prod", uid: "u1", resourceVersion: "9" } }, { type: "Warning", reason: "ClassChanged", message: "m", now });
    expect(event).toMatchObject({
      metadata: { generateName: "team.", namespace: "prod" },
      involvedObject: { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", name: "team", namespace: "prod", uid: "u1" },
      type: "Warning",
      reason: "ClassChanged",
      source: { component: "kube-devops-operator" },
      firstTimestamp: "2026-11-25T12:00:00.000Z",
      count: 1,
    });
  });
});
