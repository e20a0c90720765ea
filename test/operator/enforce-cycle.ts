/**
 * @module
 * One enforce cycle of reconcilePolicy against the emulator, as the enforcement tests drive it: the
 * deps (silent logger, fresh metrics, test options, the real enforce step) and a request hook that
 * answers first for that cycle only.
 */
import { Registry } from "prom-client";
import { createEnforceStep } from "../../lib/enforcement/operator-step.ts";
import type { KubeClient } from "../../lib/kube/client.ts";
import { systemClock } from "../../lib/kube/clock.ts";
import { DEPLOYMENTS, DEVOPS_POLICIES } from "../../lib/kube/resources.ts";
import { createLogger } from "../../lib/log.ts";
import { isProtectedNamespace } from "../../lib/namespaces.ts";
import { AuditState } from "../../lib/operator/audit-writer.ts";
import { createOperatorMetrics } from "../../lib/operator/metrics.ts";
import { reconcilePolicy, type PolicyObject, type ReconcileDeps, type ReconcileResult } from "../../lib/operator/reconcile-policy.ts";
import { deployment } from "../enforcement/workloads.ts";
import type { Emulator } from "../kube/emulator.ts";
import type { Handle } from "../kube/hooks.ts";
import { testPolicy } from "./support.ts";

/** Deps of an enforcing reconcile over `client` with `policy` as the watch cache, fresh metrics and audit state each call; `extra` overrides. */
export function enforceDeps(client: KubeClient, policy: () => PolicyObject | undefined, extra: Partial<ReconcileDeps> = {}): ReconcileDeps {
  const logger = createLogger({ level: "silent" });
  const metrics = createOperatorMetrics(new Registry());
  return {
    client,
    clock: systemClock,
    logger,
    metrics,
    options: { requeueMs: 30_000, auditIntervalMs: 3_600_000, auditRetention: 0, statusHeartbeatMs: 600_000 },
    policy,
    podsIn: () => [],
    audit: new AuditState(),
    enforce: createEnforceStep({ client, logger, metrics, maxPatchesPerCycle: 10, isProtectedNamespace }),
    ...extra,
  };
}

/** Deployments `names` in `namespace` (one unprobed container each) and policy `p` enforcing readiness probes over them. */
export async function createEnforcedApps(client: KubeClient, namespace: string, names: string[]): Promise<void> {
  for (const name of names) await client.create(DEPLOYMENTS, deployment(name, namespace, [{ name: "app", image: `${name}:1.0`, ports: [{ containerPort: 8080 }] }]), { namespace });
  await client.create(DEVOPS_POLICIES, testPolicy("p", namespace, { enforcementMode: "enforce", requireReadinessProbe: true }));
}

/**
 * One reconcile of `key` ("namespace/name") from the policy as stored now, with `handle` answering
 * the emulator's requests first (undefined: the emulator answers); the previous hook is back after,
 * whether the reconcile resolved or threw.
 */
export async function runEnforceCycle(emu: Emulator, client: KubeClient, key: string, handle: Handle, signal?: AbortSignal): Promise<{ result: ReconcileResult; deps: ReconcileDeps }> {
  const [namespace = "", name = ""] = key.split("/");
  const policy = await client.get<PolicyObject>(DEVOPS_POLICIES, name, { namespace });
  const deps = enforceDeps(client, () => policy, { signal });
  const prior = emu.hooks.handle;
  emu.hooks.handle = async (req) => (await handle(req)) ?? prior?.(req);
  try {
    return { result: await reconcilePolicy(key, deps), deps };
  } finally {
    emu.hooks.handle = prior;
  }
}
