/**
 * @module
 * Starts the compiled `webhook serve` against an emulator (file certificates on
 * 127.0.0.1) and posts admission reviews to it — for the reliability suite.
 */
import type { Subprocess } from "bun";
import { mkdtempSync } from "node:fs";
import { request as httpsRequest, Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCertificateSet } from "../../lib/webhook/cert-files.ts";
import { generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import type { Emulator } from "../kube/emulator.ts";
import { ensureBinary } from "../support/binary.ts";
import { until } from "./replicas.ts";

export interface WebhookProcess {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  url: string;
  ca: string;
  log: () => string;
}

/** Starts the binary; resolves once it logs its listening URL. */
export async function startWebhook(emu: Emulator): Promise<WebhookProcess> {
  const dir = mkdtempSync(join(tmpdir(), "kd-rel-wh-"));
  const certs = await generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace: "kube-devops", ipSans: ["127.0.0.1"], validityDays: 1, caValidityDays: 1, now: new Date() });
  const paths = writeCertificateSet(dir, certs);
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  const proc = Bun.spawn([ensureBinary(), "webhook", "serve", "--addr", "127.0.0.1:0", "--tls-cert", paths.tlsCert, "--tls-key", paths.tlsKey, "--kubeconfig", kubeconfig, "--log-format", "json"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  let text = "";
  void (async () => {
    for await (const chunk of proc.stderr) text += new TextDecoder().decode(chunk);
  })();
  const url = await until("the webhook's listening line", () => /"url":"(https:[^"]+)"/.exec(text)?.[1] ?? (proc.exitCode === null ? undefined : Promise.reject(new Error(`webhook exited: ${text}`))));
  return { proc, url, ca: certs.ca.cert, log: () => text };
}

/** An AdmissionReview of a pod in `namespace` with one container using `image`. */
export function podReview(uid: string, image: string, namespace = "prod"): string {
  const container = { name: "app", image, livenessProbe: { tcpSocket: { port: 80 } }, readinessProbe: { tcpSocket: { port: 80 } } };
  const object = { apiVersion: "v1", kind: "Pod", metadata: { name: `p-${uid}`, namespace }, spec: { containers: [container] } };
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace, operation: "CREATE", userInfo: { username: "alice" }, object } });
}

export interface Verdict {
  uid: string;
  allowed: boolean;
  message?: string;
}

/** Posts one review; resolves with the verdict (rejects on any transport or HTTP failure). */
export async function admit(wh: WebhookProcess, uid: string, image: string): Promise<Verdict> {
  const res = await fetch(`${wh.url}/validate`, { method: "POST", body: podReview(uid, image), headers: { "Content-Type": "application/json" }, tls: { ca: wh.ca } });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const { response } = (await res.json()) as { response: { uid: string; allowed: boolean; status?: { message?: string } } };
  return { uid: response.uid, allowed: response.allowed, ...(response.status?.message ? { message: response.status.message } : {}) };
}

/**
 * Starts a review over `agent` (a keep-alive connection) whose body is sent in
 * two halves: the request is in flight until `finish()` sends the rest.
 */
export function admitInTwoHalves(wh: WebhookProcess, agent: Agent, uid: string, image: string): { sent: Promise<void>; finish: () => void; verdict: Promise<Verdict> } {
  const body = Buffer.from(podReview(uid, image));
  const half = Math.floor(body.length / 2);
  const url = new URL(`${wh.url}/validate`);
  let finish: () => void = () => undefined;
  let sent: () => void = () => undefined;
  const sentP = new Promise<void>((r) => (sent = r));
  const verdict = new Promise<Verdict>((resolve, reject) => {
    const req = httpsRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, ca: wh.ca, headers: { "Content-Type": "application/json", "Content-Length": body.length } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        const { response } = JSON.parse(text) as { response: { uid: string; allowed: boolean } };
        resolve({ uid: response.uid, allowed: response.allowed });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.write(body.subarray(0, half), () => sent());
    finish = () => req.end(body.subarray(half));
  });
  return { sent: sentP, finish: () => finish(), verdict };
}
