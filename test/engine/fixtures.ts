/**
 * Literal pods for the engine tests, shaped like the reference's helper: one
 * container `main` with an image, probes present (empty objects) or absent, a
 * restart count and a phase.
 */
import type { PodLike } from "../../lib/k8s-objects.ts";

export interface PodOptions {
  name?: string;
  namespace?: string;
  image?: string;
  liveness?: boolean;
  readiness?: boolean;
  restarts?: number;
  phase?: string;
  resources?: Record<string, unknown>;
  annotations?: Record<string, string>;
  created?: string;
  deleting?: boolean;
  ownerReferences?: PodLike["metadata"] extends infer M ? M extends { ownerReferences?: infer R } ? R : never : never;
}

export const NOW = Date.parse("2026-01-01T12:00:00Z");

/** A one-container pod; every option defaults to a compliant, running pod. */
export function makePod(o: PodOptions = {}): PodLike {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: o.name ?? "web-1",
      namespace: o.namespace ?? "default",
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.created ? { creationTimestamp: o.created } : {}),
      ...(o.deleting ? { deletionTimestamp: "2026-01-01T11:59:00Z" } : {}),
      ...(o.ownerReferences ? { ownerReferences: o.ownerReferences } : {}),
    },
    spec: {
      containers: [
        {
          name: "main",
          image: o.image ?? "nginx:1.27",
          ...(o.liveness === false ? {} : { livenessProbe: {} }),
          ...(o.readiness === false ? {} : { readinessProbe: {} }),
          ...(o.resources ? { resources: o.resources } : {}),
        },
      ],
    },
    status: {
      phase: o.phase ?? "Running",
      containerStatuses: [{ name: "main", restartCount: o.restarts ?? 0 }],
    },
  };
}
