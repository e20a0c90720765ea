/** The list+watch store: change events from upserts, deletes and a relist's key set, with literal objects. */
import { expect, test } from "bun:test";
import { WatchStore, keyOf } from "../../lib/kube/watch-store.ts";
import type { KubeObject } from "../../lib/kube/types.ts";

const pod = (name: string, rv: string, restarts = 0, namespace = "a"): KubeObject => ({ metadata: { name, namespace, resourceVersion: rv }, status: { restarts } } as KubeObject);
const project = (o: KubeObject) => (o as { status: { restarts: number } }).status.restarts;

test("keyOf: namespace/name, or name for cluster-scoped objects", () => {
  expect(keyOf(pod("p", "1"))).toBe("a/p");
  expect(keyOf({ metadata: { name: "node-1" } })).toBe("node-1");
});

test("upsert: added, then modified with the previous projection; the same version again is no event", () => {
  const store = new WatchStore(project);
  expect(store.upsert(pod("p", "1", 0))).toEqual({ type: "added", key: "a/p", value: 0 });
  expect(store.upsert(pod("p", "1", 0))).toBeUndefined();
  expect(store.upsert(pod("p", "2", 3))).toEqual({ type: "modified", key: "a/p", value: 3, previous: 0 });
  expect(store.get("a/p")).toBe(3);
});

test("delete: the previous projection once; a duplicate delete is no event", () => {
  const store = new WatchStore(project);
  store.upsert(pod("p", "1", 4));
  expect(store.delete(pod("p", "2"))).toEqual({ type: "deleted", key: "a/p", previous: 4 });
  expect(store.delete(pod("p", "2"))).toBeUndefined();
  expect(store.size).toBe(0);
});

test("dropUnseen: every key a complete relist did not contain is deleted", () => {
  const store = new WatchStore(project);
  for (const [n, r] of [["x", 1], ["y", 2], ["z", 3]] as const) store.upsert(pod(n, "1", r));
  expect(store.dropUnseen(new Set(["a/y"]))).toEqual([
    { type: "deleted", key: "a/x", previous: 1 },
    { type: "deleted", key: "a/z", previous: 3 },
  ]);
  expect([...store.keys()]).toEqual(["a/y"]);
});

test("the store keeps only the projection, not the object", () => {
  const store = new WatchStore((o: KubeObject) => ({ restarts: project(o) }));
  const obj = pod("p", "1", 2);
  store.upsert(obj);
  expect([...store.values()]).toEqual([["a/p", { restarts: 2 }]]);
  expect(store.get("a/p")).not.toBe(obj as never);
});
