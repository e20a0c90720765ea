/**
 * @module
 * `list pods` renderings: the reference's table (NAMESPACE 20, NAME 60,
 * STATUS 12, NODE 15, a 107-dash rule, `Total: <n> pods`), a wide table with
 * readiness, restarts, age, IP and owner, and a `v1 List` for -o json|yaml that
 * `analyze -f` reads back.
 */
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import { controllerRef } from "../owners.ts";
import { stringifyYaml } from "../yaml-stringify.ts";

function meta(pod: KubeObjectLike): Record<string, unknown> {
  return asRecord(pod.metadata) ?? {};
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

/** Sorted by (namespace, name), as the reference prints them. */
export function sortPods(pods: readonly KubeObjectLike[]): KubeObjectLike[] {
  const key = (p: KubeObjectLike) => [str(meta(p).namespace, ""), str(meta(p).name, "")] as const;
  return [...pods].sort((a, b) => {
    const [an, aa] = key(a);
    const [bn, bb] = key(b);
    return an < bn ? -1 : an > bn ? 1 : aa < bb ? -1 : aa > bb ? 1 : 0;
  });
}

function phaseOf(pod: KubeObjectLike): string {
  return str(asRecord(pod.status)?.phase, "Unknown");
}

function nodeOf(pod: KubeObjectLike): string {
  return str(asRecord(pod.spec)?.nodeName, "Not Scheduled");
}

/** The reference's table. */
export function renderPodTable(pods: readonly KubeObjectLike[]): string {
  const row = (ns: string, name: string, status: string, node: string) => `${ns.padEnd(20)} ${name.padEnd(60)} ${status.padEnd(12)} ${node.padEnd(15)}`;
  const lines = [row("NAMESPACE", "NAME", "STATUS", "NODE"), "-".repeat(107)];
  for (const p of sortPods(pods)) lines.push(row(str(meta(p).namespace, "default"), str(meta(p).name, "unknown"), phaseOf(p), nodeOf(p)));
  lines.push("", `Total: ${pods.length} pods`, "");
  return lines.join("\n");
}

function age(created: unknown, now: number): string {
  const ms = typeof created === "string" ? Date.parse(created) : Number.NaN;
  if (Number.isNaN(ms)) return "<unknown>";
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function statuses(pod: KubeObjectLike): Record<string, unknown>[] {
  const list = asRecord(pod.status)?.containerStatuses;
  return Array.isArray(list) ? list.map((s) => asRecord(s) ?? {}) : [];
}

/** `-o wide`: the reference columns plus READY, RESTARTS, AGE, IP and OWNER. */
export function renderPodTableWide(pods: readonly KubeObjectLike[], now: number): string {
  const rows = sortPods(pods).map((p) => {
    const cs = statuses(p);
    const containers = asRecord(p.spec)?.containers;
    const total = Array.isArray(containers) ? containers.length : cs.length;
    const ready = cs.filter((s) => s.ready === true).length;
    const restarts = cs.reduce((n, s) => n + (typeof s.restartCount === "number" ? s.restartCount : 0), 0);
    const owner = controllerRef(p);
    return [
      str(meta(p).namespace, "default"),
      str(meta(p).name, "unknown"),
      phaseOf(p),
      nodeOf(p),
      `${ready}/${total}`,
      String(restarts),
      age(meta(p).creationTimestamp, now),
      str(asRecord(p.status)?.podIP, "<none>"),
      owner ? `${owner.kind}/${owner.name}` : "<none>",
    ];
  });
  const header = ["NAMESPACE", "NAME", "STATUS", "NODE", "READY", "RESTARTS", "AGE", "IP", "OWNER"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("   ");
  return [line(header), ...rows.map(line), "", `Total: ${pods.length} pods`, ""].join("\n");
}

/** A `v1 List` of the pods (what `kubectl get pods -o json|yaml` prints). */
export function podListDocument(pods: readonly KubeObjectLike[]) {
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: sortPods(pods).map((p) => ({ apiVersion: "v1", kind: "Pod", ...p })) };
}

/** -o json / -o yaml. */
export function renderPodList(pods: readonly KubeObjectLike[], format: "json" | "yaml"): string {
  const doc = podListDocument(pods);
  return format === "json" ? `${JSON.stringify(doc, null, 4)}\n` : stringifyYaml(doc);
}
