/**
 * @module
 * Offline analysis cost vs merely parsing the same input: `kubectl get pods -A
 * -o yaml` (and `-o json`) dumps of 1k / 10k / 100k generated pods. Analysis
 * is the whole `analyze -f` pipeline in-process (parse, units, evaluate,
 * aggregate, render the table); the baseline is the bare parse of the same
 * text (Bun.YAML.parse / JSON.parse). Target: analysis ≤ 2× parsing at 100k.
 * Prints one BenchResult.
 */
import { analyzeObjects } from "../lib/analysis/build-report.ts";
import { renderReport } from "../lib/analysis/render-report.ts";
import { DEFAULT_CHECK_SET } from "../lib/checks/check-set.ts";
import { parseManifests } from "../lib/manifests/parse-manifests.ts";
import { stringify } from "yaml";
import { median, timeRuns } from "./lib/measure.ts";
import { emitResult, type Figure } from "./lib/result.ts";

const SIZES = (process.env.BENCH_ANALYZE_SIZES ?? "1000,10000,100000").split(",").map(Number);
const NOW = Date.parse("2026-01-01T00:00:00Z");

/** A realistic pod: owned by a ReplicaSet, varied hygiene, some restarts and Pending. */
function makePod(i: number) {
  const app = `app-${i % 500}`;
  const ns = `team-${i % 50}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${app}-7d9f8c6b5-${i.toString(36).padStart(5, "0")}`,
      namespace: ns,
      uid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      creationTimestamp: "2025-12-31T00:00:00Z",
      labels: { "app.kubernetes.io/name": app, "pod-template-hash": "7d9f8c6b5" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${app}-7d9f8c6b5`, uid: `rs-${i % 500}`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: "app",
          image: i % 7 === 0 ? `registry.example.com/${app}:latest` : `registry.example.com/${app}:1.${i % 40}.0`,
          ports: [{ containerPort: 8080, protocol: "TCP" }],
          ...(i % 3 === 0 ? {} : { livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 } }),
          ...(i % 4 === 0 ? {} : { readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 } }),
          resources: i % 5 === 0 ? {} : { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
        },
        ...(i % 10 === 0 ? [{ name: "sidecar", image: "envoyproxy/envoy:v1.31.0", resources: {} }] : []),
      ],
      nodeName: `node-${i % 40}`,
      restartPolicy: "Always",
    },
    status: {
      phase: i % 97 === 0 ? "Pending" : "Running",
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-12-31T00:01:00Z" }],
      podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      startTime: "2025-12-31T00:00:10Z",
      containerStatuses: [{ name: "app", ready: true, restartCount: i % 13 === 0 ? i % 9 : 0, image: "x", imageID: "", started: true, state: { running: { startedAt: "2025-12-31T00:00:20Z" } } }],
    },
  };
}

function dump(n: number, format: "yaml" | "json"): string {
  const list = { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: Array.from({ length: n }, (_, i) => makePod(i)) };
  return format === "json" ? JSON.stringify(list, null, 4) : stringify(list, { lineWidth: 0 });
}

function analyze(text: string, file: string): string {
  const report = analyzeObjects(parseManifests(text, file), { checkSet: DEFAULT_CHECK_SET, now: NOW, exemptions: true, source: "bench", scoreTemplates: true });
  return renderReport(report, "table");
}

const figures: Figure[] = [];
const series: Record<"yaml" | "json", Array<[number, number]>> = { yaml: [], json: [] };
/** Absolute medians (ms) per format and step, for the time-vs-pods chart. */
const times: Record<"yaml" | "json", Record<"analyze" | "parse", Array<[number, number]>>> = { yaml: { analyze: [], parse: [] }, json: { analyze: [], parse: [] } };
for (const format of ["yaml", "json"] as const) {
  for (const n of SIZES) {
    const text = dump(n, format);
    const runs = n >= 100_000 ? 2 : n >= 10_000 ? 4 : 12;
    const parse = format === "json" ? () => JSON.parse(text) : () => Bun.YAML.parse(text);
    // Interleave so both see the same machine state; medians of each.
    const parseMs: number[] = [];
    const analyzeMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      parseMs.push(...(await timeRuns(parse, 1, r === 0 ? 1 : 0)));
      analyzeMs.push(...(await timeRuns(() => analyze(text, `pods.${format}`), 1, r === 0 ? 1 : 0)));
    }
    const p = median(parseMs);
    const a = median(analyzeMs);
    const ratio = a / p;
    series[format].push([n, ratio]);
    times[format].analyze.push([n, a]);
    times[format].parse.push([n, p]);
    const target = n >= 100_000 && format === "yaml";
    figures.push({
      label: `analyze ${n.toLocaleString("en")} pods (-o ${format} dump, ${(text.length / 2 ** 20).toFixed(1)} MB)`,
      value: Number(a.toFixed(1)),
      unit: "ms",
      baseline: { label: `parse only (${format === "json" ? "JSON.parse" : "Bun.YAML.parse"})`, value: Number(p.toFixed(1)) },
      ratio: Number(ratio.toFixed(2)),
      ratioMeaning: "analysis / parse",
      ...(target ? { target: "≤ 2×", met: ratio <= 2 } : {}),
    });
    console.error(`analyze-offline: ${format} ${n}: parse ${p.toFixed(1)} ms, analyze ${a.toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
  }
}

emitResult({
  name: "analyze-offline",
  title: "Offline analysis vs parsing the same input",
  setup: `generated kubectl-style pod dumps (List of Pods with status, ReplicaSet owners, 50 namespaces); analysis = parse + units + evaluate + aggregate + table, in-process; medians of interleaved runs`,
  figures,
  series: [
    {
      title: "analysis time / parse time",
      xLabel: "pods",
      yLabel: "ratio",
      lines: [
        { name: "YAML dump", points: series.yaml },
        { name: "JSON dump", points: series.json },
      ],
    },
    {
      title: "analysis and parse time vs pods",
      xLabel: "pods",
      yLabel: "ms",
      logY: true,
      lines: [
        { name: "analyze, YAML dump", points: times.yaml.analyze },
        { name: "parse only, YAML (Bun.YAML.parse)", points: times.yaml.parse },
        { name: "analyze, JSON dump", points: times.json.analyze },
        { name: "parse only, JSON (JSON.parse)", points: times.json.parse },
      ],
    },
  ],
  notes: [
    "The issue's target (≤ 2× parsing at 100k pods) applies to the YAML dump, the usual `kubectl get -o yaml` input.",
    "JSON.parse is ~20× faster than YAML parsing, so the JSON ratio mostly shows the engine's own cost.",
  ],
});
