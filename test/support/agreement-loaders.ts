/**
 * Reads the verdicts Polaris, kube-score, Kyverno and the Gatekeeper library publish for their
 * fixtures in the shared corpus, for the checks that map onto ours. Every stated verdict of a
 * mapped check becomes a case; deciding which are comparable is the test's table, not this file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATE_KINDS } from "../../lib/analysis/collect-units.ts";
import { asRecord } from "../../lib/k8s-objects.ts";
import { parseManifests, type SourcedObject } from "../../lib/manifests/parse-manifests.ts";
import type { Case, MappedCheck, Verdict } from "./agreement.ts";

type Rec = Record<string, unknown>;

/** Reads the corpus once per file. */
export class Corpus {
  private readonly parsed = new Map<string, SourcedObject[]>();
  constructor(readonly root: string) {}
  text(rel: string): string {
    return readFileSync(join(this.root, rel), "utf8");
  }
  /** A non-manifest YAML file (test definitions, constraints): one document. */
  data(rel: string): Rec {
    const value = asRecord(Bun.YAML.parse(this.text(rel)));
    if (!value) throw new Error(`${rel}: not a YAML mapping`);
    return value;
  }
  /** The pods and pod controllers of a manifest file. */
  workloads(rel: string): SourcedObject[] {
    let objects = this.parsed.get(rel);
    if (!objects) this.parsed.set(rel, (objects = parseManifests(this.text(rel), rel)));
    return objects.filter((s) => s.object.kind === "Pod" || TEMPLATE_KINDS.has(String(s.object.kind)));
  }
  /** Every file of the fixture's objects, Services included (kube-score reads them). */
  all(rel: string): SourcedObject[] {
    this.workloads(rel);
    return this.parsed.get(rel) ?? [];
  }
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nameOf = (s: SourcedObject): unknown => asRecord(s.object.metadata)?.name;

/** `missing_limits` for cpu and memory, `missing_limits[memory]` for one, undefined for none. */
function resourceCheck(id: "missing_requests" | "missing_limits", resources: readonly string[]): MappedCheck | undefined {
  const r = ["cpu", "memory"].filter((x) => resources.includes(x));
  return r.length === 2 ? id : r.length === 1 ? `${id}[${r[0]}]` : undefined;
}

const POLARIS_CHECKS: Readonly<Record<string, MappedCheck>> = {
  tagNotSpecified: "latest_tag",
  livenessProbeMissing: "missing_liveness",
  readinessProbeMissing: "missing_readiness",
  cpuRequestsMissing: "missing_requests[cpu]",
  memoryRequestsMissing: "missing_requests[memory]",
  cpuLimitsMissing: "missing_limits[cpu]",
  memoryLimitsMissing: "missing_limits[memory]",
};

/**
 * `test/checks/<check>/{success,failure}*.yaml` (the check alone at danger). The webhook must admit
 * `passing_test.*` under the default config, where tagNotSpecified is danger: a pass for it. A
 * rejected `failing_test.*` does not say which danger check failed, so it states nothing here.
 */
export function polarisCases(corpus: Corpus): Case[] {
  const cases: Case[] = [];
  for (const [check, mapped] of Object.entries(POLARIS_CHECKS)) {
    const dir = `polaris/test/checks/${check}`;
    for (const file of readdirSync(join(corpus.root, dir)).sort()) {
      const m = /^(success|failure)\b.*\.ya?ml$/.exec(file);
      if (!m) continue;
      const fixture = `${dir}/${file}`;
      cases.push({ tool: "Polaris", fixture, check: mapped, expected: m[1] === "success" ? "pass" : "fail", objects: corpus.workloads(fixture) });
    }
  }
  const severity = asRecord(corpus.data("polaris/pkg/config/default.yaml").checks)?.tagNotSpecified;
  if (severity !== "danger") throw new Error(`polaris default config: tagNotSpecified is ${String(severity)}, not danger`);
  const dir = "polaris/test/webhook_cases";
  for (const file of readdirSync(join(corpus.root, dir)).sort()) {
    if (!file.startsWith("passing_test.")) continue;
    const fixture = `${dir}/${file}`;
    cases.push({ tool: "Polaris", fixture, check: "latest_tag", expected: "pass", objects: corpus.workloads(fixture) });
  }
  return cases;
}

/**
 * expectations.json (derived from kube-score's `score/*_test.go`). Grades: Critical 1, Warning 5,
 * AlmostOK 7, AllOK 10. "Container Resources" is Critical when a limit the run config does not
 * ignore is missing, else Warning when a request is missing, so Critical says nothing about
 * requests. "Pod Probes" is Critical when no container has a readiness probe and never fails for
 * liveness (AlmostOK), so only AllOK says something about liveness. Skipped checks state nothing.
 */
export function kubeScoreCases(corpus: Corpus): Case[] {
  const cases: Case[] = [];
  const all = list(JSON.parse(corpus.text("kube-score/expectations.json")).cases).map((c) => c as Rec);
  for (const c of all) {
    if (c.expected_skipped === true) continue;
    const files = list(c.files).map((f) => `kube-score/score/testdata/${String(f)}`);
    const fixture = `${files.join("+")}#${String(c.test)}`;
    const objects = files.flatMap((f) => corpus.all(f));
    const grade = c.expected_grade_value;
    const push = (check: MappedCheck | undefined, expected: Verdict) => {
      if (check !== undefined) cases.push({ tool: "kube-score", fixture, check, expected, objects });
    };
    if (c.check === "Container Image Tag") push("latest_tag", grade === 1 ? "fail" : "pass");
    else if (c.check === "Container Resources") {
      const config = String(c.run_config);
      const ignored = [/IgnoreContainerCpuLimitRequirement: true/.test(config) && "cpu", /IgnoreContainerMemoryLimitRequirement: true/.test(config) && "memory"];
      push(resourceCheck("missing_limits", ["cpu", "memory"].filter((r) => !ignored.includes(r))), grade === 1 ? "fail" : "pass");
      if (grade !== 1) push("missing_requests", grade === 5 ? "fail" : "pass");
    } else if (c.check === "Pod Probes") {
      push("missing_readiness", grade === 1 ? "fail" : "pass");
      if (grade === 10) push("missing_liveness", "pass");
    }
  }
  return cases;
}

const KYVERNO_POLICIES: readonly { dir: string; check: MappedCheck }[] = [
  { dir: "kyverno-policies/best-practices/disallow-latest-tag", check: "latest_tag" },
  // Every container has a liveness, readiness or startup probe: fails where a container has none.
  { dir: "kyverno-policies/best-practices/require-probes", check: "missing_liveness&missing_readiness" },
  // cpu and memory requests and a memory limit on every container.
  { dir: "kyverno-policies/best-practices/require-pod-requests-limits", check: "missing_requests|missing_limits[memory]" },
];

/** `.kyverno-test`: a resource fails the policy when any rule fails, and passes when every rule passes. */
function kyvernoTestCases(corpus: Corpus, dir: string, check: MappedCheck): Case[] {
  const testDir = `${dir}/.kyverno-test`;
  const test = corpus.data(`${testDir}/kyverno-test.yaml`);
  const rules = list(list(test.policies).flatMap((p) => list(asRecord(corpus.data(join(testDir, String(p))).spec)?.rules)))
    .map((r) => String(asRecord(r)?.name));
  const results = new Map<string, Map<string, unknown>>();
  for (const raw of list(test.results)) {
    const r = raw as Rec;
    for (const name of list(r.resources)) {
      const key = `${String(r.kind)}/${String(name)}`;
      const byRule = results.get(key) ?? new Map<string, unknown>();
      byRule.set(String(r.rule).replace(/^autogen-(cronjob-)?/, ""), r.result);
      results.set(key, byRule);
    }
  }
  const cases: Case[] = [];
  for (const [key, byRule] of results) {
    const failed = [...byRule.values()].includes("fail");
    if (!failed && !rules.every((r) => byRule.get(r) === "pass")) throw new Error(`${testDir}: ${key} has neither a failed rule nor every rule passed`);
    const found = list(test.resources).flatMap((file) => {
      const rel = join(testDir, String(file));
      return corpus.workloads(rel).filter((s) => `${String(s.object.kind)}/${String(nameOf(s))}` === key).map((s) => ({ rel, s }));
    });
    if (found.length !== 1 || !found[0]) throw new Error(`${testDir}: ${found.length} objects named ${key}`);
    cases.push({ tool: "Kyverno", fixture: `${found[0].rel}#${key}`, check, expected: failed ? "fail" : "pass", objects: [found[0].s] });
  }
  return cases;
}

/** `.chainsaw-test`: each object applied under Enforce must be admitted, or refused when `($error != null)` is expected. */
function chainsawCases(corpus: Corpus, dir: string, check: MappedCheck): Case[] {
  const testDir = `${dir}/.chainsaw-test`;
  const cases: Case[] = [];
  for (const step of list(asRecord(corpus.data(`${testDir}/chainsaw-test.yaml`).spec)?.steps)) {
    for (const op of list(asRecord(step)?.try)) {
      const apply = asRecord(asRecord(op)?.apply);
      if (typeof apply?.file !== "string" || apply.file.startsWith("../")) continue;
      const expect = list(apply.expect).map((e) => asRecord(asRecord(e)?.check));
      if (!expect.every((e) => e?.["($error != null)"] === true)) throw new Error(`${testDir}: unknown expectation for ${apply.file}`);
      const rel = `${testDir}/${apply.file}`;
      const objects = corpus.workloads(rel);
      objects.forEach((s, i) => {
        const fixture = objects.length > 1 ? `${rel}#${i + 1}` : rel;
        cases.push({ tool: "Kyverno", fixture, check, expected: expect.length > 0 ? "fail" : "pass", objects: [s] });
      });
    }
  }
  return cases;
}

export function kyvernoCases(corpus: Corpus): Case[] {
  return KYVERNO_POLICIES.flatMap(({ dir, check }) => [...kyvernoTestCases(corpus, dir, check), ...chainsawCases(corpus, dir, check)]);
}

/**
 * Our check for a Gatekeeper constraint, or undefined when its parameters ask for nothing of ours
 * (K8sRequiredResources without parameters, other disallowed tags, probes only behind a Service).
 */
function gatekeeperCheck(constraint: Rec): MappedCheck | undefined {
  const p = asRecord(asRecord(constraint.spec)?.parameters) ?? {};
  const required = (names: string[]) => names.filter((r) => p[r] !== undefined && p[r] !== "-1");
  switch (constraint.kind) {
    case "K8sDisallowedTags":
      return JSON.stringify(p.tags) === '["latest"]' ? "latest_tag" : undefined;
    case "K8sRequiredProbes": {
      if (p.onlyServices === true) return undefined;
      const probes = list(p.probes);
      const parts = [probes.includes("livenessProbe") && "missing_liveness", probes.includes("readinessProbe") && "missing_readiness"];
      return parts.filter(Boolean).join("|") || undefined;
    }
    case "K8sContainerLimits":
      return resourceCheck("missing_limits", required(["cpu", "memory"]));
    case "K8sContainerRequests":
      return resourceCheck("missing_requests", required(["cpu", "memory"]));
    case "K8sRequiredResources": {
      const parts = [resourceCheck("missing_limits", list(p.limits).map(String)), resourceCheck("missing_requests", list(p.requests).map(String))];
      return parts.filter(Boolean).join("|") || undefined;
    }
  }
  return undefined;
}

const GATEKEEPER_SUITES = ["containerlimits", "containerrequests", "containerresources", "disallowedtags", "requiredprobes"];

/** `suite.yaml`: each case's `violations: yes/no` (or a count) under the sample's constraint. */
export function gatekeeperCases(corpus: Corpus): Case[] {
  const cases: Case[] = [];
  for (const suite of GATEKEEPER_SUITES) {
    const base = `gatekeeper-library/library/general/${suite}`;
    for (const test of list(corpus.data(`${base}/suite.yaml`).tests).map((t) => t as Rec)) {
      const check = gatekeeperCheck(corpus.data(`${base}/${String(test.constraint)}`));
      if (check === undefined) continue;
      for (const c of list(test.cases).map((x) => x as Rec)) {
        const total = list(c.assertions).map((a) => a as Rec).find((a) => a.message === undefined);
        const violations = total?.violations;
        if (violations === undefined) throw new Error(`${base}: case ${String(c.name)} states no violation count`);
        const fixture = `${base}/${String(c.object)}`;
        const expected: Verdict = violations === "no" || violations === 0 ? "pass" : "fail";
        cases.push({ tool: "Gatekeeper", fixture, check, expected, objects: corpus.workloads(fixture) });
      }
    }
  }
  return cases;
}

/** Every case of the four tools, in a stable order. */
export function collectCases(root: string): Case[] {
  const corpus = new Corpus(root);
  return [...polarisCases(corpus), ...kubeScoreCases(corpus), ...kyvernoCases(corpus), ...gatekeeperCases(corpus)];
}
