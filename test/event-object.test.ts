/** The one Event shape the operator and enforcement write: bounded message, named after its object. */
import { describe, expect, test } from "bun:test";
import { buildEvent, EVENT_MESSAGE_LIMIT } from "../lib/event-object.ts";

describe("buildEvent", () => {
  const now = new Date("2026-11-26T08:00:00Z");

  test("lives in the object's namespace, named after it, with the reporting component and one count", () => {
    const event = buildEvent({ involvedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" }, type: "Normal", reason: "Remediated", message: "container app: readinessProbe", now });
    expect(event as unknown).toEqual({
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: "web.", namespace: "shop" },
      involvedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "shop" },
      type: "Normal",
      reason: "Remediated",
      message: "container app: readinessProbe",
      source: { component: "kube-devops-operator" },
      reportingComponent: "kube-devops-operator",
      firstTimestamp: "2026-11-26T08:00:00.000Z",
      lastTimestamp: "2026-11-26T08:00:00.000Z",
      count: 1,
    });
  });

  test("cuts the message at the Event limit and leaves out fields it was not given", () => {
    const event = buildEvent({ involvedObject: { apiVersion: "v1", kind: "Pod", name: "p", namespace: "ns", uid: undefined }, type: "Warning", reason: "X", message: "m".repeat(EVENT_MESSAGE_LIMIT + 50), now });
    expect((event.message as string).length).toBe(EVENT_MESSAGE_LIMIT);
    expect(Object.keys(event.involvedObject as object)).toEqual(["apiVersion", "kind", "name", "namespace"]);
  });
});
