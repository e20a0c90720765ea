/**
 * @module
 * Structural types for the parts of Kubernetes objects the engine reads. Input
 * comes from files, the API and admission requests, so every field is optional
 * and every reader checks types at runtime (a malformed object never throws).
 */

export interface OwnerReferenceLike {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReferenceLike[];
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
}

export interface ResourceRequirementsLike {
  requests?: Record<string, unknown>;
  limits?: Record<string, unknown>;
}

export interface ContainerLike {
  name?: string;
  image?: string;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: ResourceRequirementsLike;
  /** `Always` on an init container makes it a sidecar (Kubernetes ≥ 1.28). */
  restartPolicy?: string;
}

export interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  /** Always (the default), OnFailure or Never. */
  restartPolicy?: string;
  nodeName?: string;
  /** Held back from scheduling on purpose until each gate is removed (Kueue, custom queues). */
  schedulingGates?: unknown[];
}

export interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
}

export interface PodStatusLike {
  phase?: string;
  /** Set by the node on pods it fails (`Evicted`, `Terminated`, …). */
  reason?: string;
  containerStatuses?: ContainerStatusLike[];
  initContainerStatuses?: ContainerStatusLike[];
}

export interface PodLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  spec?: PodSpecLike;
  status?: PodStatusLike;
}

/** Any object with metadata: workloads, ReplicaSets, Jobs. */
export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
  spec?: unknown;
  status?: unknown;
}

/** Returns `value` when it is a plain object, else undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Returns the string annotations of an object (non-string values are ignored by readers). */
export function annotationsOf(meta: ObjectMetaLike | undefined): Record<string, unknown> | undefined {
  return asRecord(asRecord(meta)?.annotations);
}
