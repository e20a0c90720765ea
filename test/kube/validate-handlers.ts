/**
 * @module
 * kube-apiserver's `validateHandler` (pkg/apis/core/validation/validation.go): a probe or a lifecycle
 * hook names exactly one action. Kubernetes checks them in a fixed order, accepts the first present
 * and refuses each later one at its own path, `...livenessProbe.tcpSocket: Forbidden: may not specify
 * more than 1 handler type` — what `kubectl apply` meets when it merges a new probe handler into a
 * live probe that has another (decision 0010). An explicit `null` is absent, as in Go.
 */
import type { FieldError } from "./status.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;
const LIFECYCLE_HANDLERS = ["exec", "httpGet", "tcpSocket", "sleep"] as const;
const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

function validateHandler(handler: Obj, kinds: readonly string[], path: string, errors: FieldError[]): void {
  let present = 0;
  for (const kind of kinds) {
    if (handler[kind] === undefined || handler[kind] === null) continue;
    if (present > 0) errors.push({ type: "FieldValueForbidden", field: `${path}.${kind}`, detail: "may not specify more than 1 handler type" });
    present++;
  }
}

/** The probes and lifecycle hooks of one container (`path`: `spec.template.spec.containers[0]`). */
export function validateContainerHandlers(container: Obj, path: string, errors: FieldError[]): void {
  for (const probe of PROBES) {
    const value = container[probe];
    if (isObj(value)) validateHandler(value, PROBE_HANDLERS, `${path}.${probe}`, errors);
  }
  const lifecycle = container.lifecycle;
  if (!isObj(lifecycle)) return;
  for (const hook of ["postStart", "preStop"]) {
    const value = lifecycle[hook];
    if (isObj(value)) validateHandler(value, LIFECYCLE_HANDLERS, `${path}.lifecycle.${hook}`, errors);
  }
}
