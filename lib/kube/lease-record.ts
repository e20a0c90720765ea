/**
 * @module
 * The pure half of leader election (client-go's algorithm): given the Lease
 * as last read, when this replica first saw its current record, and now,
 * decide whether to create, take over, renew, or wait. Expiry is judged by the
 * local time the record was *observed* to change, never by comparing the
 * holder's renewTime with our clock, so clock skew between nodes cannot hand
 * the lease to two replicas.
 */

/** The Lease spec fields leader election reads and writes. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

export interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

export type LeaseDecision =
  | { action: "create"; spec: LeaseSpec }
  | { action: "update"; spec: LeaseSpec; transition: boolean }
  | { action: "wait"; holder: string; expiresAt: number };

/** A Kubernetes MicroTime: RFC 3339 with six fractional digits. */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A stable fingerprint of what a holder writes, to notice changes. */
export function recordFingerprint(spec: LeaseSpec | undefined): string {
  if (!spec) return "";
  return [spec.holderIdentity ?? "", spec.renewTime ?? "", spec.acquireTime ?? "", spec.leaseDurationSeconds ?? "", spec.leaseTransitions ?? ""].join("|");
}

export interface DecideInput {
  /** The lease as read; undefined when it does not exist. */
  lease: LeaseObject | undefined;
  /** Local time at which the current record was first observed. */
  observedAt: number;
  identity: string;
  now: number;
  leaseDurationMs: number;
}

/** client-go's tryAcquireOrRenew, minus the I/O. */
export function decideLease({ lease, observedAt, identity, now, leaseDurationMs }: DecideInput): LeaseDecision {
  const fresh: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds: Math.max(1, Math.round(leaseDurationMs / 1000)),
    acquireTime: toMicroTime(now),
    renewTime: toMicroTime(now),
    leaseTransitions: 0,
  };
  if (!lease) return { action: "create", spec: fresh };
  const old = lease.spec ?? {};
  const holder = old.holderIdentity ?? "";
  // The holder's own declared duration governs expiry (a released lease declares 1 s).
  const durationMs = old.leaseDurationSeconds ? old.leaseDurationSeconds * 1000 : leaseDurationMs;
  const expiresAt = observedAt + durationMs;
  if (holder !== "" && holder !== identity && now < expiresAt) return { action: "wait", holder, expiresAt };
  const transitions = old.leaseTransitions ?? 0;
  if (holder === identity) {
    return { action: "update", transition: false, spec: { ...fresh, acquireTime: old.acquireTime ?? fresh.acquireTime, leaseTransitions: transitions } };
  }
  return { action: "update", transition: true, spec: { ...fresh, leaseTransitions: transitions + 1 } };
}

/** The spec a leader writes when it lets go on shutdown (client-go's release). */
export function releasedSpec(old: LeaseSpec | undefined, now: number): LeaseSpec {
  return {
    holderIdentity: null,
    leaseDurationSeconds: 1,
    acquireTime: toMicroTime(now),
    renewTime: toMicroTime(now),
    leaseTransitions: old?.leaseTransitions ?? 0,
  };
}

/** POD_NAME from the downward API, else the host name plus a random suffix. */
export function leaseIdentity(env: Record<string, string | undefined>, hostname: string, random: () => number): string {
  if (env.POD_NAME) return env.POD_NAME;
  const suffix = Math.floor(random() * 0xffffff).toString(16).padStart(6, "0");
  return `${hostname}_${suffix}`;
}
