/**
 * @module
 * `kube-devops observability generate-all|generate-service-monitors|generate-dashboard|generate-rules`:
 * ServiceMonitors, the Grafana dashboard ConfigMap (or its raw JSON) and the PrometheusRule.
 */
import { defineCommand } from "citty";
import { monitoringArgs, namespaceArg, parseMonitoringArgs, scrapeArgs } from "../gen/deploy-args.ts";
import { renderObservabilityManifests } from "../gen/manifests.ts";
import { renderDashboard, renderDashboardConfigMap } from "../gen/observability/dashboard.ts";
import { renderPrometheusRule } from "../gen/observability/prometheus-rules.ts";
import { renderServiceMonitors } from "../gen/observability/service-monitors.ts";
import { toYaml, toYamlDocument } from "../gen/to-yaml.ts";
import { cliRuntime } from "../lib/cli/runtime.ts";
import { VERSION } from "../lib/version.ts";

const generateAll = defineCommand({
  meta: { name: "generate-all", description: "Print the ServiceMonitors, the dashboard ConfigMap and the PrometheusRule" },
  args: scrapeArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderObservabilityManifests(parseMonitoringArgs(args, VERSION))));
  },
});

const generateServiceMonitors = defineCommand({
  meta: { name: "generate-service-monitors", description: "Print one ServiceMonitor per component" },
  args: scrapeArgs,
  run({ args }) {
    cliRuntime().out(toYaml(renderServiceMonitors(parseMonitoringArgs(args, VERSION))));
  },
});

const generateDashboard = defineCommand({
  meta: { name: "generate-dashboard", description: "Print the Grafana dashboard ConfigMap (label grafana_dashboard: \"1\"), or the bare JSON with --json" },
  args: { ...namespaceArg, json: { type: "boolean", default: false, description: "Print the dashboard JSON only (for import in the Grafana UI)" } },
  run({ args }) {
    const out = cliRuntime().out;
    if (args.json) out(`${JSON.stringify(renderDashboard(), null, 2)}\n`);
    else out(toYamlDocument(renderDashboardConfigMap(parseMonitoringArgs(args, VERSION))));
  },
});

const generateRules = defineCommand({
  meta: { name: "generate-rules", description: "Print the PrometheusRule with kube-devops's alerts" },
  args: monitoringArgs,
  run({ args }) {
    cliRuntime().out(toYamlDocument(renderPrometheusRule(parseMonitoringArgs(args, VERSION))));
  },
});

export default defineCommand({
  meta: { name: "observability", description: "Generate Prometheus and Grafana objects for kube-devops" },
  subCommands: {
    "generate-all": generateAll,
    "generate-service-monitors": generateServiceMonitors,
    "generate-dashboard": generateDashboard,
    "generate-rules": generateRules,
  },
});
