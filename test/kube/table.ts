/**
 * @module
 * `meta.k8s.io/v1 Table` output, as `kubectl get` requests it: the real server's default
 * columns for built-in kinds (pkg/printers/internalversion, simplified) and a CRD's
 * additionalPrinterColumns (JSONPath), with ages humanized like duration.HumanDuration.
 */
import { evaluateJsonPath } from "./jsonpath.ts";
import type { KubeObject, PrinterColumn, ResourceType } from "./types.ts";
import { isObj } from "./util.ts";

type Obj = Record<string, unknown>;
type Cell = string | number | boolean | null | unknown;

interface ColumnDef {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  if (ms < -1000) return "<invalid>";
  if (ms < 0) return "0s";
  const seconds = Math.floor(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: Date): string {
  if (typeof ts !== "string") return "<unknown>";
  const t = Date.parse(ts);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

const col = (name: string, type = "string", priority = 0, format = ""): ColumnDef => ({ name, type, format, description: "", priority });
const NAME = col("Name", "string", 0, "name");
const AGE = col("Age", "string");

const o = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

function podStatus(pod: KubeObject): [string, string, string] {
  const spec = o(pod.spec);
  const status = o(pod.status);
  const containers = arr(spec.containers);
  const statuses = arr(status.containerStatuses);
  let reason = String(status.reason ?? status.phase ?? "Unknown");
  let restarts = 0;
  let ready = 0;
  for (const cs of statuses) {
    restarts += Number(cs.restartCount ?? 0);
    if (cs.ready === true) ready++;
    const state = o(cs.state);
    if (isObj(state.waiting) && state.waiting.reason) reason = String(state.waiting.reason);
    else if (isObj(state.terminated) && state.terminated.reason) reason = String(state.terminated.reason);
  }
  if (pod.metadata.deletionTimestamp) reason = "Terminating";
  return [`${ready}/${containers.length}`, reason, String(restarts)];
}

function images(spec: unknown): [string, string] {
  const cs = arr(o(o(o(spec).template).spec).containers);
  return [cs.map((c) => String(c.name)).join(","), cs.map((c) => String(c.image)).join(",")];
}

function selectorString(sel: unknown): string {
  const s = o(sel);
  const parts = Object.entries(o(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of arr(s.matchExpressions)) parts.push(`${String(e.key)} ${String(e.operator).toLowerCase()} (${(Array.isArray(e.values) ? e.values : []).join(",")})`);
  return parts.join(",") || "<none>";
}

function builtinColumns(kind: string): { columns: ColumnDef[]; cells: (obj: KubeObject, now: Date) => Cell[] } {
  const ageOf = (obj: KubeObject, now: Date): string => age(obj.metadata.creationTimestamp, now);
  switch (kind) {
    case "Pod":
      return {
        columns: [NAME, col("Ready"), col("Status"), col("Restarts", "string"), AGE, col("IP", "string", 1), col("Node", "string", 1), col("Nominated Node", "string", 1), col("Readiness Gates", "string", 1)],
        cells: (p, now) => {
          const [ready, status, restarts] = podStatus(p);
          const st = o(p.status);
          return [p.metadata.name, ready, status, restarts, ageOf(p, now), st.podIP ?? "<none>", o(p.spec).nodeName ?? "<none>", st.nominatedNodeName ?? "<none>", "<none>"];
        },
      };
    case "Namespace":
      return { columns: [NAME, col("Status"), AGE], cells: (n, now) => [n.metadata.name, o(n.status).phase ?? "Active", ageOf(n, now)] };
    case "Node":
      return {
        columns: [NAME, col("Status"), col("Roles"), AGE, col("Version")],
        cells: (n, now) => {
          const ready = arr(o(n.status).conditions).find((c) => c.type === "Ready");
          const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith("node-role.kubernetes.io/")).map((k) => k.slice(24));
          return [n.metadata.name, ready?.status === "True" ? "Ready" : "NotReady", roles.join(",") || "<none>", ageOf(n, now), o(o(n.status).nodeInfo).kubeletVersion ?? ""];
        },
      };
    case "Service":
      return {
        columns: [NAME, col("Type"), col("Cluster-IP"), col("External-IP"), col("Port(s)"), AGE, col("Selector", "string", 1)],
        cells: (s, now) => {
          const spec = o(s.spec);
          const ports = arr(spec.ports).map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ""}/${String(p.protocol ?? "TCP")}`);
          const sel = Object.entries(o(spec.selector)).map(([k, v]) => `${k}=${String(v)}`);
          return [s.metadata.name, spec.type ?? "ClusterIP", spec.clusterIP ?? "<none>", "<none>", ports.join(",") || "<none>", ageOf(s, now), sel.join(",") || "<none>"];
        },
      };
    case "ConfigMap":
      return { columns: [NAME, col("Data", "integer"), AGE], cells: (c, now) => [c.metadata.name, Object.keys(o(c.data)).length + Object.keys(o(c.binaryData)).length, ageOf(c, now)] };
    case "Secret":
      return { columns: [NAME, col("Type"), col("Data", "integer"), AGE], cells: (s, now) => [s.metadata.name, s.type ?? "Opaque", Object.keys(o(s.data)).length, ageOf(s, now)] };
    case "ServiceAccount":
      return { columns: [NAME, col("Secrets", "integer"), AGE], cells: (s, now) => [s.metadata.name, arr(s.secrets).length, ageOf(s, now)] };
    case "Deployment":
      return {
        columns: [NAME, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"), AGE, col("Containers", "string", 1), col("Images", "string", 1), col("Selector", "string", 1)],
        cells: (d, now) => {
          const st = o(d.status);
          return [d.metadata.name, `${Number(st.readyReplicas ?? 0)}/${Number(o(d.spec).replicas ?? 0)}`, Number(st.updatedReplicas ?? 0), Number(st.availableReplicas ?? 0), ageOf(d, now), ...images(d.spec), selectorString(o(d.spec).selector)];
        },
      };
    case "ReplicaSet":
      return {
        columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), AGE, col("Containers", "string", 1), col("Images", "string", 1), col("Selector", "string", 1)],
        cells: (r, now) => {
          const st = o(r.status);
          return [r.metadata.name, Number(o(r.spec).replicas ?? 0), Number(st.replicas ?? 0), Number(st.readyReplicas ?? 0), ageOf(r, now), ...images(r.spec), selectorString(o(r.spec).selector)];
        },
      };
    case "StatefulSet":
      return {
        columns: [NAME, col("Ready"), AGE, col("Containers", "string", 1), col("Images", "string", 1)],
        cells: (s, now) => [s.metadata.name, `${Number(o(s.status).readyReplicas ?? 0)}/${Number(o(s.spec).replicas ?? 0)}`, ageOf(s, now), ...images(s.spec)],
      };
    case "DaemonSet":
      return {
        columns: [NAME, col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"), col("Up-to-date", "integer"), col("Available", "integer"), col("Node Selector"), AGE, col("Containers", "string", 1), col("Images", "string", 1)],
        cells: (d, now) => {
          const st = o(d.status);
          const ns = Object.entries(o(o(o(o(d.spec).template).spec).nodeSelector)).map(([k, v]) => `${k}=${String(v)}`);
          return [d.metadata.name, Number(st.desiredNumberScheduled ?? 0), Number(st.currentNumberScheduled ?? 0), Number(st.numberReady ?? 0), Number(st.updatedNumberScheduled ?? 0), Number(st.numberAvailable ?? 0), ns.join(",") || "<none>", ageOf(d, now), ...images(d.spec)];
        },
      };
    case "Job":
      return {
        columns: [NAME, col("Completions"), AGE],
        cells: (j, now) => [j.metadata.name, `${Number(o(j.status).succeeded ?? 0)}/${Number(o(j.spec).completions ?? 1)}`, ageOf(j, now)],
      };
    case "CronJob":
      return {
        columns: [NAME, col("Schedule"), col("Suspend", "boolean"), col("Active", "integer"), col("Last Schedule"), AGE],
        cells: (c, now) => [c.metadata.name, o(c.spec).schedule ?? "", Boolean(o(c.spec).suspend), arr(o(c.status).active).length, o(c.status).lastScheduleTime ? age(o(c.status).lastScheduleTime, now) : "<none>", ageOf(c, now)],
      };
    case "Lease":
      return { columns: [NAME, col("Holder"), AGE], cells: (l, now) => [l.metadata.name, o(l.spec).holderIdentity ?? "", ageOf(l, now)] };
    case "Event":
      return {
        columns: [col("Last Seen"), col("Type"), col("Reason"), col("Object"), col("Message")],
        cells: (e, now) => {
          const io = o(e.involvedObject);
          return [age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp, now), e.type ?? "", e.reason ?? "", `${String(io.kind ?? "").toLowerCase()}/${String(io.name ?? "")}`, e.message ?? ""];
        },
      };
    case "RoleBinding":
    case "ClusterRoleBinding":
      return { columns: [NAME, col("Role"), AGE], cells: (b, now) => [b.metadata.name, `${String(o(b.roleRef).kind)}/${String(o(b.roleRef).name)}`, ageOf(b, now)] };
    case "CustomResourceDefinition":
    case "Role":
    case "ClusterRole":
      return { columns: [NAME, col("Created At", "date")], cells: (c) => [c.metadata.name, c.metadata.creationTimestamp ?? ""] };
    default:
      return { columns: [NAME, AGE], cells: (x, now) => [x.metadata.name, ageOf(x, now)] };
  }
}

function crdColumns(printer: PrinterColumn[]): { columns: ColumnDef[]; cells: (obj: KubeObject, now: Date) => Cell[] } {
  const cols = printer.length > 0 ? printer : [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }];
  return {
    columns: [NAME, ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 }))],
    cells: (obj, now) => [
      obj.metadata.name,
      ...cols.map((c) => {
        const found = evaluateJsonPath(obj, c.jsonPath);
        if (found.length === 0) return null;
        const v = found[0];
        if (c.type === "date") return age(v, now);
        if (c.type === "string") return found.map((f) => (typeof f === "object" ? JSON.stringify(f) : String(f))).join(",");
        return v;
      }),
    ],
  };
}

export type IncludeObject = "None" | "Metadata" | "Object";

/** Builds a Table for objects of one type. */
export function toTable(t: ResourceType, version: string, objects: KubeObject[], opts: { includeObject: IncludeObject; now: Date; resourceVersion?: string; continue?: string; remainingItemCount?: number; noHeaders?: boolean }): Obj {
  const printer = t.crd?.versions.find((v) => v.name === version)?.printerColumns;
  const { columns, cells } = t.crd ? crdColumns(printer ?? []) : builtinColumns(t.kind);
  const metadata: Obj = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    ...(opts.noHeaders ? {} : { columnDefinitions: columns }),
    rows: objects.map((obj) => ({
      cells: cells(obj, opts.now),
      object:
        opts.includeObject === "Object"
          ? obj
          : opts.includeObject === "Metadata"
            ? { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata }
            : null,
    })),
  };
}
