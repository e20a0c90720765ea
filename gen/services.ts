/**
 * @module
 * One ClusterIP Service per component with named ports: `metrics` for watch and reconcile (HTTPS
 * with `--metrics-auth kubernetes`), `https` (443 → 8443) for the webhook's admission endpoint,
 * which also serves its metrics.
 */
import type { IService } from "kubernetes-models/v1/Service";
import { COMPONENTS, type Component } from "../lib/rbac/permissions.ts";
import { componentName, type DeployOptions, objectLabels, selectorLabels } from "./options.ts";
import { COMPONENT_PORTS, componentScheme } from "./workloads.ts";

/** The Service port of each component: the webhook's is 443 (the VWC's clientConfig.service.port). */
export function servicePort(component: Component): number {
  return component === "webhook" ? 443 : COMPONENT_PORTS[component].port;
}

/** One component's Service. */
export function renderService(options: DeployOptions, component: Component): IService {
  const port = COMPONENT_PORTS[component];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: componentName(component), namespace: options.namespace, labels: objectLabels(options, component) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(component),
      ports: [{ name: port.name, port: servicePort(component), targetPort: port.name, protocol: "TCP", appProtocol: componentScheme(options, component).toLowerCase() }],
    },
  };
}

/** Services for every component. */
export function renderServices(options: DeployOptions): IService[] {
  return COMPONENTS.map((c) => renderService(options, c));
}
