/**
 * Real AdmissionReviews from the shared corpus (kubewarden, pepr, kubernetes/api,
 * gatekeeper-library) and 10,000 deterministic mutations of them through the app:
 * no crash, every response valid JSON of the right shape, the uid always echoed.
 */
import { describe, expect, test } from "bun:test";
import { HAS_CORPUS, loadCorpusReviews, mutate, pick, prng } from "./corpus.ts";
import { ENFORCE_LATEST, makeApp, policies } from "./fixtures.ts";

type Json = { apiVersion?: unknown; kind?: unknown; response?: { uid?: unknown; allowed?: unknown; status?: unknown; warnings?: unknown } };

function expectValidResponse(status: number, text: string, sentUid: unknown): Json {
  expect([200, 400, 413]).toContain(status);
  const json = JSON.parse(text) as Json;
  expect(json.kind).toBe("AdmissionReview");
  expect(["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]).toContain(json.apiVersion as string);
  expect(typeof json.response?.uid).toBe("string");
  expect(typeof json.response?.allowed).toBe("boolean");
  if (json.response?.warnings !== undefined) expect((json.response.warnings as unknown[]).every((w) => typeof w === "string")).toBe(true);
  if (status === 200) expect(json.response?.uid).toBe(sentUid as string);
  if (status !== 200) expect(json.response?.allowed).toBe(true);
  return json;
}

describe.skipIf(!HAS_CORPUS)("corpus AdmissionReviews", () => {
  const reviews = HAS_CORPUS ? loadCorpusReviews() : [];

  test("there are well over a hundred, and every one gets a valid answer", async () => {
    expect(reviews.length).toBeGreaterThan(140);
    const { app } = makeApp({ policiesFor: () => [] });
    const outcomes = { ok: 0, bad: 0 };
    for (const { body } of reviews) {
      const res = await app.request("/validate", { method: "POST", body: JSON.stringify(body) });
      expectValidResponse(res.status, await res.text(), (body.request as { uid?: unknown } | undefined)?.uid);
      outcomes[res.status === 200 ? "ok" : "bad"]++;
    }
    // gatekeeper's samples lack a uid and an oldObject: the only 400s
    expect(outcomes.bad).toBeLessThanOrEqual(4);
  });

  test("with an enforcing policy in every namespace, kubewarden's :latest pods are denied with the reference message", async () => {
    const { app } = makeApp({ policiesFor: (ns) => policies([ENFORCE_LATEST], ns).forNamespace(ns) });
    for (const file of ["trusted-repos-policy/pod_creation_latest.json"]) {
      const found = reviews.find((r) => r.file === file);
      expect(found).toBeDefined();
      const res = await app.request("/validate", { method: "POST", body: JSON.stringify(found?.body) });
      const json = expectValidResponse(res.status, await res.text(), "1299d386-525b-4032-98ae-1949f69f9cfc");
      expect(json.response?.allowed).toBe(false);
      expect((json.response?.status as { message: string }).message).toBe("Denied by DevOpsPolicy: container 'nginx' uses :latest tag");
    }
  });

  test("10,000 mutated reviews: no crash, every response valid JSON of the right shape", async () => {
    const rand = prng(0x5eed);
    const strict = { ...ENFORCE_LATEST, requireResourceLimits: true, maxRestartCount: 1, forbidPendingDuration: 0 };
    const byNamespace = new Map<string, ReturnType<typeof policies>>();
    const { app } = makeApp({
      policiesFor: (ns) => {
        if (!byNamespace.has(ns)) byNamespace.set(ns, policies([strict], ns));
        return byNamespace.get(ns)?.forNamespace(ns) ?? [];
      },
    });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const base = pick(rand, reviews).body;
      const text = mutate(base, rand);
      const res = await app.request("/validate", { method: "POST", body: text });
      let sentUid: unknown;
      try {
        sentUid = (JSON.parse(text) as { request?: { uid?: unknown } }).request?.uid;
      } catch {
        sentUid = undefined;
      }
      expectValidResponse(res.status, await res.text(), sentUid);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    // the mutations exercise both paths: real verdicts and rejected envelopes
    expect(statuses.get(200) ?? 0).toBeGreaterThan(1000);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(1000);
  }, 60_000);
});
