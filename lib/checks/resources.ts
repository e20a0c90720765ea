/**
 * @module
 * Which of cpu and memory a container leaves without a request or a limit.
 * A limit alone satisfies the request too: the API server defaults a missing
 * request to the limit, so a template and the pods made from it agree.
 */
import { asRecord, type ContainerLike } from "../k8s-objects.ts";

const RESOURCES = ["cpu", "memory"] as const;
const NONE: readonly string[] = [];

/** Not blank. A printable ASCII first character settles it without `trim()`'s copy (the common case). */
function isNonBlank(value: string): boolean {
  const first = value.charCodeAt(0);
  return (first > 32 && first < 127) || value.trim() !== "";
}

function isSet(map: Record<string, unknown> | undefined, key: string): boolean {
  const value = map?.[key];
  return (typeof value === "string" && isNonBlank(value)) || typeof value === "number";
}

/** The resource names (`cpu`, `memory`) missing from `kind`; an empty array when none is. */
export function missingResources(container: ContainerLike, kind: "requests" | "limits"): readonly string[] {
  const resources = asRecord(container.resources);
  const limits = asRecord(resources?.limits);
  const requests = kind === "requests" ? asRecord(resources?.requests) : undefined;
  let missing: string[] | undefined;
  for (const name of RESOURCES) {
    const present = isSet(limits, name) || (kind === "requests" && isSet(requests, name));
    if (!present) (missing ??= []).push(name);
  }
  return missing ?? NONE;
}
