/**
 * The one YAML serializer quotes every string a YAML 1.1 reader (kubectl's go-yaml) would
 * retype — `on`, `yes`, `n`, `~`, `1_000`, `0o17`, `1:20` — and leaves everything else as
 * it was (the generators' snapshots pin that). The commands the audit caught printing `a: on`
 * and `namespace: on` now print YAML kubectl reads back as strings.
 */
import { describe, expect, test } from "bun:test";
import { parse, parseAllDocuments } from "yaml";
import { stringifyYaml } from "../../lib/yaml-stringify.ts";
import { runBinary } from "../support/binary.ts";

/** YAML 1.1 non-strings (bools, null, ints, floats, sexagesimals, timestamps, merge). */
const YAML_11 = ["on", "On", "ON", "off", "yes", "Yes", "no", "NO", "y", "Y", "n", "N", "true", "False", "~", "null", "Null", "", "1_000", "0b101", "012", "0x1F", "1:20", "190:20:30.5", "1.", ".5", "1.5e3", ".inf", "-.Inf", ".nan", "2001-01-01", "2001-12-14t21:59:43.10-05:00", "<<"];
/** What kubectl v1.32.4 (go-yaml's resolver: Go's strconv, underscores dropped) read as numbers though YAML 1.1 and 1.2 read strings. */
const GO_YAML = ["0o17", "0O17", "-0o17", "+0o17", "0B101", "0X1F", "-0x1F", "1e_3", "0.1e-1_0", "-_1", "+_1", "0_o17", "0o_17", "1e-_3", "0_x1F", "0b-1", "1_", "1__0"];
/** Strings that stay plain (byte-stable output): versions, quantities, names. */
const PLAIN = ["abc", "v1", "0.3.0", "1.2.3-rc", "10.0.0.1", "100Mi", "500m", "5m", "_1", "0x", "0b2", "1:60", "=", "x<<", "kube-devops"];

function valueLine(value: string): string {
  return stringifyYaml({ k: value }).trimEnd();
}

describe("stringifyYaml", () => {
  test.each([...YAML_11, ...GO_YAML])("%p is quoted, and read back as that string under YAML 1.1 and 1.2", (value) => {
    const line = valueLine(value);
    expect(line).toMatch(/^k: ["']/);
    expect(parse(line, { version: "1.1" }).k).toBe(value);
    expect(parse(line).k).toBe(value);
    expect((Bun.YAML.parse(line) as { k: unknown }).k).toBe(value);
  });

  test("keys are quoted by the same rules", () => {
    expect(stringifyYaml({ on: "x", yes: 1, n: true, "0o17": null })).toBe('"on": x\n"yes": 1\n"n": true\n"0o17": null\n');
  });

  test.each(PLAIN)("%p stays plain", (value) => {
    expect(valueLine(value)).toBe(`k: ${value}`);
  });

  test("non-strings keep their plain form; long strings are not folded; repeated objects are not aliased", () => {
    const shared = { a: 1 };
    const long = "x ".repeat(100).trim();
    expect(stringifyYaml({ b: true, i: 5, f: 0.5, z: null, s: long, one: shared, two: shared })).toBe(`b: true\ni: 5\nf: 0.5\nz: null\ns: ${long}\none:\n  a: 1\ntwo:\n  a: 1\n`);
  });

  test.skipIf(!Bun.which("kubectl"))("kubectl reads every string back unchanged (annotate --local, no server)", () => {
    const values = [...YAML_11, ...GO_YAML, ...PLAIN];
    const data = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
    const text = stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "on", namespace: "yes", labels: { a: "on", n: "0o17" } }, data });
    const result = Bun.spawnSync(["kubectl", "annotate", "--local", "-f", "-", "x=y", "-o", "json"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    const read = JSON.parse(result.stdout.toString());
    expect(read.data).toEqual(data);
    expect(read.metadata).toMatchObject({ name: "on", namespace: "yes", labels: { a: "on", n: "0o17" } });
  });
});

/** Every scalar of every document, read with YAML 1.1 rules, must be a string where the input gave one. */
function yaml11Documents(text: string): unknown[] {
  return parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS());
}

describe("commands print YAML 1.1 readers take as strings", () => {
  test("observability generate-service-monitors --monitor-labels a=on,c=yes", () => {
    const { code, stdout } = runBinary(["observability", "generate-service-monitors", "--monitor-labels", "a=on,c=yes"]);
    expect(code).toBe(0);
    for (const doc of yaml11Documents(stdout) as { metadata: { labels: Record<string, unknown> } }[]) {
      expect(doc.metadata.labels).toMatchObject({ a: "on", c: "yes" });
    }
  });

  test("policy bundle-apply baseline -n yes --policy-name on", () => {
    const { code, stdout } = runBinary(["policy", "bundle-apply", "baseline", "-n", "yes", "--policy-name", "on"]);
    expect(code).toBe(0);
    expect(stdout).toContain('name: "on"\n  namespace: "yes"\n');
    expect(yaml11Documents(stdout)[0]).toMatchObject({ metadata: { name: "on", namespace: "yes" } });
  });

  test("analyze -o policyreport of a pod in namespace on", () => {
    const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: 'off', namespace: 'on'}\nspec:\n  containers:\n  - {name: 'y', image: 'app:latest'}\n";
    const { code, stdout } = runBinary(["analyze", "-f", "-", "-o", "policyreport"], { stdin: pod });
    expect(code).toBe(0);
    const [report] = yaml11Documents(stdout) as { metadata: { namespace: unknown }; results: { resources: { name: unknown; namespace: unknown }[] }[] }[];
    expect(report?.metadata.namespace).toBe("on");
    expect(report?.results[0]?.resources[0]).toMatchObject({ name: "off", namespace: "on" });
  });
});
