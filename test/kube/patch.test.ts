/**
 * Patch semantics from their specifications: RFC 6902 (JSON patch), RFC 7386 (merge patch) and
 * the Kubernetes strategic merge patch documentation ("Update API Objects in Place Using
 * kubectl patch"; sig-api-machinery strategic-merge-patch.md).
 */
import { describe, expect, test } from "bun:test";
import { applyJsonPatch, applyMergePatch, strategicMerge } from "./patch.ts";
import { StatusError } from "./status.ts";

describe("JSON patch (RFC 6902)", () => {
  const doc = { a: { b: [1, 2, 3] }, c: "x" };

  test("add, remove, replace, move, copy", () => {
    const out = applyJsonPatch(doc, JSON.stringify([
      { op: "add", path: "/a/b/1", value: 9 },
      { op: "remove", path: "/a/b/0" },
      { op: "replace", path: "/c", value: "y" },
      { op: "copy", from: "/c", path: "/d" },
      { op: "move", from: "/d", path: "/e" },
      { op: "add", path: "/a/b/-", value: 4 },
    ]));
    expect(out).toEqual({ a: { b: [9, 2, 3, 4] }, c: "y", e: "y" });
    expect(doc.a.b).toEqual([1, 2, 3]);
  });

  test("escaped pointers (~0 ~1)", () => {
    expect(applyJsonPatch({ m: {} }, JSON.stringify([{ op: "add", path: "/m/a~1b~0c", value: 1 }]))).toEqual({ m: { "a/b~c": 1 } });
  });

  test("a failed test aborts the whole patch with 422", () => {
    let err: unknown;
    try {
      applyJsonPatch(doc, JSON.stringify([{ op: "replace", path: "/c", value: "z" }, { op: "test", path: "/c", value: "x" }]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(422);
    expect((err as StatusError).reason).toBe("Invalid");
  });

  test("remove of a missing path fails; malformed patch is 400", () => {
    expect(() => applyJsonPatch(doc, JSON.stringify([{ op: "remove", path: "/nope" }]))).toThrow();
    expect(() => applyJsonPatch(doc, "{")).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe("merge patch (RFC 7386)", () => {
  test("RFC 7386 appendix examples", () => {
    expect(applyMergePatch({ a: "b" }, { a: "c" })).toEqual({ a: "c" });
    expect(applyMergePatch({ a: "b" }, { b: "c" })).toEqual({ a: "b", b: "c" });
    expect(applyMergePatch({ a: "b" }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: [{ b: "c" }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch({ a: { b: "c" } }, { a: { b: "d", c: null } })).toEqual({ a: { b: "d" } });
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  });
});

describe("strategic merge patch", () => {
  const spec = {
    containers: [
      { name: "app", image: "nginx:1", ports: [{ containerPort: 80 }], env: [{ name: "A", value: "1" }], volumeMounts: [{ name: "v", mountPath: "/data" }] },
      { name: "side", image: "envoy:1" },
    ],
    volumes: [{ name: "v", emptyDir: {} }],
    tolerations: [{ key: "a", operator: "Exists" }],
  };

  test("containers merge by name; unmentioned containers stay", () => {
    const out = strategicMerge(spec, { containers: [{ name: "app", image: "nginx:2" }] }) as typeof spec;
    expect(out.containers.map((c) => [c.name, c.image])).toEqual([["app", "nginx:2"], ["side", "envoy:1"]]);
    expect(out.containers[0]!.env).toEqual([{ name: "A", value: "1" }]);
  });

  test("env merges by name, ports by containerPort, volumeMounts by mountPath, volumes by name", () => {
    const out = strategicMerge(spec, {
      containers: [{ name: "app", env: [{ name: "B", value: "2" }, { name: "A", value: "9" }], ports: [{ containerPort: 443 }], volumeMounts: [{ mountPath: "/data", readOnly: true }] }],
      volumes: [{ name: "w", emptyDir: {} }],
    }) as any;
    expect(out.containers[0].env).toEqual([{ name: "A", value: "9" }, { name: "B", value: "2" }]);
    expect(out.containers[0].ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]);
    expect(out.containers[0].volumeMounts).toEqual([{ name: "v", mountPath: "/data", readOnly: true }]);
    expect(out.volumes.map((v: any) => v.name)).toEqual(["v", "w"]);
  });

  test("lists without a merge key (tolerations, args) are replaced", () => {
    const out = strategicMerge(spec, { tolerations: [{ key: "b", operator: "Exists" }] }) as any;
    expect(out.tolerations).toEqual([{ key: "b", operator: "Exists" }]);
  });

  test("$patch: delete removes a list element by key; null removes a field", () => {
    const out = strategicMerge(spec, { containers: [{ name: "side", $patch: "delete" }, { name: "app", ports: null }] }) as any;
    expect(out.containers).toHaveLength(1);
    expect(out.containers[0].ports).toBeUndefined();
  });

  test("$patch: replace replaces a list or a map wholesale", () => {
    const out = strategicMerge(spec, { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] }) as any;
    expect(out.containers).toEqual([{ name: "only", image: "x" }]);
    const map = strategicMerge({ m: { a: 1, b: 2 } }, { m: { $patch: "replace", c: 3 } });
    expect(map).toEqual({ m: { c: 3 } });
  });

  test("$setElementOrder orders the merged list; $deleteFromPrimitiveList removes values", () => {
    const out = strategicMerge(spec, { "$setElementOrder/containers": [{ name: "side" }, { name: "app" }], containers: [{ name: "app", image: "nginx:3" }] } as any) as any;
    expect(out.containers.map((c: any) => c.name)).toEqual(["side", "app"]);
    expect(strategicMerge({ metadata: { finalizers: ["a", "b"] } }, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } })).toEqual({ metadata: { finalizers: ["b"] } });
  });

  test("finalizers merge as a set", () => {
    expect(strategicMerge({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: ["b", "a"] } })).toEqual({ metadata: { finalizers: ["a", "b"] } });
  });

  test("service ports merge by port", () => {
    const out = strategicMerge({ ports: [{ port: 80, name: "http" }] }, { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] });
    expect(out).toEqual({ ports: [{ port: 80, name: "http", targetPort: 8080 }, { port: 443 }] });
  });
});
