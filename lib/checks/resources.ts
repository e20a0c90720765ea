/**
 * @module
 * Which of cpu and memory a container leaves without a request or a limit.
 * A limit alone satisfies the request too: the API server defaults a missing
 * request to the limit, so a template and the pods made from it agree — but only an absent
 * one: a request written as 0 stays 0 beside any limit, and is judged as written. A zero
 * quantity is no value: Kubernetes' QoS counts only requests above zero (a pod
 * asking for 0 is BestEffort) and the kubelet runs a zero limit unbounded.
 */
import { asRecord, type ContainerLike } from "../k8s-objects.ts";
import { parseQuantity } from "../quantity.ts";

const RESOURCES = ["cpu", "memory"] as const;
const NONE: readonly string[] = [];

/** Not blank. A printable ASCII first character settles it without `trim()`'s copy (the common case). */
function isNonBlank(value: string): boolean {
  const first = value.charCodeAt(0);
  return (first > 32 && first < 127) || value.trim() !== "";
}

/**
 * Whether a non-blank string is a zero quantity (`0`, `0m`, `0.0Gi`, `+0e3`). Only a string
 * that starts like one (`0`, a sign, `.` or space) is parsed, so `100m` costs one comparison.
 */
function isZeroText(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first !== 48 && first !== 43 && first !== 45 && first !== 46 && first > 32) return false;
  return parseQuantity(value) === 0;
}

function isSet(map: Record<string, unknown> | undefined, key: string): boolean {
  const value = map?.[key];
  if (typeof value === "number") return value !== 0;
  return typeof value === "string" && isNonBlank(value) && !isZeroText(value);
}

/** The resource names (`cpu`, `memory`) missing from `kind`; an empty array when none is. */
export function missingResources(container: ContainerLike, kind: "requests" | "limits"): readonly string[] {
  const resources = asRecord(container.resources);
  const limits = asRecord(resources?.limits);
  const requests = kind === "requests" ? asRecord(resources?.requests) : undefined;
  let missing: string[] | undefined;
  for (const name of RESOURCES) {
    const written = requests?.[name];
    const present = kind === "requests" && written !== undefined && written !== null ? isSet(requests, name) : isSet(limits, name);
    if (!present) (missing ??= []).push(name);
  }
  return missing ?? NONE;
}
