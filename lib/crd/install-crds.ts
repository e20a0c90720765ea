/**
 * @module
 * `crd install`: creates each CRD or UPDATES it in place (an old schema would
 * silently prune new fields), then waits until the API server reports it
 * Established. Conflicts on update re-read and retry; nothing is skipped. A CRD
 * being deleted is waited out and created anew: updated, it would vanish after.
 */
import { isAlreadyExists, isConflict, isNotFound } from "../kube/api-errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { type Clock, systemClock } from "../kube/clock.ts";
import { CUSTOM_RESOURCE_DEFINITIONS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { KubeDevopsError } from "../errors.ts";

export type InstallOutcome = "created" | "updated" | "unchanged";

export interface CrdCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

type CrdObject = KubeObject & { status?: { conditions?: CrdCondition[] } };

const FIELD_MANAGER = "kube-devops-cli";

/** How long a CRD being deleted (its custom resources removed first) is waited for before giving up. */
const DELETION_WAIT_MS = 60_000;

/** Polls until CRD `name` is gone; throws when it is still there after DELETION_WAIT_MS. */
async function waitDeleted(client: KubeClient, name: string, clock: Clock, signal?: AbortSignal): Promise<void> {
  const deadline = clock.now() + DELETION_WAIT_MS;
  for (;;) {
    try {
      const crd = await client.get<CrdObject>(CUSTOM_RESOURCE_DEFINITIONS, name, { signal });
      if (!crd.metadata?.deletionTimestamp) return; // someone created it again meanwhile: update that one
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (clock.now() >= deadline) {
      throw new KubeDevopsError("KUBE", `CRD '${name}' is being deleted and was still there after ${DELETION_WAIT_MS / 1000}s`, {
        hint: `its custom resources are removed first; \`kubectl get crd ${name} -o yaml\` shows what holds it (finalizers)`,
      });
    }
    await clock.sleep(250, signal);
  }
}

/**
 * Creates or replaces one CRD; returns what happened. A CRD being deleted (deletionTimestamp set:
 * the API server removes its custom resources, then it) is waited out and then created: an update
 * would be accepted, say Established, and vanish with the deletion — every component then finds
 * no CRD and `crd install` had said it was installed.
 */
export async function upsertCrd(client: KubeClient, crd: KubeObject, signal?: AbortSignal, clock: Clock = systemClock): Promise<InstallOutcome> {
  const name = crd.metadata?.name as string;
  for (let attempt = 1; ; attempt++) {
    let existing: CrdObject;
    try {
      existing = await client.get<CrdObject>(CUSTOM_RESOURCE_DEFINITIONS, name, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await client.create(CUSTOM_RESOURCE_DEFINITIONS, crd, { fieldManager: FIELD_MANAGER, signal });
        return "created";
      } catch (createErr) {
        if (isAlreadyExists(createErr) && attempt < 3) continue;
        throw createErr;
      }
    }
    if (existing.metadata?.deletionTimestamp) {
      await waitDeleted(client, name, clock, signal);
      attempt--; // waiting out a deletion is not a failed attempt
      continue;
    }
    const before = existing.metadata?.resourceVersion;
    const replacement = { ...crd, metadata: { ...existing.metadata, ...crd.metadata, labels: { ...existing.metadata?.labels, ...crd.metadata?.labels }, resourceVersion: before } };
    try {
      const after = await client.update(CUSTOM_RESOURCE_DEFINITIONS, replacement, { fieldManager: FIELD_MANAGER, signal });
      return after.metadata?.resourceVersion === before ? "unchanged" : "updated";
    } catch (err) {
      if (isConflict(err) && attempt < 3) continue;
      throw err;
    }
  }
}

/** The Established condition, or why the names were refused. */
export function crdReadiness(crd: CrdObject): { established: boolean; refused?: string } {
  const conditions = crd.status?.conditions ?? [];
  const names = conditions.find((c) => c.type === "NamesAccepted");
  if (names?.status === "False") return { established: false, refused: names.message ?? names.reason ?? "names not accepted" };
  return { established: conditions.some((c) => c.type === "Established" && c.status === "True") };
}

/** Polls until every CRD is Established or `timeoutMs` passes; throws naming the ones that are not. */
export async function waitEstablished(client: KubeClient, names: readonly string[], options: { timeoutMs: number; clock: Clock; pollMs?: number; signal?: AbortSignal }): Promise<void> {
  const deadline = options.clock.now() + options.timeoutMs;
  let pending = [...names];
  for (;;) {
    const still: string[] = [];
    for (const name of pending) {
      const readiness = crdReadiness(await client.get<CrdObject>(CUSTOM_RESOURCE_DEFINITIONS, name, { signal: options.signal }));
      if (readiness.refused) throw new KubeDevopsError("KUBE", `CRD '${name}' was not accepted: ${readiness.refused}`);
      if (!readiness.established) still.push(name);
    }
    pending = still;
    if (pending.length === 0) return;
    if (options.clock.now() >= deadline) {
      throw new KubeDevopsError("KUBE", `Timed out after ${options.timeoutMs / 1000}s waiting for ${pending.map((n) => `'${n}'`).join(", ")} to be Established`, {
        hint: "Check `kubectl describe crd <name>`; raise --timeout on a slow API server",
      });
    }
    await options.clock.sleep(options.pollMs ?? 250, options.signal);
  }
}
