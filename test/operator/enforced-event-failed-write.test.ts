/**
 * The `Enforced` Event of a cycle whose status writes fail for another reason than the end of the
 * leader term, against the API emulator over HTTPS: the workloads were patched, and the next cycle
 * finds nothing to patch, so an Event left to it is lost. It is emitted before the reconcile fails;
 * after the term, nothing is written, this Event included (decision 0038).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { EVENTS } from "../../lib/kube/resources.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import type { ResolvedRequest } from "../kube/hooks.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { createEnforcedApps, runEnforceCycle } from "./enforce-cycle.ts";
import { prepareCluster, type Cluster } from "./support.ts";

let emu: Emulator;
let cluster: Cluster;

beforeAll(async () => {
  emu = await startEmulator();
  cluster = await prepareCluster(emu, ["record", "final", "term"]);
});

afterAll(() => emu.stop());

type EventLike = KubeObject & { reason?: string; message?: string; type?: string; involvedObject?: { name?: string } };

const serverError = () => Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "InternalError", code: 500, message: "injected" }, { status: 500 });
const isStatusWrite = (req: ResolvedRequest, namespace: string) => req.method === "PATCH" && req.attrs.resource === "devopspolicies" && req.attrs.subresource === "status" && req.attrs.namespace === namespace;
/** The end-of-cycle write carries the score; a record before a patch carries only the remediation fields. */
const isFinalWrite = (req: ResolvedRequest) => req.body.includes('"healthScore"');

/**
 * Policy `p` over Deployments `names` in `namespace`, one enforce cycle with `handle` answering
 * requests first; returns how the reconcile ended and the policy's Enforced Events.
 */
async function cycle(namespace: string, names: string[], handle: (req: ResolvedRequest) => Response | undefined, signal?: AbortSignal) {
  await createEnforcedApps(cluster.client, namespace, names);
  const outcome = await runEnforceCycle(emu, cluster.client, `${namespace}/p`, handle, signal).then(
    ({ result }) => result,
    (err: unknown) => err,
  );
  const { items } = await cluster.client.listAll<EventLike>(EVENTS, { namespace });
  return { outcome, enforced: items.filter((e) => e.reason === "Enforced" && e.involvedObject?.name === "p").map((e) => [e.type, e.message]) };
}

test("a record that cannot be written halts the cycle: the patch made before it still gets its Enforced Event, and the reconcile fails", async () => {
  // a's record and patch go through; b's record meets 500s on every try: b is not patched.
  let records = 0;
  const { outcome, enforced } = await cycle("record", ["a", "b"], (req) => (isStatusWrite(req, "record") && !isFinalWrite(req) && records++ >= 1 ? serverError() : undefined));
  expect(records).toBeGreaterThanOrEqual(4);
  expect(outcome).toBeInstanceOf(Error);
  expect(enforced).toEqual([["Normal", "Remediated 1 workload(s), 0 failed"]]);
});

test("the end-of-cycle status write keeps failing: the Enforced Event of the patches made is still emitted, and the reconcile fails", async () => {
  let finals = 0;
  const { outcome, enforced } = await cycle("final", ["a", "b"], (req) => {
    if (!isStatusWrite(req, "final") || !isFinalWrite(req)) return undefined;
    finals++;
    return serverError();
  });
  expect(finals).toBe(3);
  expect(outcome).toBeInstanceOf(Error);
  expect(enforced).toEqual([["Normal", "Remediated 2 workload(s), 0 failed"]]);
});

test("the leader term ends while the end-of-cycle write is on the wire, and that write fails: no Enforced Event (nothing is written after the term)", async () => {
  const term = new AbortController();
  const { outcome, enforced } = await cycle(
    "term",
    ["a", "b"],
    (req) => {
      if (!isStatusWrite(req, "term") || !isFinalWrite(req)) return undefined;
      term.abort();
      return serverError();
    },
    term.signal,
  );
  expect(term.signal.aborted).toBe(true);
  expect(outcome).toBeInstanceOf(Error);
  expect(enforced).toEqual([]);
});
