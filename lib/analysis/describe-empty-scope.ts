/**
 * @module
 * What live `analyze` says when the server listed no pods, and whether a gate may pass over it
 * (decision 0014): a missing namespace, or a selector that left out every pod in scope, is the
 * live form of "the filter left nothing" and refuses; an existing namespace without pods is an
 * empty input and only warns, as an empty `-f` file does.
 */
import { visibleLine } from "./visible-text.ts";

/** What the server says about a live scope that listed no pods. */
export type EmptyLiveScope =
  /** The scope has pods, but `-l` selected none of them. */
  | { kind: "unselected"; namespace: string | undefined }
  /** `-n` names a namespace that does not exist. */
  | { kind: "missing"; namespace: string }
  /** `-n` found no pods and the identity may not get the namespace: it may or may not exist. */
  | { kind: "unknown"; namespace: string; reason: string }
  /** The namespace (or, without `-n`, the cluster) exists and has no pods. */
  | { kind: "empty"; namespace: string | undefined };

export interface EmptyScopeVerdict {
  /** True when a gate must not pass: the flags, not the cluster, made the selection empty (or may have). */
  refuse: boolean;
  message: string;
}

/** `-n shopp left nothing to score: namespace "shopp" not found`; `filters` as describeFilters gives them, "" when none. */
export function describeEmptyScope(scope: EmptyLiveScope, filters: string): EmptyScopeVerdict {
  const by = filters ? `${filters} ` : "";
  const where = scope.namespace === undefined ? "the cluster" : `namespace "${scope.namespace}"`;
  switch (scope.kind) {
    case "missing":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: namespace "${scope.namespace}" not found`) };
    case "unknown":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: no pods in namespace "${scope.namespace}", which may not exist (cannot get it: ${scope.reason})`) };
    case "unselected":
      return { refuse: true, message: visibleLine(`${by}left nothing to score: ${where} has pods, none of them selected`) };
    case "empty":
      return { refuse: false, message: visibleLine(`${by}found nothing to score: ${where} has no pods`) };
  }
}
