/**
 * The compiled `watch` serving /metrics from a Secret volume laid out as the kubelet lays it out
 * (`tls.crt -> ..data/tls.crt`, `..data -> ..<timestamp>`), as under `--cert-mode cert-manager`:
 * when cert-manager renews the Secret the kubelet swaps `..data` atomically (a new directory, a
 * `..data_tmp` symlink renamed over `..data`, the old directory removed) — the paths stay, the
 * files behind them change — and the listener must serve the new certificate without a restart.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { createCertificateAuthority, issueServingCertificate } from "../../lib/webhook/certs.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import { LEASE_COMPONENTS } from "../reliability/components.ts";
import { LEASE_FLAGS, startReplica, type Replica } from "../reliability/replicas.ts";

let emu: Emulator;
let replica: Replica | undefined;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "kd-metrics-swap-"));
});

afterAll(async () => {
  replica?.proc.kill("SIGKILL");
  await emu?.stop();
});

/** Writes `files` as the kubelet's AtomicWriter does: a fresh timestamped directory, then `..data` swapped to it by rename. */
function writeLikeKubelet(volume: string, files: Record<string, string>, generation: number): void {
  const stamp = `..2026_11_26_12_00_0${generation}.${1000 + generation}`;
  mkdirSync(join(volume, stamp));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(volume, stamp, name), content, { mode: 0o440 });
  const old = generation > 1 ? `..2026_11_26_12_00_0${generation - 1}.${1000 + generation - 1}` : undefined;
  symlinkSync(stamp, join(volume, "..data_tmp"));
  renameSync(join(volume, "..data_tmp"), join(volume, "..data"));
  if (generation === 1) for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(volume, name));
  if (old) rmSync(join(volume, old), { recursive: true });
}

/** The serial number of the certificate the listener presents. */
function servedSerial(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: "localhost" }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", reject);
  });
}

test("watch serves the renewed certificate after the kubelet's ..data swap", async () => {
  const ca = await createCertificateAuthority({ validityDays: 2, now: new Date() });
  const issue = () => issueServingCertificate(ca, { serviceName: "kube-devops-watch", namespace: "kube-devops", ipSans: ["127.0.0.1"], dnsSans: ["localhost"], validityDays: 1, now: new Date() });
  const volume = join(dir, "metrics-tls");
  mkdirSync(volume);
  const first = await issue();
  writeLikeKubelet(volume, { "tls.crt": first.server.cert, "tls.key": first.server.key, "ca.crt": ca.cert }, 1);
  const spec = LEASE_COMPONENTS.find((c) => c.name === "watch")!.spec;
  const kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  const args = ["--metrics-auth", "kubernetes", "--metrics-tls-cert", join(volume, "tls.crt"), "--metrics-tls-key", join(volume, "tls.key")];
  replica = await startReplica({ ...spec, command: [...spec.command, ...args] }, kubeconfig, "watch-0", LEASE_FLAGS);
  const { X509Certificate } = await import("node:crypto");
  const serial = (pem: string) => new X509Certificate(pem).serialNumber;
  expect(await servedSerial(replica.url, ca.cert)).toBe(serial(first.server.cert));

  const renewed = await issue();
  writeLikeKubelet(volume, { "tls.crt": renewed.server.cert, "tls.key": renewed.server.key, "ca.crt": ca.cert }, 2);
  // the file watch notices the swap; 15 s is half the 30 s poll that would otherwise catch it
  let served = "";
  for (let i = 0; i < 150 && served !== serial(renewed.server.cert); i++) {
    served = await servedSerial(replica.url, ca.cert);
    if (served !== serial(renewed.server.cert)) await Bun.sleep(100);
  }
  expect(served).toBe(serial(renewed.server.cert));
}, 60_000);
