/**
 * @module
 * `kube-devops deploy generate-all|generate-rbac|generate-deployments`: the manifests that run
 * kube-devops in a cluster, printed as YAML for `kubectl apply -f -` (logs never go to stdout).
 */
import { defineCommand } from "citty";
import { deployArgs, parseDeployArgs } from "../gen/deploy-args.ts";
import { renderDeployManifests } from "../gen/manifests.ts";
import { renderRbac } from "../gen/rbac.ts";
import { renderWorkloads } from "../gen/workloads.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { VERSION } from "../lib/version.ts";

const generateAll = defineCommand({
  meta: { name: "generate-all", description: "Print every manifest: CRDs, RBAC, Services, Deployments, PDBs, webhook configuration (and the Namespace with --create-namespace)" },
  args: { ...deployArgs, "create-namespace": { type: "boolean", default: false, description: "Also print the Namespace object" } },
  run({ args }) {
    const options = parseDeployArgs(args, VERSION);
    cliRuntime().out(toYaml(renderDeployManifests(options, { createNamespace: args["create-namespace"] })));
  },
});

const generateRbac = defineCommand({
  meta: { name: "generate-rbac", description: "Print one ServiceAccount and least-privilege roles per component" },
  args: deployArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderRbac(parseDeployArgs(args, VERSION))));
  },
});

const generateDeployments = defineCommand({
  meta: { name: "generate-deployments", description: "Print the Deployments and PodDisruptionBudgets" },
  args: deployArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderWorkloads(parseDeployArgs(args, VERSION))));
  },
});

export default defineCommand({
  meta: { name: "deploy", description: "Generate the manifests that run kube-devops in a cluster" },
  subCommands: { "generate-all": generateAll, "generate-rbac": generateRbac, "generate-deployments": generateDeployments },
});
