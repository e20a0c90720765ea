/**
 * @module
 * The core/v1 Event object kube-devops writes about an object it judged or changed (pure): one shape
 * (reporting component, timestamps, count) and one message bound for the operator's policy
 * Events and enforcement's workload Events alike.
 */

/** Event messages are cut at this length; writers that list items stop short of it themselves. */
export const EVENT_MESSAGE_LIMIT = 1024;

export const EVENT_COMPONENT = "kube-devops-operator";

export interface EventInput {
  /** The object the Event is about: `namespace` is where the Event lives. */
  involvedObject: { apiVersion: string; kind: string; name: string | undefined; namespace: string | undefined; uid?: string | undefined; resourceVersion?: string | undefined };
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  now: Date;
}

/** A core/v1 Event as kube-devops writes it. */
export interface EventObject {
  apiVersion: "v1";
  kind: "Event";
  metadata: { generateName: string; namespace: string | undefined };
  involvedObject: Record<string, string>;
  type: EventInput["type"];
  reason: string;
  message: string;
  source: { component: string };
  reportingComponent: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** The Event to create for `input` (pure): a generated name after the object's, the message cut to the limit. */
export function buildEvent(input: EventInput): EventObject {
  const time = input.now.toISOString();
  const about = input.involvedObject;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { generateName: `${about.name ?? "object"}.`, namespace: about.namespace },
    involvedObject: Object.fromEntries(Object.entries(about).filter((e): e is [string, string] => e[1] !== undefined)),
    type: input.type,
    reason: input.reason,
    message: input.message.slice(0, EVENT_MESSAGE_LIMIT),
    source: { component: EVENT_COMPONENT },
    reportingComponent: EVENT_COMPONENT,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}
