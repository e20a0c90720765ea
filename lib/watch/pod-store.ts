/**
 * @module
 * The pod list+watch's store, backed by the aggregator's columnar pod table: the
 * resourceVersion check that drops already-seen versions reads the table, so the
 * loop keeps nothing per pod besides what the scores need. System-namespace pods
 * are not tracked; their events still pass through (they count as pod events).
 */
import type { KubeObject } from "../kube/types.ts";
import { keyOf, type ChangeEvent, type ObjectStore } from "../kube/watch-store.ts";
import type { PodLike } from "../k8s-objects.ts";
import { isSystemNamespace } from "../namespaces.ts";
import { IGNORED, type HealthAggregator } from "./health-aggregator.ts";
import type { PodContribution } from "./pod-contribution.ts";

export class AggregatorPodStore implements ObjectStore<PodContribution> {
  constructor(
    private readonly aggregator: HealthAggregator,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.aggregator.podsTracked;
  }

  upsert(obj: KubeObject, key = keyOf(obj)): ChangeEvent<PodContribution> | undefined {
    if (this.aggregator.hasVersion(key, obj.metadata?.resourceVersion ?? "")) return undefined;
    const value = this.aggregator.project(obj as PodLike, this.now());
    const previous = this.aggregator.get(key);
    return previous ? { type: "modified", key, value, previous } : { type: "added", key, value };
  }

  delete(obj: KubeObject): ChangeEvent<PodContribution> | undefined {
    const key = keyOf(obj);
    const previous = this.aggregator.get(key) ?? (isSystemNamespace(obj.metadata?.namespace ?? "") ? IGNORED : undefined);
    return previous ? { type: "deleted", key, previous } : undefined;
  }

  dropUnseen(seen: ReadonlySet<string>): ChangeEvent<PodContribution>[] {
    const events: ChangeEvent<PodContribution>[] = [];
    for (const key of this.aggregator.pods.keys()) {
      if (!seen.has(key)) events.push({ type: "deleted", key, previous: this.aggregator.get(key)! });
    }
    return events;
  }
}
