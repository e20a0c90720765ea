/**
 * @module
 * `kube-devops policy`: the built-in bundles (`bundle-list`, `bundle-show <name>`,
 * `bundle-apply <name>`) and GitOps (`export`, `import`, `diff`).
 */
import { defineCommand } from "citty";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { renderBundleApply, renderBundleList, renderBundleShow, requireBundle } from "../lib/policy/bundles.ts";
import { parseNamespaceFlag, parseObjectNameFlag } from "../lib/resource-names.ts";

const bundleList = defineCommand({
  meta: { name: "bundle-list", description: "List the built-in policy bundles" },
  run() {
    cliRuntime().out(renderBundleList());
  },
});

const bundleShow = defineCommand({
  meta: { name: "bundle-show", description: "Show a bundle's description and spec" },
  args: { name: { type: "positional", required: true, description: "Bundle name (case-insensitive)" } },
  run({ args }) {
    cliRuntime().out(renderBundleShow(requireBundle(args.name)));
  },
});

const bundleApply = defineCommand({
  meta: { name: "bundle-apply", description: "Print a DevOpsPolicy built from a bundle (pipe it to kubectl apply -f -)" },
  args: {
    name: { type: "positional", required: true, description: "Bundle name (case-insensitive)" },
    namespace: { type: "string", alias: "n", default: "default", description: "Namespace of the policy", valueHint: "ns" },
    "policy-name": { type: "string", default: "devops-policy", description: "Name of the policy", valueHint: "name" },
  },
  run({ args }) {
    const bundle = requireBundle(args.name);
    const namespace = parseNamespaceFlag(args.namespace);
    const policyName = parseObjectNameFlag(args["policy-name"], "--policy-name");
    cliRuntime().out(renderBundleApply(bundle, { namespace, policyName }));
  },
});

export default defineCommand({
  meta: { name: "policy", description: "Policy bundles and GitOps for DevOpsPolicies" },
  subCommands: {
    "bundle-list": bundleList,
    "bundle-show": bundleShow,
    "bundle-apply": bundleApply,
    export: () => import("./policy-export.ts").then((m) => m.default),
    import: () => import("./policy-import.ts").then((m) => m.default),
    diff: () => import("./policy-diff.ts").then((m) => m.default),
  },
});
