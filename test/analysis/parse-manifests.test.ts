/**
 * Offline input parsing: multi-document YAML with lines, JSON, Lists with and
 * without item kinds, watch streams, admission envelopes, kubectl's leniency
 * for under-indented quoted scalars, and errors that name file and line.
 */
import { describe, expect, test } from "bun:test";
import { dedupeObjects } from "../../lib/analysis/dedupe-objects.ts";
import { KubeDevopsError } from "../../lib/errors.ts";
import { documentStartLines, listItemLines } from "../../lib/manifests/document-lines.ts";
import { parseManifests } from "../../lib/manifests/parse-manifests.ts";

const summary = (text: string, file = "in.yaml") => parseManifests(text, file).map((o) => [o.object.kind, o.object.metadata?.name, o.line]);

describe("parseManifests", () => {
  test("multi-document YAML keeps each document's start line", () => {
    const text = "# header\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: s}\n---\n---\n# c\nkind: Deployment\nmetadata: {name: d}\n";
    expect(summary(text)).toEqual([["Pod", "a", 2], ["Service", "s", 6], ["Deployment", "d", 10]]);
  });

  test("a List's items are unwrapped; kind comes from PodList or the pod shape", () => {
    const podList = JSON.stringify({ kind: "PodList", items: [{ metadata: { name: "p1" } }] });
    expect(summary(podList, "l.json")).toEqual([["Pod", "p1", 1]]);
    const list = "kind: List\nitems:\n- metadata: {name: bare}\n  spec: {containers: []}\n- kind: Deployment\n  metadata: {name: d}\n";
    expect(summary(list)).toEqual([["Pod", "bare", 3], ["Deployment", "d", 5]]);
  });

  test("each item of a YAML List is located at its own line; a List the scan cannot align stays at its document's line", () => {
    const dump = [
      "apiVersion: v1", // 1
      "kind: List",
      "items:",
      "- apiVersion: v1", // 4
      "  kind: Pod",
      "  metadata:",
      "    name: a",
      "    annotations:",
      "      note: |", // 9
      "        - not an item",
      "  spec:",
      "    containers:",
      "    - name: c", // 13
      "",
      "# a comment",
      "- kind: Pod", // 16
      "  metadata: {name: b}",
      "metadata: {resourceVersion: ''}",
      "---",
      "kind: List", // 20
      "items:",
      "  - kind: Pod",
      "    metadata: {name: c}",
      "  - {kind: Pod, metadata: {name: d}}", // 24
    ].join("\n");
    expect(summary(dump)).toEqual([["Pod", "a", 4], ["Pod", "b", 16], ["Pod", "c", 22], ["Pod", "d", 24]]);
    expect(listItemLines(dump)).toEqual([[4, 16], [22, 24]]);
    const flow = "kind: List\nitems:\n  [{kind: Pod, metadata: {name: e}}]\n";
    expect(summary(flow)).toEqual([["Pod", "e", 1]]);
  });

  test("a watch stream (JSON lines) is read event by event and replayed", () => {
    const text = [
      { type: "ADDED", object: { kind: "Pod", metadata: { name: "w", namespace: "x" }, status: { phase: "Pending" } } },
      { type: "MODIFIED", object: { kind: "Pod", metadata: { name: "w", namespace: "x" }, status: { phase: "Running" } } },
      { type: "ADDED", object: { kind: "Pod", metadata: { name: "gone", namespace: "x" } } },
      { type: "DELETED", object: { kind: "Pod", metadata: { name: "gone", namespace: "x" } } },
    ].map((e) => JSON.stringify(e)).join("\n");
    const { objects } = dedupeObjects(parseManifests(text, "watch.json"));
    expect(objects.map((o) => [o.object.metadata?.name, (o.object.status as { phase?: string } | undefined)?.phase, o.line])).toEqual([["w", "Running", 2]]);
  });

  test("AdmissionReview envelopes and bare AdmissionRequests yield the object under review", () => {
    const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "1", object: { kind: "Pod", metadata: { name: "r" } } } };
    const bare = { uid: "2", kind: { group: "apps", version: "v1", kind: "Deployment" }, operation: "CREATE", object: { metadata: { name: "b" } } };
    expect(summary(JSON.stringify(review), "r.json")).toEqual([["Pod", "r", 1]]);
    expect(summary(JSON.stringify(bare), "b.json")).toEqual([["Deployment", "b", 1]]);
  });

  test("an object under review for CREATE has no status to score: the Pending phase is the API server's default, not a stuck pod", () => {
    const pod = { kind: "Pod", metadata: { name: "new" }, spec: { containers: [{ name: "c", image: "c:1" }] }, status: { phase: "Pending", qosClass: "BestEffort" } };
    const create = { uid: "3", kind: { version: "v1", kind: "Pod" }, operation: "CREATE", object: pod };
    const [created] = parseManifests(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: create }), "create.json");
    expect(created?.object.status).toBeUndefined();
    expect(created?.object.spec).toEqual(pod.spec);
    const [bare] = parseManifests(JSON.stringify(create), "create.json");
    expect(bare?.object.status).toBeUndefined();
    // an UPDATE's object is a pod that exists: its status is what the cluster reported
    const [updated] = parseManifests(JSON.stringify({ ...create, operation: "UPDATE" }), "update.json");
    expect(updated?.object.status).toEqual(pod.status);
  });

  test("a byte-order mark, empty documents and scalars are ignored", () => {
    expect(summary("\uFEFFkind: Pod\nmetadata: {name: a}\n")).toEqual([["Pod", "a", 1]]);
    expect(summary("")).toEqual([]);
    expect(summary("---\n---\njust a string\n")).toEqual([]);
  });

  test("a quoted scalar continued below its key's indentation is read as kubectl reads it", () => {
    const text = "kind: Pod\nmetadata:\n  name: q\n  annotations:\n    example: '[\n    {\"a\": 1}\n    ]'\nspec: {containers: []}\n";
    const [o] = parseManifests(text, "q.yaml");
    expect(o?.object.metadata?.annotations?.example).toBe('[ {"a": 1} ]');
  });

  test("invalid YAML names file, line and column", () => {
    let err: unknown;
    try {
      parseManifests("kind: Pod\nmetadata:\n  name: [a,\n  b: :\n", "broken.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeDevopsError);
    expect((err as KubeDevopsError).code).toBe("INPUT");
    expect((err as KubeDevopsError).message).toMatch(/^broken\.yaml:\d+:\d+: invalid YAML: /);
  });

  test("a broken JSON line in a stream names its line", () => {
    expect(() => parseManifests('{"type":"ADDED","object":{"kind":"Pod"}}\n{"type": oops}\n', "s.json")).toThrow(/^s\.json:2: invalid JSON/);
  });
});

describe("documentStartLines", () => {
  test("counts an implicit first document and every marker", () => {
    expect(documentStartLines("a: 1\n---\nb: 2\n")).toEqual([1, 3]);
    expect(documentStartLines("# only comment\n---\na: 1\n")).toEqual([3]);
    expect(documentStartLines("--- {a: 1}\n--- \nb: 2\n")).toEqual([1, 3]);
  });
});
