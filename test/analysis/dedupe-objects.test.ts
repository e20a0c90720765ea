/**
 * One object counts once: repeats of an identity (apiVersion, kind, namespace, name, and uid
 * when present) are dropped and reported with where they were given; the first is scored.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { analyzeObjects } from "../../lib/analysis/build-report.ts";
import { dedupeObjects, describeDuplicates } from "../../lib/analysis/dedupe-objects.ts";
import { DEFAULT_CHECK_SET } from "../../lib/checks/check-set.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";
import { runBinary } from "../support/binary.ts";

const pod = (name: string, extra: Record<string, unknown> = {}) =>
  `apiVersion: v1\nkind: Pod\nmetadata: ${JSON.stringify({ name, namespace: "shop", ...extra })}\nspec:\n  containers:\n  - {name: app, image: 'app:1.0'}\n`;

describe("dedupeObjects", () => {
  test("a repeat of an identity is dropped and reported with both places; the first is kept", () => {
    const a = parseManifests(`${pod("web")}---\n${pod("api")}`, "a.yaml");
    const b = parseManifests(`${pod("web")}---\n${pod("web", { namespace: "" })}`, "b.yaml");
    const { objects, duplicates } = dedupeObjects([...a, ...b]);
    expect(objects.map((o) => `${o.file}:${o.line}`)).toEqual(["a.yaml:1", "a.yaml:8", "b.yaml:8"]);
    expect(duplicates.map((d) => [d.object, `${d.first.file}:${d.first.line}`, `${d.repeat.file}:${d.repeat.line}`])).toEqual([["Pod shop/web", "a.yaml:1", "b.yaml:1"]]);
  });

  test("apiVersion, kind, namespace (default when unset), name and uid all make the identity", () => {
    const text = [
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n", // same: default namespace
      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n",
      "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: web}\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, uid: u1}\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, uid: u2}\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, uid: u2}\n", // same uid
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: web-}\n",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: web-}\n", // no name: cannot tell
    ].join("---\n");
    const { objects, duplicates } = dedupeObjects(parseManifests(text, "f.yaml"));
    expect(objects).toHaveLength(7);
    expect(duplicates.map((d) => [d.first.line, d.repeat.line])).toEqual([[1, 5], [21, 25]]);
  });

  test("a watch stream is replayed first, so its states are not duplicates", () => {
    const events = ["ADDED", "MODIFIED"].map((type) => JSON.stringify({ type, object: { apiVersion: "v1", kind: "Pod", metadata: { name: "w", namespace: "x" } } })).join("\n");
    expect(dedupeObjects(parseManifests(events, "watch.json")).duplicates).toEqual([]);
  });

  test("the warning counts every repeat and names the first few", () => {
    const objects = parseManifests(Array.from({ length: 5 }, () => pod("web")).join("---\n"), "p.yaml");
    expect(describeDuplicates(dedupeObjects(objects).duplicates)).toBe(
      "dropped 4 duplicate object(s) (same apiVersion, kind, namespace, name and uid; the first is scored): Pod shop/web at p.yaml:8 repeats p.yaml:1; Pod shop/web at p.yaml:15 repeats p.yaml:1; Pod shop/web at p.yaml:22 repeats p.yaml:1; and 1 more",
    );
  });
});

describe("the example snapshot given twice", () => {
  const text = readFileSync("examples/cluster-snapshot.yaml", "utf8");
  const options = { checkSet: DEFAULT_CHECK_SET, now: Date.parse("2026-01-01T00:00:00Z"), exemptions: true, source: "test", scoreTemplates: true };

  test("scores as once: no inflated tally, no copy's controller scored as a template", () => {
    const once = analyzeObjects(parseManifests(text, "a.yaml"), options);
    const twice = analyzeObjects([...parseManifests(text, "a.yaml"), ...parseManifests(text, "copy.yaml")], options);
    expect(twice.tally).toEqual(once.tally);
    expect(twice.score).toBe(once.score);
    expect(twice.representedTemplates).toBe(once.representedTemplates);
    expect(twice.duplicates.length).toBe(parseManifests(text, "a.yaml").length);
    expect(once.tally.pods).toBe(19);
  });

  test("analyze -f of two copies prints the single score and warns on stderr", () => {
    const { code, stdout, stderr } = runBinary(["analyze", "-f", "examples/cluster-snapshot.yaml", "-f", "-"], { stdin: text });
    expect(code).toBe(0);
    expect(stdout).toContain("Workload Pods Analyzed     : 19\n");
    expect(stderr).toContain(`dropped ${parseManifests(text, "-").length} duplicate object(s) (same apiVersion, kind, namespace, name and uid; the first is scored): Deployment shop/frontend at <stdin>:10 repeats examples/cluster-snapshot.yaml:10; ReplicaSet shop/frontend-f4xhmg6g6b at <stdin>:62 repeats examples/cluster-snapshot.yaml:62;`);
  });
});
