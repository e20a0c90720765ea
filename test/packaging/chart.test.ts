/**
 * The Helm chart: checked in and up to date with gen/chart, values valid against
 * values.schema.json, and — rendered with a Go-template evaluator — the same objects as the
 * generators produce for the same settings, schema-valid, with no Namespace object (W-D2).
 */
import { describe, expect, test } from "bun:test";
import Ajv from "ajv";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { renderChart } from "../../gen/chart/render-chart.ts";
import { PINNED_FLAGS } from "../../gen/pinned-flags.ts";
import { parseDeployArgs } from "../../gen/deploy-args.ts";
import { renderDeployManifests, renderLabelledCrds, renderObservabilityManifests } from "../../gen/manifests.ts";
import { type DeployOptions, resolveDeployOptions } from "../../gen/options.ts";
import { renderDeployment } from "../../gen/workloads.ts";
import { parseDuration } from "../../lib/duration.ts";
import { parseReconcileSetting, RECONCILE_SETTINGS, type ReconcileSettings } from "../../lib/operator/settings.ts";
import { COMPONENTS } from "../../lib/rbac/permissions.ts";
import pkg from "../../package.json" with { type: "json" };
import { ROOT } from "../support/binary.ts";
import { renderHelmTemplate } from "../support/helm-template.ts";
import { schemaErrors } from "../support/k8s-schemas.ts";

const CHART = join(ROOT, "chart");
const files = renderChart(pkg.version);
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, encoding: "utf8" }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [relative(CHART, join(dir, e.name))]));
}

/** Renders every template with `values` over the chart's defaults, as `helm template` would. */
function renderInstall(values: Record<string, unknown>, release = { Name: "kd", Namespace: "governance", Service: "Helm" }): Obj[] {
  const defaults = parse(files["values.yaml"] ?? "") as Record<string, unknown>;
  const merged = mergeValues(defaults, values);
  const context = { Values: merged, Release: release, Chart: { Name: "kube-devops", Version: pkg.version, AppVersion: pkg.version } };
  return Object.entries(files)
    .filter(([path]) => path.startsWith("templates/") && path.endsWith(".yaml"))
    .flatMap(([, template]) => parseAllDocuments(renderHelmTemplate(template, context)).map((d) => d.toJS() as Obj | null))
    .filter((o): o is Obj => o !== null);
}

function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" ? mergeValues(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** What the generators produce for the same settings as a Helm release. */
function expectedObjects(options: DeployOptions, monitoring: { serviceMonitor: boolean; prometheusRule: boolean; dashboard: boolean }): Obj[] {
  const crdNames = new Set(renderLabelledCrds(options).map((c) => c.metadata?.name));
  const deploy = (renderDeployManifests(options, { createNamespace: false }) as Obj[]).map((o) =>
    crdNames.has(o.metadata.name) && o.kind === "CustomResourceDefinition" ? { ...o, metadata: { ...o.metadata, annotations: { "helm.sh/resource-policy": "keep" } } } : o,
  );
  const observability = (renderObservabilityManifests(options) as Obj[]).filter(
    (o) => (o.kind === "ServiceMonitor" && monitoring.serviceMonitor) || (o.kind === "PrometheusRule" && monitoring.prometheusRule) || (o.kind === "ConfigMap" && monitoring.dashboard),
  );
  return [...deploy, ...observability];
}

const byKey = (objects: Obj[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));

function helmOptions(namespace: string, release: string, extra: Partial<DeployOptions> = {}): DeployOptions {
  return resolveDeployOptions(pkg.version, {
    namespace,
    labels: { "helm.sh/chart": `kube-devops-${pkg.version}`, "app.kubernetes.io/instance": release },
    managedBy: "Helm",
    ...extra,
  });
}

describe("chart/ (Helm)", () => {
  test("is checked in and matches gen/chart (run `bun run chart` when this fails)", () => {
    expect(existsSync(CHART)).toBe(true);
    const stale = Object.entries(files).filter(([path, content]) => !existsSync(join(CHART, path)) || readFileSync(join(CHART, path), "utf8") !== content).map(([p]) => p);
    const extra = listFiles(CHART).filter((f) => !(f in files));
    expect({ stale, extra }).toEqual({ stale: [], extra: [] });
  });

  test("default values satisfy values.schema.json, and the schema rejects typos and bad values", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    const defaults = parse(files["values.yaml"] ?? "");
    expect(validate(defaults) ? [] : validate.errors).toEqual([]);
    expect(validate(mergeValues(defaults, { watch: { replica: 3 } }))).toBe(false);
    expect(validate(mergeValues(defaults, { webhook: { failurePolicy: "Sometimes" } }))).toBe(false);
    expect(validate(mergeValues(defaults, { webhook: { certificate: { mode: "manual" } } }))).toBe(false);
    expect(validate(mergeValues(defaults, { reconcile: { resources: { limits: { memory: "lots" } } } }))).toBe(false);
  });

  test("default install renders exactly the generators' objects in the release namespace, no Namespace", () => {
    const rendered = renderInstall({});
    expect(rendered.some((o) => o.kind === "Namespace")).toBe(false);
    expect(byKey(rendered)).toEqual(byKey(expectedObjects(helmOptions("governance", "kd"), { serviceMonitor: false, prometheusRule: false, dashboard: true })));
  });

  test("values reach the objects: image, replicas, resources, webhook settings, cert-manager, monitoring", () => {
    const resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "1", memory: "1Gi" } };
    const rendered = renderInstall({
      image: { repository: "registry.example/kd", tag: "dev" },
      reconcile: { replicas: 3, resources },
      webhook: { failurePolicy: "Fail", timeoutSeconds: 2, excludedNamespaces: ["legacy"], certificate: { mode: "cert-manager" } },
      monitoring: { labels: { release: "prometheus" }, interval: "15s", serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    });
    const base = helmOptions("governance", "kd");
    const options = helmOptions("governance", "kd", {
      image: "registry.example/kd:dev",
      replicas: { ...base.replicas, reconcile: 3 },
      resources: { ...base.resources, reconcile: resources },
      webhook: { certMode: "cert-manager", failurePolicy: "Fail", timeoutSeconds: 2, excludedNamespaces: ["legacy"] },
      monitoring: { labels: { release: "prometheus" }, interval: "15s" },
    });
    expect(byKey(rendered)).toEqual(byKey(expectedObjects(options, { serviceMonitor: true, prometheusRule: true, dashboard: true })));
  });

  test("reconcile.reports adds the operator's flag and exactly its report grant", () => {
    for (const reports of ["wgpolicyk8s", "openreports"] as const) {
      const rendered = renderInstall({ reconcile: { reports } });
      expect(byKey(rendered)).toEqual(byKey(expectedObjects(helmOptions("governance", "kd", { reports }), { serviceMonitor: false, prometheusRule: false, dashboard: true })));
    }
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    expect(validate(mergeValues(parse(files["values.yaml"] ?? ""), { reconcile: { reports: "polr" } }))).toBe(false);
  });

  // every operator setting away from its default, as chart values and as the settings they mean
  const operatorValues = {
    auditResults: { retention: 25 },
    reconcile: { requeueInterval: "45s", podDebounce: "500ms", auditInterval: "2h", statusHeartbeat: "1m30s", maxPatchesPerCycle: 0, workers: 8 },
  };
  const operatorSettings: ReconcileSettings = { requeueInterval: "45s", podDebounce: "500ms", auditInterval: "2h", auditRetention: 25, statusHeartbeat: "1m30s", maxPatchesPerCycle: 0, workers: 8 };
  const argsOf = (objects: Obj[], component: string) =>
    (objects.find((o) => o.kind === "Deployment" && o.metadata.name === `kube-devops-${component}`) as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]?.args;

  test("auditResults.retention, the reconcile.* settings and <component>.extraArgs reach the args, as the generators render them (W-R7)", () => {
    const extraArgs = { watch: ["--page-size", "250"], reconcile: ["--qps", "50", "--lease-duration=20s"], webhook: ["--cert-check-interval", "60"] };
    const rendered = renderInstall({
      ...operatorValues,
      reconcile: { ...operatorValues.reconcile, reports: "openreports", extraArgs: extraArgs.reconcile },
      watch: { extraArgs: extraArgs.watch },
      webhook: { extraArgs: extraArgs.webhook },
    });
    expect(argsOf(rendered, "reconcile")).toEqual([
      "reconcile",
      ...["--requeue-interval", "45s", "--pod-debounce", "500ms", "--audit-interval", "2h", "--audit-retention", "25"],
      ...["--status-heartbeat", "1m30s", "--max-patches-per-cycle", "0", "--workers", "8", "--reports", "openreports", "--metrics-auth", "kubernetes", "--exemptions", "--log-format", "json", "--qps", "50", "--lease-duration=20s"],
    ]);
    expect(argsOf(rendered, "watch")).toEqual(["watch", "--metrics-auth", "kubernetes", "--exemptions", "--log-format", "json", "--page-size", "250"]);
    expect(argsOf(rendered, "webhook")?.slice(-2)).toEqual(["--cert-check-interval", "60"]);
    const options = helmOptions("governance", "kd", { reports: "openreports", reconcile: operatorSettings, extraArgs });
    expect(byKey(rendered)).toEqual(byKey(expectedObjects(options, { serviceMonitor: false, prometheusRule: false, dashboard: true })));
    // a number that Helm holds as a float still becomes a plain integer argument
    expect(argsOf(renderInstall({ auditResults: { retention: 1e6 } }), "reconcile")).toContain("1000000");
  });

  test("exemptions: false runs every component with --no-exemptions, as deploy generate-* --no-exemptions does", () => {
    const strict = renderInstall({ exemptions: false });
    const generated = parseDeployArgs({ exemptions: false }, pkg.version);
    for (const c of COMPONENTS) {
      expect({ [c]: argsOf(strict, c) }).toEqual({ [c]: renderDeployment(generated, c).spec?.template.spec?.containers[0]?.args });
      expect(argsOf(strict, c)).toContain("--no-exemptions");
      expect(argsOf(renderInstall({}), c)).toContain("--exemptions");
    }
    const validate = new Ajv({ strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    expect(validate(mergeValues(parse(files["values.yaml"] ?? ""), { exemptions: "no" }))).toBe(false);
  });

  test("deploy generate-* flags give the same args as the chart for the same values", () => {
    const flags = { "requeue-interval": "45s", "pod-debounce": "500ms", "audit-interval": "2h", "audit-retention": "25", "status-heartbeat": "1m30s", "max-patches-per-cycle": "0", workers: "8", reports: "wgpolicyk8s" };
    const generated = parseDeployArgs(flags, pkg.version);
    expect(generated.reconcile).toEqual(operatorSettings);
    const rendered = renderInstall({ ...operatorValues, reconcile: { ...operatorValues.reconcile, reports: "wgpolicyk8s" } });
    for (const c of COMPONENTS) expect({ [c]: argsOf(rendered, c) }).toEqual({ [c]: renderDeployment(generated, c).spec?.template.spec?.containers[0]?.args });
    expect(argsOf(renderInstall({}), "reconcile")).toEqual(renderDeployment(parseDeployArgs({}, pkg.version), "reconcile").spec?.template.spec?.containers[0]?.args);
    expect(() => parseDeployArgs({ "audit-retention": "-1" }, pkg.version)).toThrow('Invalid --audit-retention "-1": expected an integer >= 0');
    expect(() => parseDeployArgs({ "requeue-interval": "500ms" }, pkg.version)).toThrow("--requeue-interval");
  });

  test("the schema refuses a negative retention, a non-string extraArg and operator settings the binary would refuse, naming the key", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    const defaults = parse(files["values.yaml"] ?? "");
    const errors = (values: Record<string, unknown>) => (validate(mergeValues(defaults, values)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    expect(errors(operatorValues)).toEqual([]);
    expect(errors({ reconcile: { extraArgs: ["--qps", "50"] }, watch: { extraArgs: [] } })).toEqual([]);
    expect(errors({ auditResults: { retention: -1 } })).toEqual(["/auditResults/retention must be >= 0"]);
    expect(errors({ auditResults: { retention: 2.5 } })).toEqual(["/auditResults/retention must be integer"]);
    expect(errors({ auditResults: { retension: 5 } })).toEqual(["/auditResults must NOT have additional properties"]);
    expect(errors({ reconcile: { extraArgs: ["--qps", 50] } })).toEqual(["/reconcile/extraArgs/1 must be string"]);
    expect(errors({ webhook: { extraArgs: "--qps 50" } })).toEqual(["/webhook/extraArgs must be array"]);
    expect(errors({ reconcile: { workers: 0 } })).toEqual(["/reconcile/workers must be >= 1"]);
    expect(errors({ reconcile: { requeueInterval: 30 } })).toEqual(["/reconcile/requeueInterval must be string"]);
    expect(errors({ reconcile: { auditInterval: "1d" } })[0]).toStartWith("/reconcile/auditInterval must match pattern");
  });

  test("extraArgs may not set a flag other objects depend on (RBAC names, ports, TLS paths, modes); other flags pass", async () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    const defaults = parse(files["values.yaml"] ?? "");
    const errors = (values: Record<string, unknown>) => (validate(mergeValues(defaults, values)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    expect(errors({ watch: { extraArgs: ["--lease-duration", "30s", "--qps", "20"] }, webhook: { extraArgs: ["--cert-check-interval", "60"] } })).toEqual([]);
    expect(errors({ watch: { extraArgs: ["--lease-name", "other"] } })).toEqual(["/watch/extraArgs/0 must NOT be valid"]);
    expect(errors({ reconcile: { extraArgs: ["--qps", "5", "--reports=wgpolicyk8s"] } })).toEqual(["/reconcile/extraArgs/2 must NOT be valid"]);
    expect(errors({ webhook: { extraArgs: ["--addr", ":9443", "--tls-secret=mine"] } })).toEqual(["/webhook/extraArgs/0 must NOT be valid", "/webhook/extraArgs/2 must NOT be valid"]);
    // the webhook's own namespace: the Role grants its Secret there, the VWC excludes it
    expect(errors({ webhook: { extraArgs: ["--namespace=elsewhere"] } })).toEqual(["/webhook/extraArgs/0 must NOT be valid"]);
    // a prefix is not the flag: --lease-name-suffix would be another flag
    expect(errors({ watch: { extraArgs: ["--lease-namex"] } })).toEqual([]);
    // every pinned flag is one the component's command declares, so the list cannot drift from the commands
    const commands = { watch: (await import("../../cmd/watch.ts")).default, reconcile: (await import("../../cmd/reconcile.ts")).default, webhook: (await import("../../cmd/webhook-serve.ts")).default };
    for (const c of COMPONENTS) {
      const declared = Object.keys((commands[c] as { args?: Record<string, unknown> }).args ?? {});
      for (const { flag } of PINNED_FLAGS[c]) expect(declared).toContain(flag.replace(/^--(no-)?/, ""));
    }
  });

  test("a duration the schema accepts is one the operator accepts, and below its minimum it refuses", () => {
    const schema = JSON.parse(files["values.schema.json"] ?? "{}");
    const validate = new Ajv({ strict: false }).compile(schema);
    const defaults = parse(files["values.yaml"] ?? "");
    const samples = ["30s", "1h", "1m30s", "1s500ms", "500ms1s", "1.5s", "0001s", "0s", "0.5m", "500ms", "999ms", "1500ms", "10ms", "0h0m0s", "30", "1d", "s", "", " 30s"];
    const atLeast1s = ["30s", "1h", "1m30s", "1s500ms", "500ms1s", "1.5s", "0001s"];
    const accepted = (key: string) => samples.filter((text) => validate(mergeValues(defaults, { reconcile: { [key]: text } })));
    expect(Object.fromEntries(["requeueInterval", "podDebounce", "auditInterval", "statusHeartbeat"].map((k) => [k, accepted(k)]))).toEqual({
      requeueInterval: atLeast1s,
      podDebounce: [...atLeast1s, "0s", "0.5m", "500ms", "999ms", "1500ms", "10ms", "0h0m0s"],
      auditInterval: atLeast1s,
      statusHeartbeat: atLeast1s,
    });
    for (const key of ["requeueInterval", "podDebounce", "auditInterval", "statusHeartbeat"] as const) {
      const minMs = RECONCILE_SETTINGS[key].minMs;
      for (const text of samples) {
        const schemaSays = validate(mergeValues(defaults, { reconcile: { [key]: text } }));
        const operatorSays = (() => {
          try {
            parseReconcileSetting(key, text);
            return true;
          } catch {
            return false;
          }
        })();
        // never accepted by the schema and refused at start-up; below the minimum always refused
        if (schemaSays) expect({ key, text, operatorSays }).toEqual({ key, text, operatorSays: true });
        if ((parseDuration(text) ?? -1) < minMs) expect({ key, text, schemaSays }).toEqual({ key, text, schemaSays: false });
      }
    }
  });

  test("webhook.certificate.mode cert-manager drops the webhook's Secret and VWC grants, with or without reports", () => {
    const webhookRules = (objects: Obj[]) =>
      objects.filter((o) => o.metadata.name === "kube-devops-webhook" && (o.kind === "Role" || o.kind === "ClusterRole")).flatMap((o) => (o as unknown as { rules: { resources: string[] }[] }).rules.flatMap((r) => r.resources));
    expect(webhookRules(renderInstall({}))).toEqual(["devopspolicies", "validatingwebhookconfigurations", "tokenreviews", "subjectaccessreviews", "secrets", "secrets"]);
    expect(webhookRules(renderInstall({ webhook: { certificate: { mode: "cert-manager" } } }))).toEqual(["devopspolicies", "tokenreviews", "subjectaccessreviews"]);
    for (const reports of ["none", "wgpolicyk8s"] as const) {
      const rendered = renderInstall({ reconcile: { reports }, webhook: { certificate: { mode: "cert-manager" } } });
      const base = helmOptions("governance", "kd");
      const options = helmOptions("governance", "kd", { reports, webhook: { ...base.webhook, certMode: "cert-manager" } });
      expect(byKey(rendered)).toEqual(byKey(expectedObjects(options, { serviceMonitor: false, prometheusRule: false, dashboard: true })));
    }
  });

  test("<component>.metricsAuth: each component's review grants, scheme, ServiceMonitor token and the shared metrics reader follow its value, in every combination (decision 0029)", () => {
    const monitoring = { serviceMonitor: { enabled: true } };
    const modes = ["kubernetes", "none"] as const;
    for (const watch of modes) {
      for (const reconcile of modes) {
        for (const webhook of modes) {
          for (const [certMode, reports] of [["self-managed", "none"], ["cert-manager", "openreports"]] as const) {
            const metricsAuth = { watch, reconcile, webhook };
            const rendered = renderInstall({ watch: { metricsAuth: watch }, reconcile: { reports, metricsAuth: reconcile }, webhook: { metricsAuth: webhook, certificate: { mode: certMode } }, monitoring });
            const base = helmOptions("governance", "kd");
            const options = helmOptions("governance", "kd", { reports, webhook: { ...base.webhook, certMode }, metricsAuth });
            expect({ metricsAuth, certMode, reports, objects: byKey(rendered) }).toEqual({ metricsAuth, certMode, reports, objects: byKey(expectedObjects(options, { serviceMonitor: true, prometheusRule: false, dashboard: true })) });
            for (const c of COMPONENTS) expect(argsOf(rendered, c)).toEqual(expect.arrayContaining(["--metrics-auth", metricsAuth[c]]));
            expect(rendered.some((o) => o.metadata.name === "kube-devops-metrics-reader")).toBe(Object.values(metricsAuth).includes("kubernetes"));
          }
        }
      }
    }
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(files["values.schema.json"] ?? "{}"));
    for (const c of COMPONENTS) {
      expect(validate(mergeValues(parse(files["values.yaml"] ?? ""), { [c]: { metricsAuth: "token" } }))).toBe(false);
      expect(validate(mergeValues(parse(files["values.yaml"] ?? ""), { [c]: { metricsAuth: null } }))).toBe(false);
      expect(validate(mergeValues(parse(files["values.yaml"] ?? ""), { [c]: { metricsAuth: "none" } }))).toBe(true);
    }
  });

  test("every rendered object is schema-valid; Grafana and Prometheus templates survive Helm", () => {
    const rendered = renderInstall({ monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } });
    expect(rendered.map(schemaErrors).filter((e) => e !== "")).toEqual([]);
    const dashboard = rendered.find((o) => o.kind === "ConfigMap") as unknown as { data: Record<string, string> };
    expect(dashboard.data["kube-devops.json"]).toContain('"legendFormat": "{{namespace}}"');
    expect(JSON.stringify(rendered.find((o) => o.kind === "PrometheusRule"))).toContain("{{ $value");
  });

  test("the README's values table documents every key of values.yaml", () => {
    const leaves = (value: unknown, path: string): string[] =>
      value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0 ? Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k)) : [path];
    const table = (files["README.md"] ?? "").split("\n").filter((l) => l.startsWith("| `"));
    const documented = table.flatMap((row) => [...(row.split(" | ")[0] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
    const covers = (key: string, path: string) => [path, ...COMPONENTS.map((c) => path.replace(new RegExp(`^${c}\\.`), "<component>."))].some((p) => p === key || p.startsWith(`${key}.`));
    const undocumented = leaves(parse(files["values.yaml"] ?? ""), "").filter((path) => !documented.some((key) => covers(key, path)));
    expect(undocumented).toEqual([]);
  });

  test("snapshot: Chart.yaml and values.yaml", () => {
    expect(`${files["Chart.yaml"]}---\n${files["values.yaml"]}`).toMatchSnapshot();
  });
});
