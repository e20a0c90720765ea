/**
 * @module
 * Whether a workload already holds what an enforcement patch adds: the judgement after a patch
 * whose answer was lost or was a 5xx, when the API server may have applied it (decision 0038).
 */
import { compareQuantities } from "../quantity.ts";
import { valueAt } from "./json-pointer.ts";
import type { JsonPatchOp } from "./plan-workload.ts";

/**
 * True when every value `ops` adds is in `workload` at its path, on the container its `test` names.
 * Fields the API server adds on its own (defaults) are allowed beside them, and quantities compare
 * by value, since the server stores them canonical (`0.5` as `500m`): the stored object need not be byte for byte what was sent.
 */
export function patchLanded(workload: unknown, ops: readonly JsonPatchOp[]): boolean {
  const adds = ops.filter((op) => op.op === "add");
  return adds.length > 0 && ops.every((op) => (op.op === "add" ? holds(valueAt(workload, op.path), op.value) : !op.path.includes("/containers/") || sameContainer(valueAt(workload, op.path), op.value)));
}

/**
 * A container `test` guards is still the one at its index: the paths are by index, and after a
 * reorder another container there (one patched before, holding the same probe) would pass for ours.
 * Other `test` values (the template's metadata) are changed by the patch itself: not compared.
 */
function sameContainer(stored: unknown, tested: unknown): boolean {
  const name = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as { name?: unknown }).name : undefined);
  return typeof name(tested) !== "string" || name(stored) === name(tested);
}

function holds(stored: unknown, sent: unknown): boolean {
  if (Array.isArray(sent)) return Array.isArray(stored) && stored.length === sent.length && sent.every((v, i) => holds(stored[i], v));
  if (sent !== null && typeof sent === "object") {
    if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return false;
    return Object.entries(sent).every(([key, value]) => holds((stored as Record<string, unknown>)[key], value));
  }
  if (stored === sent) return true;
  return (typeof sent === "string" || typeof stored === "string") && compareQuantities(stored, sent) === 0;
}
