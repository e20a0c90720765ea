/**
 * Workloads the enforcement tests create: a Deployment from its containers, and the DaemonSet
 * whose native sidecar enforcement leaves unresolved (decision 0026).
 */

/** A one-replica Deployment in `namespace` running `containers`. */
export function deployment(name: string, namespace: string, containers: unknown[], annotations?: Record<string, string>) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  };
}

/** DaemonSet `logs`: a probed agent and a native sidecar (`shipper`) without a readiness probe. */
export function sidecarDaemonSet(namespace: string) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "logs", namespace },
    spec: {
      selector: { matchLabels: { app: "logs" } },
      template: {
        metadata: { labels: { app: "logs" } },
        spec: {
          initContainers: [{ name: "shipper", image: "fluent-bit:3.1", restartPolicy: "Always" }],
          containers: [{ name: "agent", image: "agent:1", ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 } } }],
        },
      },
    },
  };
}
