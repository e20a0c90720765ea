/**
 * Real AdmissionReviews from the shared corpus (kubewarden, pepr, kubernetes/api,
 * gatekeeper-library) and 10,000 deterministic mutations of them through the app:
 * no crash, every response valid JSON of the right shape, the uid always echoed.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ENFORCE_LATEST, makeApp, policies } from "./fixtures.ts";

const CORPUS = "/work/shared/corpus";
const HAS_CORPUS = existsSync(CORPUS);

function wrap(request: unknown): Record<string, unknown> {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

/** Every corpus review as a full envelope, with its file name. */
function loadCorpusReviews(): Array<{ file: string; body: Record<string, unknown> }> {
  const out: Array<{ file: string; body: Record<string, unknown> }> = [];
  const policiesDir = join(CORPUS, "kubewarden-policies/policies");
  for (const policy of readdirSync(policiesDir)) {
    const dir = join(policiesDir, policy, "test_data");
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(readFileSync(join(dir, name), "utf8"));
      } catch {
        continue; // a few fixtures are not JSON requests at all
      }
      const body = "request" in data ? data : "uid" in data ? wrap(data) : undefined;
      if (body) out.push({ file: `${policy}/${name}`, body });
    }
  }
  const pepr = join(CORPUS, "pepr/src/fixtures/data");
  for (const name of readdirSync(pepr).filter((n) => n.startsWith("admission-"))) {
    out.push({ file: `pepr/${name}`, body: wrap(JSON.parse(readFileSync(join(pepr, name), "utf8"))) });
  }
  for (const v of ["v1", "v1beta1"]) {
    const file = join(CORPUS, `kubernetes-api/testdata/HEAD/admission.k8s.io.${v}.AdmissionReview.json`);
    out.push({ file, body: JSON.parse(readFileSync(file, "utf8")) });
  }
  for (const sample of ["requiredprobes/samples/must-have-probes", "ephemeralstoragelimit/samples/container-must-have-ephemeral-storage-limit"]) {
    const file = join(CORPUS, "gatekeeper-library/library/general", sample, "update.yaml");
    if (existsSync(file)) out.push({ file, body: parse(readFileSync(file, "utf8")) });
  }
  return out;
}

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

/** mulberry32: a small seeded PRNG, so every run fuzzes the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

const ODD_VALUES: unknown[] = [null, 0, -1, 1e308, "", "x".repeat(300), "nginx:latest", true, [], {}, [null], { "": null }, "CREATE", "UPDATE", "\u0000\ud800"];

/** Paths to every container/object node, to mutate somewhere meaningful. */
function nodes(value: unknown, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (out.length > 400) return out;
  if (Array.isArray(value)) value.forEach((v, i) => nodes(v, [...path, i], out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) nodes(v, [...path, k], out);
  return out;
}

function mutate(body: unknown, rand: () => number): string {
  const copy = structuredClone(body) as Record<string, unknown>;
  const paths = nodes(copy).filter((p) => p.length > 0);
  const rounds = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < rounds && paths.length > 0; i++) {
    const path = pick(rand, paths);
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[key];
    if (!parent || typeof parent !== "object") continue;
    const key = path[path.length - 1] as string | number;
    const op = rand();
    if (op < 0.35) delete (parent as Record<string | number, unknown>)[key];
    else if (op < 0.8) (parent as Record<string | number, unknown>)[key] = structuredClone(pick(rand, ODD_VALUES));
    else (parent as Record<string | number, unknown>)[key] = structuredClone(pick(rand, [copy, copy.request ?? null, (copy.request as Record<string, unknown> | undefined)?.object ?? null]));
  }
  const text = JSON.stringify(copy) ?? "null";
  const tail = rand();
  if (tail < 0.05) return text.slice(0, Math.floor(rand() * text.length)); // truncated
  if (tail < 0.08) return text.replace(/"/, "'"); // not JSON
  return text;
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
