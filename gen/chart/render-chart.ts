/**
 * @module
 * The Helm chart `chart/` as a map of file path → content, rendered from the same generators as
 * `deploy generate-all` / `observability generate-all` with Helm values substituted in. The
 * namespace is always `.Release.Namespace` and no Namespace object is rendered (reference W-D2).
 */
import { RECONCILE_SETTING_KEYS, RECONCILE_SETTINGS, type ReconcileSettings } from "../../lib/operator/settings.ts";
import { COMPONENTS, type Component, type ReportsSetting } from "../../lib/rbac/permissions.ts";
import type { MetricsAuthMode } from "../../lib/webhook/constants.ts";
import { renderAdmissionConfiguration } from "../admission.ts";
import { renderCertManagerObjects, renderMetricsCertificate } from "../cert-manager.ts";
import { renderLabelledCrds } from "../manifests.ts";
import { renderDashboardConfigMap } from "../observability/dashboard.ts";
import { renderPrometheusRule } from "../observability/prometheus-rules.ts";
import { renderServiceMonitor } from "../observability/service-monitors.ts";
import { DEFAULT_IMAGE_REPOSITORY, type DeployOptions, type Resources, resolveDeployOptions } from "../options.ts";
import { needsMetricsReader, renderComponentRbac, renderMetricsReader } from "../rbac.ts";
import { renderService } from "../services.ts";
import { toYaml } from "../to-yaml.ts";
import { renderDeployment, renderPodDisruptionBudget } from "../workloads.ts";
import { renderChartReadme } from "./chart-readme.ts";
import { reconcileValuePath, renderValuesSchema, renderValuesYaml } from "./values.ts";
import { TemplateTokens, wrapIf } from "./template-tokens.ts";

/** Options whose every configurable field is a Helm value token. */
function templatedOptions(t: TemplateTokens, version: string, certMode: DeployOptions["webhook"]["certMode"]): DeployOptions {
  const perComponent = <T>(make: (c: Component) => T) => Object.fromEntries(COMPONENTS.map((c) => [c, make(c)])) as Record<Component, T>;
  return resolveDeployOptions(version, {
    namespace: t.inline(".Release.Namespace"),
    image: t.inline('printf "%s:%s" .Values.image.repository (.Values.image.tag | default (printf "v%s" .Chart.AppVersion)) | quote'),
    imagePullPolicy: t.inline(".Values.image.pullPolicy") as DeployOptions["imagePullPolicy"],
    replicas: perComponent((c) => t.number(`.Values.${c}.replicas`)),
    resources: perComponent((c) => t.block<Resources>(`.Values.${c}.resources`)),
    labels: { "helm.sh/chart": t.inline('printf "%s-%s" .Chart.Name .Chart.Version | quote'), "app.kubernetes.io/instance": t.inline(".Release.Name | quote") },
    managedBy: t.inline(".Release.Service"),
    webhook: {
      certMode,
      failurePolicy: t.inline(".Values.webhook.failurePolicy") as "Ignore",
      timeoutSeconds: t.number(".Values.webhook.timeoutSeconds"),
      excludedNamespaces: [t.items(".Values.webhook.excludedNamespaces")],
    },
    // kubernetes here, so the templates hold its HTTPS schemes and args; renderChart turns those
    // into the value, and renders what the setting adds to RBAC and ServiceMonitors per value
    metricsAuth: perComponent(() => "kubernetes" as MetricsAuthMode),
    monitoring: { labels: { [t.entries(".Values.monitoring.labels")]: "" }, interval: t.inline(".Values.monitoring.interval | quote") },
    // args are strings; counts go through int first, as Helm holds YAML numbers as floats (1e+06)
    reconcile: Object.fromEntries(
      RECONCILE_SETTING_KEYS.map((k) => [k, t.inline(`.Values.${reconcileValuePath(k)}${RECONCILE_SETTINGS[k].kind === "count" ? " | int" : ""} | quote`)]),
    ) as unknown as ReconcileSettings,
    extraArgs: perComponent((c) => [t.items(`.Values.${c}.extraArgs`)]),
  });
}

/** The version label must stay a string even for versions YAML would read as numbers. */
function withQuotedVersion(t: TemplateTokens, options: DeployOptions): DeployOptions {
  return { ...options, version: t.inline(".Chart.AppVersion | quote") };
}

/**
 * `base` plus, at each place a variant adds lines, those lines wrapped in `{{- if condition }}`:
 * a setting that only adds YAML lines becomes a template without a second copy of the file. Each
 * variant must be `base` with lines inserted (in one or more places); the variants' insertions
 * must be independent of each other (different objects), or their conditions exclusive.
 */
function withConditionalLines(base: string, variants: readonly (readonly [condition: string, variant: string])[]): string {
  const a = base.split("\n");
  const inserts = new Map<number, string[]>();
  const insert = (at: number, condition: string, added: string[]) => {
    const indent = added[0]?.match(/^\s*/)?.[0] ?? "";
    inserts.set(at, [...(inserts.get(at) ?? []), `${indent}{{- if ${condition} }}`, ...added, `${indent}{{- end }}`]);
  };
  for (const [condition, variant] of variants) {
    // walk the variant: a line equal to the next base line is that line, any other is added
    let next = 0;
    let added: string[] = [];
    for (const line of variant.split("\n")) {
      if (next < a.length && line === a[next]) {
        if (added.length > 0) insert(next, condition, added);
        added = [];
        next++;
      } else added.push(line);
    }
    if (next < a.length) throw new Error(`chart: "${condition}" must only add lines`);
    if (added.length > 0) insert(a.length, condition, added);
    if (variant === base) throw new Error(`chart: "${condition}" adds nothing`);
  }
  return [...a.flatMap((line, i) => [...(inserts.get(i) ?? []), line]), ...(inserts.get(a.length) ?? [])].join("\n");
}

/** Every file of the chart, keyed by path relative to `chart/`. */
export function renderChart(version: string): Record<string, string> {
  const t = new TemplateTokens();
  const options = withQuotedVersion(t, templatedOptions(t, version, "self-managed"));
  // `mode` for one component and none for the others: each value's objects are rendered apart
  const metricsAuthOf = (component: Component | undefined, mode: MetricsAuthMode = "none") =>
    Object.fromEntries(COMPONENTS.map((c) => [c, c === component ? mode : "none"])) as Record<Component, MetricsAuthMode>;
  const openMetrics = metricsAuthOf(undefined);
  const certManager = { ...options, webhook: { ...options.webhook, certMode: "cert-manager" as const } };
  const doc = (objects: readonly unknown[]) => t.substitute(toYaml(objects));
  const isCertManager = 'eq .Values.webhook.certificate.mode "cert-manager"';
  const isMetricsAuth = (c: Component) => `eq .Values.${c}.metricsAuth "kubernetes"`;
  const reports = ".Values.reconcile.reports";
  const reportsToken = t.inline(`${reports} | quote`);
  // the components' grants: the fewest (cert-manager, no reports, open metrics), plus what each
  // setting adds: reconcile's report rule, chosen by the value; the webhook's Secret Role and VWC
  // rule only for self-managed certificates; each component's review rules only for its authorized metrics
  const componentRbac = (o: DeployOptions) => doc(COMPONENTS.flatMap((c) => renderComponentRbac(o, c)));
  const fewest = { ...certManager, metricsAuth: openMetrics };
  const rbacFile = withConditionalLines(componentRbac(fewest), [
    ...(["wgpolicyk8s", "openreports"] as const).map((format) => [`eq ${reports} "${format}"`, componentRbac({ ...fewest, reports: format })] as const),
    [`not (${isCertManager})`, componentRbac({ ...options, metricsAuth: openMetrics })] as const,
    ...COMPONENTS.map((c) => [isMetricsAuth(c), componentRbac({ ...fewest, metricsAuth: metricsAuthOf(c, "kubernetes") })] as const),
  ]);
  // the metrics reader while any component's metrics are authorized
  if (!needsMetricsReader(options)) throw new Error("chart: the templated options must render the metrics reader");
  const readerFile = `{{- if or ${COMPONENTS.map((c) => `(${isMetricsAuth(c)})`).join(" ")} }}\n---\n${doc(renderMetricsReader(options))}{{- end }}\n`;
  /** watch and reconcile serve cert-manager's metrics certificate when both values ask for it. */
  const hasMetricsCertificate = (c: Component) => `and (${isCertManager}) (${isMetricsAuth(c)})`;
  // per component: HTTPS (watch, reconcile), how TLS is verified and the token differ, so one ServiceMonitor per value
  const serviceMonitors = COMPONENTS.map((c) => {
    const as = (mode: MetricsAuthMode, o: DeployOptions = options) => doc([renderServiceMonitor({ ...o, metricsAuth: metricsAuthOf(c, mode) }, c)]);
    const byAuth = `{{- if ${isMetricsAuth(c)} }}\n${as("kubernetes")}{{- else }}\n${as("none")}{{- end }}\n`;
    return c === "webhook" ? byAuth : `{{- if ${hasMetricsCertificate(c)} }}\n${as("kubernetes", certManager)}{{- else }}\n${byAuth}{{- end }}\n`;
  }).join("---\n");
  /** (watch, reconcile) the HTTPS the generators wrote for `kubernetes` as HTTPS or HTTP by the value; the webhook is always HTTPS. */
  const schemeValue = (c: Component, text: string) => {
    if (c === "webhook") return text;
    const https = (upper: boolean) => `{{ if ${isMetricsAuth(c)} }}${upper ? "HTTPS" : "https"}{{ else }}${upper ? "HTTP" : "http"}{{ end }}`;
    return text.replaceAll("scheme: HTTPS", `scheme: ${https(true)}`).replaceAll("appProtocol: https", `appProtocol: ${https(false)}`);
  };
  /** `--metrics-auth kubernetes` as the value, and the scheme with it. */
  const metricsAuthValue = (c: Component, text: string) => {
    const arg = text.replace(/^(\s*)- --metrics-auth\n(\s*)- kubernetes\n/m, (_, a: string, b: string) => `${a}- --metrics-auth\n${b}- {{ .Values.${c}.metricsAuth | quote }}\n`);
    if (arg === text) throw new Error(`chart: no --metrics-auth in the ${c} Deployment`);
    return schemeValue(c, arg);
  };

  // `--exemptions` or `--no-exemptions`, chosen by the value (the generators write one of them)
  const exemptionsArg = (text: string) => text.replace("- --exemptions", "- {{ if .Values.exemptions }}--exemptions{{ else }}--no-exemptions{{ end }}");
  const deployments = COMPONENTS.map((c) => {
    const text = metricsAuthValue(c, exemptionsArg(doc([renderDeployment(options, c)])));
    // the TLS volume is optional only while the webhook creates its own Secret
    // ... and the webhook manages its certificate only then
    if (c === "reconcile") {
      // `--reports <value>` only when reports are on (the generators omit the flag for none)
      const withReports = (o: DeployOptions) => {
        const withFlag = metricsAuthValue(c, exemptionsArg(doc([renderDeployment({ ...o, reports: reportsToken as ReportsSetting }, c)])));
        const lines = /^(\s*)- --reports\n\s*- .*\n/m;
        return withFlag.replace(lines, (block, indent: string) => `${indent}{{- if ne ${reports} "none" }}\n${block}${indent}{{- end }}\n`);
      };
      // cert-manager's metrics certificate (its flags, mount and volume) only adds lines
      return withConditionalLines(withReports(options), [[hasMetricsCertificate(c), withReports(certManager)]]);
    }
    if (c === "webhook") {
      return text.replace("optional: true", `optional: {{ not (${isCertManager}) }}`).replace("- --self-managed", `- {{ if ${isCertManager} }}--no-self-managed{{ else }}--self-managed{{ end }}`);
    }
    // watch: cert-manager's metrics certificate (its flags, mount and volume) only adds lines
    return withConditionalLines(text, [[hasMetricsCertificate(c), metricsAuthValue(c, exemptionsArg(doc([renderDeployment(certManager, c)])))]]);
  }).join("---\n");

  return {
    "Chart.yaml": toYaml([
      {
        apiVersion: "v2",
        name: "kube-devops",
        description: "Kubernetes DevOps governance: live workload scores, DevOpsPolicy operator, admission webhook",
        type: "application",
        version,
        appVersion: version,
        kubeVersion: ">=1.30.0-0",
        keywords: ["governance", "policy", "admission-webhook", "prometheus"],
        sources: ["https://github.com/kube-devops/kube-devops"],
      },
    ]),
    "values.yaml": renderValuesYaml(DEFAULT_IMAGE_REPOSITORY),
    "values.schema.json": `${JSON.stringify(renderValuesSchema(), null, 2)}\n`,
    "README.md": renderChartReadme(),
    "templates/crds.yaml": wrapIf(
      ".Values.crds.install",
      doc(renderLabelledCrds(options).map((crd) => ({ ...crd, metadata: { ...crd.metadata, annotations: { "helm.sh/resource-policy": "keep" } } }))),
    ),
    "templates/rbac.yaml": `${rbacFile}${readerFile}`,
    "templates/services.yaml": COMPONENTS.map((c) => schemeValue(c, doc([renderService(options, c)]))).join("---\n"),
    "templates/deployments.yaml": deployments,
    "templates/pdbs.yaml": wrapIf(".Values.podDisruptionBudget.enabled", doc(COMPONENTS.map((c) => renderPodDisruptionBudget(options, c)))),
    "templates/webhook-configuration.yaml": `{{- if ${isCertManager} }}\n${doc([renderAdmissionConfiguration(certManager)])}{{- else }}\n${doc([renderAdmissionConfiguration(options)])}{{- end }}\n`,
    "templates/cert-manager.yaml": [
      wrapIf(isCertManager, doc(renderCertManagerObjects(certManager))),
      ...COMPONENTS.filter((c) => c !== "webhook").map((c) => wrapIf(hasMetricsCertificate(c), `---\n${doc([renderMetricsCertificate(certManager, c)])}`)),
    ].join(""),
    "templates/service-monitors.yaml": wrapIf(".Values.monitoring.serviceMonitor.enabled", serviceMonitors),
    "templates/prometheus-rule.yaml": wrapIf(".Values.monitoring.prometheusRule.enabled", doc([renderPrometheusRule(options)])),
    "templates/grafana-dashboard.yaml": wrapIf(".Values.monitoring.grafanaDashboard.enabled", doc([renderDashboardConfigMap(options)])),
    "templates/NOTES.txt": [
      "kube-devops {{ .Chart.AppVersion }} is installed in namespace {{ .Release.Namespace }}.",
      "",
      "  kubectl -n {{ .Release.Namespace }} get deploy,pods -l app.kubernetes.io/part-of=kube-devops",
      "  kubectl get devopspolicies -A",
      "",
    ].join("\n"),
  };
}
