/**
 * `kube-devops analyze` offline, end to end on the compiled binary: the example
 * snapshot, stdin, repeated -f, bundles and policy files, formats, and the
 * exit codes 0 / 1 / 2 / 3 / 4.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary } from "../support/binary.ts";

const SNAPSHOT = "examples/cluster-snapshot.yaml";
const dir = mkdtempSync(join(tmpdir(), "kd-analyze-"));
const badPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: team}\nspec:\n  containers:\n  - name: app\n    image: app:latest\n";
const goodPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: team}\nspec:\n  containers:\n  - name: app\n    image: app:1.0\n    livenessProbe: {tcpSocket: {port: 80}}\n    readinessProbe: {tcpSocket: {port: 80}}\n";
writeFileSync(join(dir, "bad.yaml"), badPod);
writeFileSync(join(dir, "good.yaml"), goodPod);
writeFileSync(
  join(dir, "policy.yaml"),
  "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata: {name: limits, namespace: team}\nspec:\n  requireResourceLimits: true\n  severityOverrides: {missingLimits: critical}\n",
);

describe("analyze -f", () => {
  test("the README's example snapshot exits 0 and starts with the summary block", () => {
    const { code, stdout, stderr } = runBinary(["analyze", "-f", SNAPSHOT]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.startsWith("===== DevOps Governance Summary =====\nWorkload Pods Analyzed     : 19\n")).toBe(true);
    expect(stdout).toContain("TOP FIXES");
  });

  test("stdin without workloads is named <stdin> in the warning, as in every other message", () => {
    const { code, stderr } = runBinary(["analyze", "-f", "-"], { stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" });
    expect(code).toBe(0);
    expect(stderr).toContain("nothing to score in <stdin>: 1 object(s) that are no pod or pod controller (ConfigMap 1)");
  });

  test("repeated -f and a directory read every file; - reads stdin", () => {
    const both = JSON.parse(runBinary(["analyze", "-f", join(dir, "bad.yaml"), "-f", join(dir, "good.yaml"), "-o", "json"]).stdout);
    expect(both.summary).toMatchObject({ total_pods: 2, latest_tag: 1, score: 95 });
    const fromDir = JSON.parse(runBinary(["analyze", "-f", dir, "-o", "json"]).stdout);
    expect(fromDir.summary.total_pods).toBe(2);
    const stdin = JSON.parse(runBinary(["analyze", "-f", "-", "-o", "json"], { stdin: badPod }).stdout);
    expect(stdin.workloads[0].file).toBe("<stdin>");
    expect(stdin.summary.score).toBe(90);
  });

  test("--fail-on exits 3 and --min-score exits 4, after printing the report", () => {
    const failOn = runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--fail-on", "high"]);
    expect(failOn.code).toBe(3);
    expect(failOn.stdout).toContain("Cluster Health Score       : 90/100");
    expect(failOn.stderr).toContain("1 violation(s) at or above severity high");
    expect(runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--fail-on", "critical"]).code).toBe(0);
    const minScore = runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--min-score", "91"]);
    expect(minScore.code).toBe(4);
    expect(minScore.stderr).toContain("score 90 is below --min-score 91");
    expect(runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--min-score", "90"]).code).toBe(0);
    // both gates fail: exit 3 (--fail-on is judged first), and the message names the score gate too
    const both = runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--fail-on", "high", "--min-score", "91"]);
    expect(both.code).toBe(3);
    expect(both.stderr).toContain("1 violation(s) at or above severity high (--fail-on high); and score 90 is below --min-score 91");
  });

  test("--policy takes a policy file or a ns/name from the input; --bundle a bundle", () => {
    const byFile = runBinary(["analyze", "-f", join(dir, "good.yaml"), "--policy", join(dir, "policy.yaml"), "--fail-on", "critical", "-o", "json"]);
    expect(byFile.code).toBe(3);
    expect(JSON.parse(byFile.stdout).checks).toEqual(["missing_limits"]);
    const byRef = JSON.parse(runBinary(["analyze", "-f", dir, "--policy", "team/limits", "-o", "json"]).stdout);
    expect(byRef.source).toBe("policy team/limits");
    expect(byRef.summary.missing_limits).toBe(2);
    const bundle = JSON.parse(runBinary(["analyze", "-f", join(dir, "bad.yaml"), "--bundle", "baseline", "-o", "json"]).stdout);
    expect(bundle.checks).toEqual(["latest_tag", "missing_readiness"]);
  });

  test("--policy - reads the policy from stdin (not a policy named -), never together with -f -; -n \"\" is a usage error", () => {
    const policy = readFileSync(join(dir, "policy.yaml"), "utf8");
    const fromStdin = runBinary(["analyze", "-f", join(dir, "good.yaml"), "--policy", "-", "-o", "json"], { stdin: policy });
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout).checks).toEqual(["missing_limits"]);
    const both = runBinary(["analyze", "-f", "-", "--policy", "-"], { stdin: policy });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("stdin can feed -f - or --policy -, not both");
    const empty = runBinary(["analyze", "-f", join(dir, "good.yaml"), "-n", ""]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('-n "" names no namespace');
  });

  test("--policy takes a List of policies (kubectl get dop -o yaml); a bad policy found by ns/name in -f names file:line", () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: devops.stochastic.io/v1\n  kind: DevOpsPolicy\n  metadata: {name: limits, namespace: team}\n  spec: {requireResourceLimits: true}\n`;
    writeFileSync(join(dir, "policies.list"), list);
    const fromList = runBinary(["analyze", "-f", join(dir, "good.yaml"), "--policy", join(dir, "policies.list"), "-o", "json"]);
    expect(fromList.stderr).toBe("");
    expect(JSON.parse(fromList.stdout)).toMatchObject({ checks: ["missing_limits"], source: `policy ${join(dir, "policies.list")}:4` });
    const input = `${goodPod}---\napiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata: {name: typo, namespace: team}\nspec:\n  maxRestartCount: three\n`;
    const bad = runBinary(["analyze", "-f", "-", "--policy", "team/typo"], { stdin: input });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("<stdin>:11: spec.maxRestartCount: Invalid type: Expected number");
  });

  test("--policy naming a file that does not exist says so, not that a policy of that name is missing", () => {
    for (const ref of ["nonexistent.yaml", "./policies/team.yml", join(dir, "nope", "p.yaml")]) {
      const { code, stderr } = runBinary(["analyze", "-f", join(dir, "good.yaml"), "--policy", ref]);
      expect(code).toBe(1);
      expect(stderr).toContain(`error: --policy ${ref}: no such file, and no DevOpsPolicy by that name\nhint: --policy takes a file of DevOpsPolicies`);
    }
    // A name with a dot is a valid policy name: found among the input, it is used.
    const dotted = "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata: {name: team.yaml, namespace: team}\nspec: {requireResourceLimits: true}\n";
    const found = runBinary(["analyze", "-f", "-", "--policy", "team/team.yaml", "-o", "json"], { stdin: `${goodPod}---\n${dotted}` });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).source).toBe("policy team/team.yaml");
    // A <namespace>/<name> that is not there keeps its message.
    expect(runBinary(["analyze", "-f", join(dir, "good.yaml"), "--policy", "team/absent"]).stderr).toContain("DevOpsPolicy team/absent not found in the input files");
  });

  test("usage errors exit 2; a missing file exits 1 naming it", () => {
    expect(runBinary(["analyze", "-f", SNAPSHOT, "-o", "xml"]).code).toBe(2);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "--fail-on", "severe"]).code).toBe(2);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "--min-score", "101"]).code).toBe(2);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "-l", "a b c"]).code).toBe(2);
    expect(runBinary(["analyze", "-f", SNAPSHOT, "--frobnicate"]).code).toBe(2);
    const missing = runBinary(["analyze", "-f", join(dir, "nope.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, "nope.yaml")}: no such file or directory`);
    const unknownBundle = runBinary(["analyze", "-f", SNAPSHOT, "--bundle", "strict"]);
    expect(unknownBundle.code).toBe(2);
    expect(unknownBundle.stderr).toContain("Unknown bundle 'strict'. Available bundles: baseline, restricted, permissive");
  });

  test("--no-exemptions scores exempt findings; sarif and junit render", () => {
    const honoured = JSON.parse(runBinary(["analyze", "-f", SNAPSHOT, "-o", "json"]).stdout);
    const ignored = JSON.parse(runBinary(["analyze", "-f", SNAPSHOT, "-o", "json", "--no-exemptions"]).stdout);
    expect(honoured.summary.exempt).toBe(1);
    expect(ignored.summary.exempt).toBe(0);
    expect(ignored.summary.latest_tag).toBe(honoured.summary.latest_tag + 1);
    expect(JSON.parse(runBinary(["analyze", "-f", SNAPSHOT, "-o", "sarif"]).stdout).version).toBe("2.1.0");
    expect(runBinary(["analyze", "-f", SNAPSHOT, "-o", "junit"]).stdout).toContain("<testsuites");
  });
});
