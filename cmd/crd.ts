/**
 * @module
 * `kube-devops crd generate`: both CustomResourceDefinitions (DevOpsPolicy, then
 * PolicyAuditResult) as YAML on stdout, `---` separated.
 */
import { defineCommand } from "citty";
import { renderCrds } from "../gen/crd.ts";
import { toYaml } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";

const generate = defineCommand({
  meta: { name: "generate", description: "Print the DevOpsPolicy and PolicyAuditResult CRDs as YAML" },
  run() {
    cliRuntime().out(toYaml(renderCrds()));
  },
});

export default defineCommand({
  meta: { name: "crd", description: "The DevOpsPolicy and PolicyAuditResult CustomResourceDefinitions" },
  subCommands: {
    generate,
  },
});
