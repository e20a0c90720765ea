/**
 * @module
 * Judges what `check` reads of an install (CRDs, Deployments, Leases, policies): plain objects in,
 * one OK/WARN/FAIL/UNKNOWN line with a hint out. What the identity may not read is UNKNOWN, never
 * a failure; a read the API server failed (5xx, a timeout) is a FAIL: a check that saw nothing must
 * not pass in CI (decision 0037). The webhook's lines are in webhook-health.ts.
 */

export type HealthStatus = "OK" | "WARN" | "FAIL" | "UNKNOWN";

export interface HealthLine {
  label: string;
  /** The component the line is about (none for the CRDs and policies, which every component shares). */
  component?: string;
  status: HealthStatus;
  detail: string;
  hint?: string;
  /** The read a 403 refused, when that is why the line is UNKNOWN: check points at the grant that has it. */
  refused?: RefusedRead;
}

/** A GET or LIST the API server refused; `allNamespaces`: a LIST of a namespaced resource in every namespace. */
export type RefusedRead = { verb: string; group: string; resource: string; name?: string; namespace?: string; allNamespaces?: boolean };

/** One GET/LIST as check saw it: 403 is `forbidden`, 404 `absent`, anything else `error`. */
export type Read<T> = { state: "found"; object: T } | { state: "absent" } | { state: "forbidden"; what: string; refused?: RefusedRead } | { state: "error"; message: string };

/** The `kubectl auth can-i` command that asks for a refused read again, as whoever ran check. */
export function canIRead(r: RefusedRead): string {
  const resource = `${r.resource}${r.group ? `.${r.group}` : ""}${r.name ? `/${r.name}` : ""}`;
  const scope = r.namespace ? ` -n ${r.namespace}` : r.allNamespaces ? " --all-namespaces" : "";
  return `kubectl auth can-i ${r.verb} ${resource}${scope}`;
}

export type Condition = { type?: string; status?: string; reason?: string; message?: string };
type Meta = { name?: string; labels?: Record<string, string> };

/**
 * The command that installs (or upgrades) kube-devops in `namespace`. Without the namespace,
 * `kubectl apply` of generate-all creates only the cluster-scoped objects and fails on the rest:
 * then it must print the Namespace too.
 */
export function installCommand(namespace: string, options: { createNamespace?: boolean } = {}): string {
  return `kube-devops deploy generate-all -n ${namespace}${options.createNamespace ? " --create-namespace" : ""} | kubectl apply -f -`;
}

/** The UNKNOWN/absent lines every judge shares; undefined when there is an object to judge. */
export function judgeUnread<T>(label: string, read: Read<T>, absent: Omit<HealthLine, "label">): HealthLine | undefined {
  if (read.state === "forbidden") return { label, status: "UNKNOWN", detail: `not allowed to ${read.what}`, ...(read.refused ? { hint: canIRead(read.refused), refused: read.refused } : {}) };
  if (read.state === "error") return { label, status: "FAIL", detail: `cannot read it: ${read.message}`, hint: "the API server did not answer this read; run check again, and look at the API server if it persists" };
  if (read.state === "absent") return { label, ...absent };
  return undefined;
}

function conditionOf(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

type Schema = { properties?: Record<string, Schema>; items?: Schema };
export type CrdObject = { metadata?: Meta; spec?: { versions?: Array<{ name?: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: Schema } }> }; status?: { conditions?: Condition[] } };

/** Every property path a structural schema declares (`status.conditions[].reason`). */
export function schemaPaths(schema: Schema | undefined, prefix = ""): string[] {
  if (!schema) return [];
  const own = Object.entries(schema.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...schemaPaths(child, path)];
  });
  return schema.items ? [...own, ...schemaPaths(schema.items, `${prefix}[]`)] : own;
}

/**
 * A CRD against the one this binary generates: Established, serving each generated version, and
 * declaring every generated field — a field the live schema lacks is pruned by the API server, the
 * operator's `crd_outdated` warning seen from outside.
 */
export function judgeCrd(label: string, read: Read<CrdObject>, generated: CrdObject, install?: string): HealthLine {
  const hint = `kube-devops crd install${install ? ` (or ${install})` : ""}`;
  const unread = judgeUnread(label, read, { status: "FAIL", detail: "not installed", hint });
  if (unread || read.state !== "found") return unread as HealthLine;
  const live = read.object;
  const established = conditionOf(live.status?.conditions, "Established");
  if (established?.status !== "True") return { label, status: "FAIL", detail: `not Established${established?.reason ? ` (${established.reason})` : ""}`, hint: `kubectl describe crd ${live.metadata?.name ?? ""}` };
  const liveVersions = live.spec?.versions ?? [];
  const missingVersions = (generated.spec?.versions ?? []).filter((g) => !liveVersions.some((v) => v.name === g.name && v.served !== false)).map((g) => g.name);
  if (missingVersions.length > 0) return { label, status: "FAIL", detail: `does not serve ${missingVersions.join(", ")}`, hint };
  const missing = (generated.spec?.versions ?? []).flatMap((g) => {
    const have = new Set(schemaPaths(liveVersions.find((v) => v.name === g.name)?.schema?.openAPIV3Schema));
    return schemaPaths(g.schema?.openAPIV3Schema).filter((p) => !have.has(p));
  });
  const versions = liveVersions.filter((v) => v.served !== false).map((v) => `${v.name}${v.storage ? " (stored)" : ""}`).join(", ");
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(", ") + (missing.length > 3 ? `, +${missing.length - 3}` : "");
    return { label, status: "WARN", detail: `older than this binary: ${missing.length} fields missing (${shown}), the API server drops them`, hint };
  }
  return { label, status: "OK", detail: `Established, ${versions}` };
}

export type DeploymentObject = {
  metadata?: Meta & { generation?: number };
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string; args?: string[] }>; volumes?: Array<{ name?: string; secret?: { secretName?: string } }> } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; conditions?: Condition[] };
};

/** The version a Deployment runs: its `app.kubernetes.io/version` label, else its image's `v<semver>` tag. */
export function deployedVersion(d: DeploymentObject): string | undefined {
  const label = d.metadata?.labels?.["app.kubernetes.io/version"];
  if (label) return label;
  const tag = /:v?(\d+\.\d+\.\d+[^@]*)(@.*)?$/.exec(d.spec?.template?.spec?.containers?.[0]?.image ?? "");
  return tag?.[1];
}

/**
 * Where a rollout stands, as `kubectl rollout status` judges it: the controller has seen the latest
 * spec, every replica is updated and no old one is left. Available alone says only that enough pods
 * (old ones included) serve: mid-rollout or stuck on a bad image, the label names a version no pod
 * runs. Judged only when the controller reports (`observedGeneration`: the API server omits zero
 * counts, so an absent `updatedReplicas` is 0 then).
 */
function judgeRollout(d: DeploymentObject, desired: number): { stuck?: string; pending?: string } | undefined {
  const status = d.status ?? {};
  if (status.observedGeneration === undefined) return undefined;
  const progressing = conditionOf(status.conditions, "Progressing");
  const updated = status.updatedReplicas ?? 0;
  if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded") return { stuck: `${updated}/${desired} updated, ${status.availableReplicas ?? 0} available` };
  if (d.metadata?.generation !== undefined && status.observedGeneration < d.metadata.generation) return { pending: "the controller has not seen the change yet" };
  if (updated < desired) return { pending: `${updated}/${desired} updated, ${status.readyReplicas ?? 0} ready` };
  const old = (status.replicas ?? 0) - updated;
  if (old > 0) return { pending: `${updated}/${desired} updated, ${old} old pending termination` };
  return undefined;
}

/** A component's Deployment: present, Available, rolled out, every desired replica ready, at this binary's version. */
export function judgeDeployment(label: string, read: Read<DeploymentObject>, namespace: string, version: string, install = installCommand(namespace)): HealthLine {
  const unread = judgeUnread(label, read, { status: "FAIL", detail: `not installed in ${namespace}`, hint: install });
  if (unread || read.state !== "found") return unread as HealthLine;
  const d = read.object;
  const desired = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const describe = `kubectl -n ${namespace} describe deployment ${d.metadata?.name ?? ""}`;
  // nothing scores, reconciles or admits then: a check that passed would tell CI the install works
  if (desired === 0) return { label, status: "FAIL", detail: "scaled to 0 replicas: it does not run", hint: `kubectl -n ${namespace} scale deployment/${d.metadata?.name ?? ""} --replicas=2` };
  const available = conditionOf(d.status?.conditions, "Available");
  if (available?.status !== "True") return { label, status: "FAIL", detail: `not Available, ${ready}/${desired} ready${available?.reason ? ` (${available.reason})` : ""}`, hint: describe };
  const running = deployedVersion(d);
  const rollout = judgeRollout(d, desired);
  const to = `rollout${running ? ` to v${running}` : ""}`;
  const name = d.metadata?.name ?? "";
  if (rollout?.stuck) return { label, status: "FAIL", detail: `${to} stuck (ProgressDeadlineExceeded): ${rollout.stuck}`, hint: `kubectl -n ${namespace} rollout status deployment ${name}; ${describe}` };
  if (rollout?.pending) return { label, status: "WARN", detail: `Available, rolling out${running ? ` to v${running}` : ""}: ${rollout.pending}`, hint: `kubectl -n ${namespace} rollout status deployment ${name}` };
  if (running !== undefined && running !== version) {
    return { label, status: "WARN", detail: `Available, ${ready}/${desired} ready, runs v${running}, this binary is v${version}`, hint: `check with the v${running} binary, or upgrade: ${installCommand(namespace)}` };
  }
  if (ready < desired) return { label, status: "WARN", detail: `Available, ${ready}/${desired} ready`, hint: describe };
  return { label, status: "OK", detail: `Available, ${ready}/${desired} ready${running ? `, v${running}` : ""}` };
}

export type LeaseObject = { metadata?: Meta; spec?: { holderIdentity?: string | null; renewTime?: string | null; leaseDurationSeconds?: number | null } };

/** Who leads a component, and whether the leader renewed within its lease duration (`now` in ms). */
export function judgeLease(label: string, read: Read<LeaseObject>, namespace: string, deployment: string, now: number): HealthLine {
  const logs = `kubectl -n ${namespace} logs deployment/${deployment}`;
  const unread = judgeUnread(label, read, { status: "WARN", detail: "no Lease: no replica has led yet", hint: logs });
  if (unread || read.state !== "found") return unread as HealthLine;
  const spec = read.object.spec ?? {};
  if (!spec.holderIdentity) return { label, status: "WARN", detail: "released, no leader", hint: logs };
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
  const age = Math.max(0, Math.round((now - renewed) / 1000));
  const duration = spec.leaseDurationSeconds ?? 15;
  if (Number.isNaN(renewed) || age > duration) return { label, status: "WARN", detail: `${spec.holderIdentity}, not renewed for ${Number.isNaN(renewed) ? "ever" : `${age}s`} (lease ${duration}s)`, hint: logs };
  return { label, status: "OK", detail: `${spec.holderIdentity}, renewed ${age}s ago` };
}

export type PolicyObject = { metadata?: { namespace?: string }; status?: { conditions?: Condition[] } };

/**
 * How many DevOpsPolicies there are and how many the operator could not evaluate (Ready False, by
 * reason) or says it cannot judge (Ready Unknown): both WARN. No Ready condition yet is only pending.
 */
export function judgePolicies(label: string, read: Read<PolicyObject[]>): HealthLine {
  const unread = judgeUnread(label, read, { status: "UNKNOWN", detail: "the DevOpsPolicy API is not served" });
  if (unread || read.state !== "found") return unread as HealthLine;
  const policies = read.object;
  const reasons = new Map<string, number>();
  let pending = 0;
  let unknown = 0;
  for (const p of policies) {
    const ready = conditionOf(p.status?.conditions, "Ready");
    if (!ready) pending++;
    else if (ready.status === "False") reasons.set(ready.reason ?? "Unknown", (reasons.get(ready.reason ?? "Unknown") ?? 0) + 1);
    else if (ready.status !== "True") unknown++;
  }
  const notReady = [...reasons.values()].reduce((a, b) => a + b, 0);
  const waiting = pending > 0 ? `, ${pending} not evaluated yet` : "";
  const count = `${policies.length}${policies.length === 1 ? " policy" : " policies"}`;
  if (notReady === 0 && unknown === 0) return { label, status: "OK", detail: `${count}${waiting}` };
  const byReason = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => `${n} ${r}`).join(", ");
  const parts = [...(notReady > 0 ? [`${notReady} Ready False (${byReason})`] : []), ...(unknown > 0 ? [`${unknown} Ready Unknown`] : [])];
  return { label, status: "WARN", detail: `${count}, ${parts.join(", ")}${waiting}`, hint: "kubectl get devopspolicies -A (the Reason and Message columns say why)" };
}
