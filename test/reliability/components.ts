/**
 * @module
 * The long-running components that hold a leader lease, as the reliability suite
 * starts them (compiled binary, JSON logs, metrics URL from a startup event), and
 * how to read the state each keeps about a namespace.
 */
import type { Emulator } from "../kube/emulator.ts";
import type { ComponentSpec, Replica } from "./replicas.ts";

export interface LeaseComponent {
  name: "watch" | "reconcile";
  lease: string;
  spec: ComponentSpec;
  /**
   * The component's view of `namespace` (one DevOpsPolicy "team" forbidding :latest)
   * once it counts exactly `violations` :latest pods; undefined until then.
   */
  state: (emu: Emulator, replica: Replica, namespace: string, violations: number) => Promise<unknown>;
}

async function policyStatus(emu: Emulator, _replica: Replica, namespace: string, violations: number): Promise<unknown> {
  const policy = (await emu.store.get("devopspolicies.devops.stochastic.io", namespace, "team")) as unknown as { status?: { violations?: number; healthScore?: number } };
  return policy.status?.violations === violations ? policy.status.healthScore : undefined;
}

async function namespaceGauges(_emu: Emulator, replica: Replica, namespace: string, violations: number): Promise<unknown> {
  const body = await (await fetch(`${replica.url}/metrics`)).text().catch(() => "");
  const score = new RegExp(`^namespace_health_score\\{namespace="${namespace}"\\} (\\S+)$`, "m").exec(body)?.[1];
  if (score === undefined) return undefined;
  const latest = [...body.matchAll(new RegExp(`^namespace_violations\\{namespace="${namespace}",check="latest_tag"[^}]*\\} (\\S+)$`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
  return latest === violations ? Number(score) : undefined;
}

export const LEASE_COMPONENTS: LeaseComponent[] = [
  { name: "watch", lease: "kube-devops-watch", spec: { command: ["watch"], readyEvent: "http_server_started", urlField: "addr" }, state: namespaceGauges },
  { name: "reconcile", lease: "kube-devops-reconcile", spec: { command: ["reconcile", "--pod-debounce", "100ms"], readyEvent: "operator_started", urlField: "metrics" }, state: policyStatus },
];
