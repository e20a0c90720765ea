/**
 * @module
 * The defaulting and create-time status a real API server applies to built-in objects
 * (the subset that clients and our checks observe: pod spec defaults, QoS class, namespace
 * phase and name label, workload spec defaults).
 */
import type { KubeObject } from "./types.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultContainer(c: Obj): void {
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  if (c.imagePullPolicy === undefined && typeof c.image === "string") {
    const ref = c.image.split("@")[0]!;
    const tag = ref.lastIndexOf(":") > ref.lastIndexOf("/") ? ref.slice(ref.lastIndexOf(":") + 1) : "";
    c.imagePullPolicy = !c.image.includes("@") && (tag === "" || tag === "latest") ? "Always" : "IfNotPresent";
  }
  setDefault(c, "resources", {});
  for (const p of Array.isArray(c.ports) ? c.ports : []) if (isObj(p)) setDefault(p, "protocol", "TCP");
}

/** Pod spec defaults (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "schedulerName", "default-scheduler");
  if (spec.serviceAccountName === undefined && spec.serviceAccount === undefined) spec.serviceAccountName = "default";
  if (spec.serviceAccount === undefined && typeof spec.serviceAccountName === "string") spec.serviceAccount = spec.serviceAccountName;
  if (spec.serviceAccountName === undefined && typeof spec.serviceAccount === "string") spec.serviceAccountName = spec.serviceAccount;
  setDefault(spec, "enableServiceLinks", true);
  for (const key of ["containers", "initContainers"]) {
    for (const c of Array.isArray(spec[key]) ? (spec[key] as unknown[]) : []) if (isObj(c)) defaultContainer(c);
  }
}

function quantityIsSet(resources: unknown, kind: "requests" | "limits", name: string): boolean {
  return isObj(resources) && isObj(resources[kind]) && (resources[kind] as Obj)[name] !== undefined;
}

/** The pod's QoS class from its containers' requests and limits. */
export function computeQosClass(spec: Obj): string {
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].filter(isObj);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    for (const r of ["cpu", "memory"]) {
      const req = quantityIsSet(c.resources, "requests", r);
      const lim = quantityIsSet(c.resources, "limits", r);
      if (req || lim) any = true;
      if (!lim) guaranteed = false;
      if (req && lim && JSON.stringify((c.resources as Obj & { requests: Obj }).requests[r]) !== JSON.stringify((c.resources as Obj & { limits: Obj }).limits[r])) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

function defaultTemplate(spec: unknown): void {
  if (!isObj(spec) || !isObj(spec.template)) return;
  const tpl = spec.template as Obj;
  setDefault(tpl, "metadata", {});
  if (isObj(tpl.spec)) defaultPodSpec(tpl.spec as Obj);
}

/** Applies a real server's defaults for the kind, in place. */
export function applyDefaults(obj: KubeObject): void {
  const spec = obj.spec;
  switch (obj.kind) {
    case "Pod":
      if (isObj(spec)) defaultPodSpec(spec);
      break;
    case "Deployment":
      if (isObj(spec)) {
        setDefault(spec, "replicas", 1);
        setDefault(spec, "revisionHistoryLimit", 10);
        setDefault(spec, "progressDeadlineSeconds", 600);
        setDefault(spec, "strategy", { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
        defaultTemplate(spec);
      }
      break;
    case "StatefulSet":
      if (isObj(spec)) {
        setDefault(spec, "replicas", 1);
        setDefault(spec, "podManagementPolicy", "OrderedReady");
        setDefault(spec, "revisionHistoryLimit", 10);
        setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
        defaultTemplate(spec);
      }
      break;
    case "DaemonSet":
      if (isObj(spec)) {
        setDefault(spec, "revisionHistoryLimit", 10);
        setDefault(spec, "updateStrategy", { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
        defaultTemplate(spec);
      }
      break;
    case "ReplicaSet":
      if (isObj(spec)) {
        setDefault(spec, "replicas", 1);
        defaultTemplate(spec);
      }
      break;
    case "Job":
      if (isObj(spec)) {
        setDefault(spec, "backoffLimit", 6);
        setDefault(spec, "completions", 1);
        setDefault(spec, "parallelism", 1);
        defaultTemplate(spec);
      }
      break;
    case "CronJob":
      if (isObj(spec)) {
        setDefault(spec, "concurrencyPolicy", "Allow");
        setDefault(spec, "suspend", false);
        setDefault(spec, "successfulJobsHistoryLimit", 3);
        setDefault(spec, "failedJobsHistoryLimit", 1);
        if (isObj(spec.jobTemplate)) defaultTemplate((spec.jobTemplate as Obj).spec);
      }
      break;
    case "Service":
      if (isObj(spec)) {
        setDefault(spec, "type", "ClusterIP");
        setDefault(spec, "sessionAffinity", "None");
        for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
          if (!isObj(p)) continue;
          setDefault(p, "protocol", "TCP");
          setDefault(p, "targetPort", p.port);
        }
      }
      break;
    case "Secret":
      setDefault(obj, "type", "Opaque");
      break;
  }
}

/** The status a real server gives a new object created through the main endpoint. */
export function statusOnCreate(obj: KubeObject): unknown {
  switch (obj.kind) {
    case "Pod":
      return { phase: "Pending", qosClass: computeQosClass(isObj(obj.spec) ? obj.spec : {}) };
    case "Namespace":
      return { phase: "Active" };
    default:
      return undefined;
  }
}
