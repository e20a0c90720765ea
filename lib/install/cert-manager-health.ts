/**
 * @module
 * Judges what `check` reads of cert-manager's part of an install: the webhook's `Certificate`
 * (named by the configuration's `cert-manager.io/inject-ca-from`), whose Ready condition says
 * whether the Secret the webhook mounts was issued, and the Secret a Deployment's pods wait for.
 */
import { judgeUnread, type Condition, type HealthLine, type Read } from "./install-health.ts";

const DAY_MS = 86_400_000;

export type CertificateObject = {
  metadata?: { name?: string; namespace?: string };
  spec?: { secretName?: string };
  status?: { conditions?: Condition[]; notAfter?: string; renewalTime?: string };
};

/** A Certificate read, or `unserved`: the API server does not serve cert-manager.io/v1 (cert-manager is not installed). */
export type CertificateRead = Read<CertificateObject> | { state: "unserved" };

/** `namespace/name` of `cert-manager.io/inject-ca-from`; undefined when it is not that shape. */
export function parseCertificateRef(value: string | undefined): { namespace: string; name: string } | undefined {
  const [namespace, name, ...rest] = (value ?? "").split("/");
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

/**
 * The webhook's Certificate: Ready True is OK (until its notAfter), Ready False FAILs with its
 * reason, no Ready condition yet WARNs (not issued yet). Without cert-manager's CRD, or without
 * the Certificate, the webhook's Secret is never issued and its pods never start: FAIL.
 */
export function judgeCertificate(label: string, read: CertificateRead, ref: { namespace: string; name: string }, secretName: string, now: number, install: string): HealthLine {
  const describe = `kubectl -n ${ref.namespace} describe certificate ${ref.name}`;
  if (read.state === "unserved") {
    return {
      label,
      status: "FAIL",
      detail: `cert-manager is not installed (the API server does not serve certificates.cert-manager.io/v1): the webhook's Secret ${secretName} will never be issued`,
      hint: "install cert-manager (https://cert-manager.io/docs/installation/), or deploy with --cert-mode self-managed, where the webhook makes its own certificate",
    };
  }
  const unread = judgeUnread(label, read, { status: "FAIL", detail: `Certificate ${ref.namespace}/${ref.name} does not exist: cert-manager will not issue the webhook's Secret ${secretName}`, hint: install });
  if (unread || read.state !== "found") return unread as HealthLine;
  const ready = read.object.status?.conditions?.find((c) => c.type === "Ready");
  const name = `${ref.namespace}/${ref.name}`;
  if (ready?.status === "True") {
    const notAfter = read.object.status?.notAfter;
    const until = notAfter && !Number.isNaN(Date.parse(notAfter)) ? `, notAfter ${notAfter} (in ${Math.floor((Date.parse(notAfter) - now) / DAY_MS)} days)` : "";
    return { label, status: "OK", detail: `${name} Ready${until}` };
  }
  if (ready?.status === "False") {
    const why = [ready.reason, ready.message].filter(Boolean).join(": ");
    return { label, status: "FAIL", detail: `${name} not Ready${why ? ` (${why})` : ""}`, hint: `${describe}; kubectl -n cert-manager logs deployment/cert-manager` };
  }
  return { label, status: "WARN", detail: `${name} not issued yet${ready ? ` (Ready ${ready.status ?? "Unknown"})` : ""}`, hint: `${describe} (cert-manager is issuing it, or waiting on its Issuer)` };
}

type PodVolume = { name?: string; secret?: { secretName?: string } };

/** The `-metrics-tls` Secret a Deployment's pods mount (cert-manager issues it for watch and reconcile under --metrics-auth kubernetes). */
export function metricsTlsSecret(volumes: readonly PodVolume[] | undefined): string | undefined {
  return volumes?.map((v) => v.secret?.secretName).find((s): s is string => s?.endsWith("-metrics-tls") === true);
}

/** Which pods a Deployment's line says are waiting to start: every pod (not Available), the rollout's new ones (stuck or in progress), or none. */
export function waitingPods(line: HealthLine): "all" | "rollout" | undefined {
  if (line.status === "FAIL" && line.detail.startsWith("not Available")) return "all";
  // judgeDeployment's stuck and in-progress rollouts: the old pods serve, the new ReplicaSet's may wait
  if (line.status === "FAIL" && /^rollout\b.* stuck \(ProgressDeadlineExceeded\)/.test(line.detail)) return "rollout";
  if (line.status === "WARN" && line.detail.startsWith("Available, rolling out")) return "rollout";
  return undefined;
}

/** A Deployment line's hint, with the metrics Secret its waiting pods (`waitingPods`) mount and that does not exist. */
export function withMissingSecret(line: HealthLine, secret: string, namespace: string, pods: "all" | "rollout" = "all"): HealthLine {
  const issue = `Secret ${secret}, which does not exist: they cannot start until cert-manager issues it (kubectl -n ${namespace} get certificates -o wide)`;
  const waiting = pods === "all" ? `its pods mount ${issue}` : `this rollout's pods mount ${issue}, the old pods serve meanwhile`;
  return { ...line, hint: line.hint ? `${waiting}; ${line.hint}` : waiting };
}
