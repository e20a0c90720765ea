/**
 * @module
 * `kube-devops multi-cluster`: governance across the clusters of a kubeconfig.
 */
import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "multi-cluster", description: "Governance across several clusters (kubeconfig contexts)" },
  subCommands: {
    "list-contexts": () => import("./multi-cluster-list-contexts.ts").then((m) => m.default),
    analyze: () => import("./multi-cluster-analyze.ts").then((m) => m.default),
  },
});
