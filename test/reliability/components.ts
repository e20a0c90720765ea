/**
 * @module
 * The long-running components that hold a leader lease, as the reliability suite
 * starts them (compiled binary, JSON logs, metrics URL from a startup event).
 */
import type { ComponentSpec } from "./replicas.ts";

export interface LeaseComponent {
  name: "watch" | "reconcile";
  lease: string;
  spec: ComponentSpec;
}

export const LEASE_COMPONENTS: LeaseComponent[] = [
  { name: "reconcile", lease: "kube-devops-reconcile", spec: { command: ["reconcile", "--pod-debounce", "100ms"], readyEvent: "operator_started", urlField: "metrics" } },
];
