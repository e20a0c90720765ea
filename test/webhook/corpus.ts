/**
 * The shared AdmissionReview corpus (kubewarden, pepr, kubernetes/api, gatekeeper-library)
 * and deterministic mutations of it, for the fuzz and equivalence tests.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
export { prng } from "../support/prng.ts";

export const CORPUS = "/work/shared/corpus";
export const HAS_CORPUS = existsSync(CORPUS);

function wrap(request: unknown): Record<string, unknown> {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

/** Every corpus review as a full envelope, with its file name. */
export function loadCorpusReviews(): Array<{ file: string; body: Record<string, unknown> }> {
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


export function pick<T>(rand: () => number, items: readonly T[]): T {
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

export function mutate(body: unknown, rand: () => number): string {
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
