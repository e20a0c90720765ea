/** The operator's work queue (coalescing, no concurrent runs per key) and pod index. */
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../lib/kube/clock.ts";
import { PodIndex, trimPod } from "../../lib/operator/pod-index.ts";
import { WorkQueue } from "../../lib/operator/work-queue.ts";

describe("WorkQueue", () => {
  test("a burst of schedules for one key runs it once; delays are honoured", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock);
    const runs: [string, number][] = [];
    const abort = new AbortController();
    const done = queue.run(async (key) => void runs.push([key, clock.now()]), { concurrency: 2, signal: abort.signal });
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) queue.schedule("prod/a", 2000);
    queue.schedule("prod/b", 5000);
    await clock.advance(1999);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([["prod/a", t0 + 2000]]);
    await clock.advance(3000);
    expect(runs).toEqual([["prod/a", t0 + 2000], ["prod/b", t0 + 5000]]);
    abort.abort();
    await done;
  });

  test("an earlier schedule wins over a later one", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock);
    const runs: number[] = [];
    const abort = new AbortController();
    const done = queue.run(async () => void runs.push(clock.now()), { concurrency: 1, signal: abort.signal });
    const t0 = clock.now();
    queue.schedule("k", 30_000);
    queue.schedule("k", 100);
    queue.schedule("k", 30_000);
    await clock.advance(30_000);
    expect(runs).toEqual([t0 + 100]);
    abort.abort();
    await done;
  });

  test("a key scheduled while in flight runs again after, never concurrently", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock);
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: (() => void) | undefined;
    const abort = new AbortController();
    const done = queue.run(
      async () => {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        if (runs === 1) await new Promise<void>((r) => (release = r));
        active--;
      },
      { concurrency: 4, signal: abort.signal },
    );
    queue.schedule("k", 0);
    await clock.advance(0);
    queue.schedule("k", 0);
    await clock.advance(10);
    expect(runs).toBe(1);
    release?.();
    await clock.advance(10);
    expect([runs, maxActive]).toEqual([2, 1]);
    abort.abort();
    await done;
  });

  test("many keys run in due order, each once, with reschedules superseding earlier entries", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock);
    const runs: [string, number][] = [];
    const abort = new AbortController();
    const t0 = clock.now();
    const done = queue.run(async (key) => void runs.push([key, clock.now() - t0]), { concurrency: 1, signal: abort.signal });
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const expected = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const key = `k${i % 120}`; // 80 keys are scheduled twice: the earlier time wins
      const delay = Math.floor(random() * 10_000);
      queue.schedule(key, delay);
      expected.set(key, Math.min(expected.get(key) ?? Number.POSITIVE_INFINITY, delay));
    }
    await clock.advance(10_000);
    expect(runs.length).toBe(120);
    expect(new Map(runs)).toEqual(expected);
    for (let i = 1; i < runs.length; i++) expect((runs[i] as [string, number])[1]).toBeGreaterThanOrEqual((runs[i - 1] as [string, number])[1]);
    abort.abort();
    await done;
  });
});

describe("pod index", () => {
  test("trimPod keeps what checks read and drops the rest", () => {
    const pod = {
      metadata: {
        name: "p", namespace: "prod", uid: "u", labels: { a: "b" }, annotations: { "devops.stochastic.io/exempt": "true", big: "x".repeat(1000) }, managedFields: [{}],
        ownerReferences: [{ apiVersion: "v1", kind: "Other", name: "o", uid: "o1" }, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "r1", controller: true, blockOwnerDeletion: true }],
      },
      spec: { containers: [{ name: "c", image: "nginx:latest", livenessProbe: { httpGet: { path: "/", port: 80 } }, env: [{ name: "A" }], resources: { limits: { cpu: "1", "nvidia.com/gpu": "1" } } }], volumes: [{}] },
      status: { phase: "Running", containerStatuses: [{ name: "c", restartCount: 4, image: "nginx" }], conditions: [{}] },
    };
    expect(trimPod(pod)).toEqual({
      metadata: { name: "p", namespace: "prod", uid: "u", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "r1", controller: true }], annotations: { "devops.stochastic.io/exempt": "true" } },
      spec: { containers: [{ name: "c", image: "nginx:latest", resources: { limits: { cpu: "1" } }, livenessProbe: {} }] },
      status: { phase: "Running", containerStatuses: [{ name: "c", restartCount: 4 }] },
    });
  });

  test("the pods of a workload share one frozen copy of their containers, owner and status; their own identity stays theirs", () => {
    const replica = (name: string, restarts: number) => ({
      metadata: { name, namespace: "prod", uid: `uid-${name}`, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "r1", controller: true }] },
      spec: { containers: [{ name: "app", image: "web:1.2", resources: { requests: { cpu: "100m" } }, readinessProbe: { tcpSocket: { port: 80 } } }] },
      status: { phase: "Running", containerStatuses: [{ name: "app", restartCount: restarts }] },
    });
    const [a, b, c] = [trimPod(replica("a", 0)), trimPod(replica("b", 0)), trimPod(replica("c", 7))];
    expect(b.spec).toBe(a.spec!);
    expect(b.metadata?.ownerReferences).toBe(a.metadata!.ownerReferences!);
    expect(b.status).toBe(a.status!);
    expect(c.status).not.toBe(a.status!);
    expect(c.status?.containerStatuses?.[0]?.restartCount).toBe(7);
    expect([a.metadata?.name, b.metadata?.name, b.metadata?.uid]).toEqual(["a", "b", "uid-b"]);
    expect(Object.isFrozen(a.spec!.containers![0]!.resources)).toBe(true);
    expect(() => {
      (a.spec!.containers![0] as { image: string }).image = "changed";
    }).toThrow();
  });

  test("indexes by namespace, skips system namespaces, forgets deleted pods", () => {
    const index = new PodIndex();
    expect(index.upsert("prod/a", trimPod({ metadata: { name: "a", namespace: "prod" } }))).toBe("prod");
    expect(index.upsert("kube-system/x", trimPod({ metadata: { name: "x", namespace: "kube-system" } }))).toBeUndefined();
    index.upsert("dev/b", trimPod({ metadata: { name: "b", namespace: "dev" } }));
    expect(index.podsIn("prod").map((p) => p.metadata?.name)).toEqual(["a"]);
    expect(index.delete("prod/a")).toBe("prod");
    expect(index.delete("prod/a")).toBeUndefined();
    expect([index.podsIn("prod"), index.size]).toEqual([[], 1]);
  });
});
