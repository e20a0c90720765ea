/**
 * lib/server/metrics-auth.ts with a counting fake client: how long decisions are cached per token
 * hash, how many are kept, and that concurrent requests share reviews within a bound.
 */
import { describe, expect, test } from "bun:test";
import type { KubeClient } from "../../lib/kube/client.ts";
import { createLogger } from "../../lib/log.ts";
import { bearerToken, createMetricsAccess, type MetricsAccess } from "../../lib/server/metrics-auth.ts";

/** A client answering reviews from `allow` (token → allowed?), counting calls; `gate` holds them. */
function fakeClient(allow: (token: string) => boolean | "unknown", gate?: Promise<void>) {
  const calls: string[] = [];
  const client = {
    async create(type: { plural: string }, body: { spec: { token?: string; user?: string } }) {
      calls.push(type.plural);
      await gate;
      if (type.plural === "tokenreviews") {
        const token = body.spec.token ?? "";
        return allow(token) === "unknown" ? { status: { authenticated: false } } : { status: { authenticated: true, user: { username: token, groups: [] } } };
      }
      return { status: { allowed: allow(body.spec.user ?? "") === true } };
    },
  } as unknown as KubeClient;
  return { client, calls };
}

const quiet = createLogger({ level: "silent" });
const get = (access: MetricsAccess, token: string) => access.check(new Request("https://webhook/metrics", { headers: { Authorization: `Bearer ${token}` } }));

describe("metrics access cache (fake client)", () => {
  test("bearerToken reads only `Bearer <token>`", () => {
    expect([bearerToken("Bearer abc"), bearerToken("bearer abc"), bearerToken("Bearer  abc "), bearerToken("Bearer"), bearerToken("Basic abc"), bearerToken("Bearer a b"), bearerToken(null)]).toEqual([
      "abc",
      "abc",
      "abc",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("an allowed token is trusted for 60 s, a refused one refused for 10 s, then asked about again", async () => {
    let now = 0;
    const { client, calls } = fakeClient((t) => (t === "reader" ? true : t === "stranger" ? "unknown" : false));
    const access = createMetricsAccess({ client, logger: quiet, now: () => now });
    expect(await get(access, "reader")).toBeUndefined();
    expect((await get(access, "stranger"))?.status).toBe(401);
    expect((await get(access, "nosy"))?.status).toBe(403);
    expect(calls.length).toBe(5); // 2 + 1 + 2
    now = 9_999;
    await Promise.all([get(access, "reader"), get(access, "stranger"), get(access, "nosy")]);
    expect(calls.length).toBe(5);
    now = 10_000;
    expect((await get(access, "stranger"))?.status).toBe(401);
    expect((await get(access, "nosy"))?.status).toBe(403);
    expect(await get(access, "reader")).toBeUndefined();
    expect(calls.length).toBe(8);
    now = 60_000;
    expect(await get(access, "reader")).toBeUndefined();
    expect(calls.length).toBe(10);
  });

  test("at most maxEntries decisions are kept; the oldest go first", async () => {
    const { client, calls } = fakeClient(() => true);
    const access = createMetricsAccess({ client, logger: quiet, now: () => 0, maxEntries: 3 });
    for (const t of ["a", "b", "c", "d"]) await get(access, t);
    expect(access.cached).toBe(3);
    const before = calls.length;
    await get(access, "d");
    expect(calls.length).toBe(before);
    await get(access, "a"); // evicted: asked again
    expect(calls.length).toBe(before + 2);
    expect(access.cached).toBe(3);
  });

  test("requests with one token share one review; more distinct tokens than maxInFlight get 503 at once", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { client, calls } = fakeClient(() => true, gate);
    const access = createMetricsAccess({ client, logger: quiet, maxInFlight: 2 });
    const same = [get(access, "a"), get(access, "a"), get(access, "a"), get(access, "b")];
    const busy = await get(access, "c");
    expect(busy?.status).toBe(503);
    expect(busy?.headers.get("retry-after")).toBe("1");
    open();
    expect(await Promise.all(same)).toEqual([undefined, undefined, undefined, undefined]);
    expect(calls.filter((c) => c === "tokenreviews").length).toBe(2);
    expect(await get(access, "c")).toBeUndefined();
  });
});
