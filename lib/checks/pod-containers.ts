/**
 * @module
 * Every container of a pod spec and which container checks apply to it
 * (docs/decisions/0026). The reference looked at `spec.containers` only, so an
 * image moved into an init container or a debug container passed every check.
 *
 * | list | role | checks |
 * |---|---|---|
 * | `containers` | container | all |
 * | `initContainers` with `restartPolicy: Always` | sidecar (runs as long as the pod) | all |
 * | other `initContainers` | init (runs to completion; the API forbids probes) | image, requests, limits |
 * | `ephemeralContainers` | ephemeral (the API forbids probes and resources) | image |
 *
 * A pod that runs to completion (`restartPolicy` Never or OnFailure: Job and CronJob
 * pods, workflow steps) is not asked for probes in any container: nothing routes
 * traffic to it, and a hung run is `activeDeadlineSeconds`' job (Polaris and
 * kube-score skip probes for Jobs too).
 */
import { asRecord, type ContainerLike } from "../k8s-objects.ts";
import type { ContainerCheckId } from "./registry.ts";

export type ContainerRole = "container" | "sidecar" | "init" | "ephemeral";

/** How findings name a container of each role: `<subject> '<name>' …`. */
export const SUBJECT: Readonly<Record<ContainerRole, string>> = {
  container: "container",
  sidecar: "sidecar container",
  init: "init container",
  ephemeral: "ephemeral container",
};

/** True for the pod spec of a pod that finishes (`restartPolicy` Never or OnFailure; unset is Always). */
export function runsToCompletion(spec: unknown): boolean {
  const policy = asRecord(spec)?.restartPolicy;
  return policy === "Never" || policy === "OnFailure";
}

/** True when check `id` applies to a container of `role`, in a pod that `finishes` (runsToCompletion) or not. */
export function appliesTo(id: ContainerCheckId, role: ContainerRole, finishes = false): boolean {
  if ((role === "container" && !finishes) || id === "latest_tag") return true;
  if (id === "missing_liveness" || id === "missing_readiness") return !finishes && (role === "container" || role === "sidecar");
  return role !== "ephemeral";
}

/** The three container lists of a pod spec, in the order findings report them. */
export const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

/**
 * The role of `container` in list `CONTAINER_LISTS[list]`: an init container with
 * `restartPolicy: Always` runs beside the main containers for the pod's life
 * (a native sidecar, Kubernetes ≥ 1.28).
 */
export function roleIn(list: 0 | 1 | 2, container: Record<string, unknown>): ContainerRole {
  if (list === 0) return "container";
  if (list === 2) return "ephemeral";
  return container.restartPolicy === "Always" ? "sidecar" : "init";
}

/**
 * Calls `visit` for every container record of `spec`: `containers`, then
 * `initContainers`, then `ephemeralContainers`, each in order. Entries that are
 * not objects are skipped; a spec that is not an object has no containers.
 */
export function forEachContainer(spec: unknown, visit: (container: ContainerLike & Record<string, unknown>, role: ContainerRole) => void): void {
  const s = asRecord(spec);
  if (!s) return;
  for (let l = 0 as 0 | 1 | 2; l < 3; l++) {
    const list = s[CONTAINER_LISTS[l]];
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const c = asRecord(raw);
      if (c) visit(c, roleIn(l, c));
    }
  }
}
