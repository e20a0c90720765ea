/**
 * CA rotation with files: `cert-generate --new-ca` stages, `--promote-ca` switches, the previous CA
 * is kept in ca-bundle.crt; every run all-or-nothing, a Ctrl-C included.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { KubeDevopsError } from "../../lib/errors.ts";
import { writeCertificateFiles } from "../../lib/webhook/cert-files.ts";
import { runBinary } from "../support/binary.ts";

const CERT_GENERATE = ["webhook", "cert-generate", "--output-dir"];

function contentsOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => {
    const stat = lstatSync(join(dir, name));
    return [name, stat.isFile() ? readFileSync(join(dir, name), "utf8") : "<dir>"];
  }));
}

function certificatesIn(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []);
}

async function verifies(certPem: string, caPem: string): Promise<boolean> {
  return new x509.X509Certificate(certPem).verify({ publicKey: new x509.X509Certificate(caPem), signatureOnly: true });
}

function newDir(): string {
  return join(mkdtempSync(join(tmpdir(), "kd-rotate-")), "live");
}

describe("writeCertificateFiles(): writes and removals, all or nothing", () => {
  test("removes the files asked (skipping absent ones) with the writes, and leaves no backup", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-rotate-"));
    writeCertificateFiles(dir, [{ name: "a", content: "old a", mode: 0o644 }, { name: "gone", content: "x", mode: 0o600 }], []);
    writeCertificateFiles(dir, [{ name: "a", content: "new a", mode: 0o644 }, { name: "b", content: "b", mode: 0o600 }], ["gone", "never-there"]);
    expect(contentsOf(dir)).toEqual({ a: "new a", b: "b" });
    expect(statSync(join(dir, "b")).mode & 0o777).toBe(0o600);
  });

  test("a removal that fails puts back every file already replaced: nothing changed", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-rotate-"));
    writeCertificateFiles(dir, [{ name: "a", content: "old a", mode: 0o644 }, { name: "gone", content: "x", mode: 0o600 }], []);
    const before = contentsOf(dir);
    let calls = 0;
    const rename = (from: string, to: string) => {
      calls += 1;
      if (calls === 3) throw new Error("EIO: simulated");
      renameSync(from, to);
    };
    let error: unknown;
    try {
      writeCertificateFiles(dir, [{ name: "a", content: "new a", mode: 0o644 }, { name: "b", content: "b", mode: 0o644 }], ["gone"], { rename });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KubeDevopsError);
    expect((error as Error).message).toBe(`Cannot write certificates: cannot remove ${join(dir, "gone")}: EIO: simulated; nothing was changed`);
    expect(contentsOf(dir)).toEqual(before);
  });

  test("a SIGINT during the swap is held until the last rename and removal: the new set whole, no temporary file, then the signal ends the process", () => {
    const dir = mkdtempSync(join(tmpdir(), "kd-rotate-"));
    writeCertificateFiles(dir, [{ name: "ca.crt", content: "old", mode: 0o644 }, { name: "ca-next.crt", content: "next", mode: 0o644 }], []);
    const lib = join(import.meta.dir, "..", "..", "lib");
    const script = `
      import { renameSync, writeFileSync } from "node:fs";
      import { withSignalsDeferred } from ${JSON.stringify(join(lib, "cli", "defer-signals.ts"))};
      import { writeCertificateFiles } from ${JSON.stringify(join(lib, "webhook", "cert-files.ts"))};
      let first = true;
      const rename = (from, to) => { renameSync(from, to); if (first) { first = false; process.kill(process.pid, "SIGINT"); } };
      const writes = [{ name: "ca-previous.crt", content: "old", mode: 0o644 }, { name: "ca.crt", content: "next", mode: 0o644 }, { name: "tls.crt", content: "tls", mode: 0o644 }];
      await withSignalsDeferred(() => writeCertificateFiles(${JSON.stringify(dir)}, writes, ["ca-next.crt"], { rename }));
      writeFileSync(${JSON.stringify(join(dir, "after"))}, "not reached");
    `;
    const child = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    expect(child.signalCode).toBe("SIGINT");
    expect(contentsOf(dir)).toEqual({ "ca-previous.crt": "old", "ca.crt": "next", "tls.crt": "tls" });
  });
});

describe("kube-devops webhook cert-generate: CA rotation (binary)", () => {
  test("--new-ca stages (serving untouched, both CAs in ca-bundle.crt, the next steps on stderr); --promote-ca switches and keeps the previous CA", async () => {
    const dir = newDir();
    expect(runBinary([...CERT_GENERATE, dir]).code).toBe(0);
    const first = contentsOf(dir);
    expect(first["ca-bundle.crt"]).toBe(first["ca.crt"]);

    const stage = runBinary([...CERT_GENERATE, dir, "--new-ca"]);
    expect(stage.code).toBe(0);
    const staged = contentsOf(dir);
    for (const name of ["ca.crt", "ca.key", "tls.crt", "tls.key"]) expect({ name, same: staged[name] === first[name] }).toEqual({ name, same: true });
    expect(statSync(join(dir, "ca-next.key")).mode & 0o777).toBe(0o600);
    expect(certificatesIn(staged["ca-bundle.crt"] as string)).toEqual([...certificatesIn(first["ca.crt"] as string), ...certificatesIn(staged["ca-next.crt"] as string)]);
    expect(stage.stderr).toContain(`WARN  Staged a new CA in ${join(dir, "ca-next.crt")}; the webhook still serves the certificate of ${join(dir, "ca.crt")}`);
    expect(stage.stderr).toContain(`1. kube-devops webhook install-config --ca-bundle-path ${join(dir, "ca-bundle.crt")} | kubectl apply -f -`);
    expect(stage.stderr).toContain(`2. then: kube-devops webhook cert-generate --output-dir ${dir} --promote-ca`);
    // install-config prints the whole configuration: the printed command must not reset what was deployed
    expect(stage.stderr).toContain("--exclude-namespaces you deployed with");
    expect(stage.stdout).toContain("(unchanged)");
    expect(stage.stderr).not.toContain("the serving certificate, which staging");
    expect(contentsOf(dir)).toEqual(staged); // nothing more to stage: the staged-twice refusal is tested below
    const config = runBinary(["webhook", "install-config", "--ca-bundle-path", join(dir, "ca-bundle.crt"), "-o", "json"]);
    expect({ code: config.code, stderr: config.stderr }).toEqual({ code: 0, stderr: "" });
    expect(Buffer.from(JSON.parse(config.stdout).webhooks[0].clientConfig.caBundle, "base64").toString()).toBe(staged["ca-bundle.crt"] as string);

    // a renewal meanwhile signs with the current CA and keeps the staged one
    expect(runBinary([...CERT_GENERATE, dir]).code).toBe(0);
    const renewed = contentsOf(dir);
    expect([renewed["ca.crt"], renewed["ca-next.crt"], renewed["ca-bundle.crt"]]).toEqual([first["ca.crt"], staged["ca-next.crt"], staged["ca-bundle.crt"]]);
    expect(await verifies(renewed["tls.crt"] as string, first["ca.crt"] as string)).toBe(true);

    const promote = runBinary([...CERT_GENERATE, dir, "--promote-ca"]);
    expect(promote.code).toBe(0);
    const promoted = contentsOf(dir);
    expect(Object.keys(promoted)).toEqual(["ca-bundle.crt", "ca-previous.crt", "ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect([promoted["ca.crt"], promoted["ca.key"], promoted["ca-previous.crt"]]).toEqual([staged["ca-next.crt"], staged["ca-next.key"], first["ca.crt"]]);
    expect(statSync(join(dir, "ca-previous.crt")).mode & 0o777).toBe(0o644);
    expect(await verifies(promoted["tls.crt"] as string, promoted["ca.crt"] as string)).toBe(true);
    expect(certificatesIn(promoted["ca-bundle.crt"] as string)).toEqual([...certificatesIn(promoted["ca.crt"] as string), ...certificatesIn(first["ca.crt"] as string)]);
    expect(promote.stderr).toContain(`the old CA is kept as ${join(dir, "ca-previous.crt")} and stays in ${join(dir, "ca-bundle.crt")} until it expires`);
    expect(promote.stderr).toContain("holds the same two CAs, so nothing needs publishing now");

    // deploy --tls-dir publishes the bundle, not ca.crt alone
    const deploy = runBinary(["deploy", "generate-all", "--tls-dir", dir]);
    expect(deploy.code).toBe(0);
    const vwc = parseAllDocuments(deploy.stdout).map((doc) => doc.toJS()).find((object) => object?.kind === "ValidatingWebhookConfiguration");
    expect(Buffer.from(vwc.webhooks[0].clientConfig.caBundle, "base64").toString()).toBe(promoted["ca-bundle.crt"] as string);
  });

  test("a second --new-ca over a staged CA, and --promote-ca with none staged, are refused and change nothing", () => {
    const dir = newDir();
    expect(runBinary([...CERT_GENERATE, dir]).code).toBe(0);
    const unstaged = contentsOf(dir);
    const flagsIgnored = runBinary([...CERT_GENERATE, join(dir, "..", "other"), "--new-ca", "--dns-san", "x.example"]);
    expect(flagsIgnored.stderr).toBe(""); // no CA there yet: created, serving certificate with it
    expect(runBinary([...CERT_GENERATE, join(dir, "..", "other"), "--new-ca", "--dns-san", "x.example"]).stderr).toContain("WARN  --dns-san shapes the serving certificate, which staging leaves as it is: pass it with --promote-ca");
    const early = runBinary([...CERT_GENERATE, dir, "--promote-ca"]);
    expect({ code: early.code, stdout: early.stdout }).toEqual({ code: 1, stdout: "" });
    expect(early.stderr).toContain(`error: --promote-ca: no CA is staged (${join(dir, "ca-next.crt")} is missing); nothing was written`);
    expect(contentsOf(dir)).toEqual(unstaged);
    expect(runBinary([...CERT_GENERATE, dir, "--new-ca"]).code).toBe(0);
    const staged = contentsOf(dir);
    for (const flags of [["--new-ca"], ["--new-ca", "--promote-ca"]]) {
      const again = runBinary([...CERT_GENERATE, dir, ...flags]);
      expect({ flags, code: again.code, stdout: again.stdout, refused: again.stderr.includes(`--new-ca: a next CA is already staged in ${join(dir, "ca-next.crt")}`) }).toEqual({ flags, code: 1, stdout: "", refused: true });
    }
    expect(contentsOf(dir)).toEqual(staged);
  });

  test("a promotion that cannot replace tls.key (a directory now) fails naming it, and the staged rotation is intact", () => {
    const dir = newDir();
    expect(runBinary([...CERT_GENERATE, dir]).code).toBe(0);
    expect(runBinary([...CERT_GENERATE, dir, "--new-ca"]).code).toBe(0);
    rmSync(join(dir, "tls.key"));
    mkdirSync(join(dir, "tls.key"));
    const before = contentsOf(dir);
    const result = runBinary([...CERT_GENERATE, dir, "--promote-ca"]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: "" });
    expect(result.stderr).toContain(`Cannot write certificates: ${join(dir, "tls.key")} is a directory; nothing was written`);
    expect(contentsOf(dir)).toEqual(before);
  });

  test("--new-ca --promote-ca replaces in one step: the previous CA is kept in the bundle, and stderr says what to publish now", () => {
    const dir = newDir();
    expect(runBinary([...CERT_GENERATE, dir, "--service-name", "hook", "--namespace", "ops"]).code).toBe(0);
    const first = contentsOf(dir);
    const result = runBinary([...CERT_GENERATE, dir, "--service-name", "hook", "--namespace", "ops", "--new-ca", "--promote-ca"]);
    expect(result.code).toBe(0);
    const after = contentsOf(dir);
    expect(after["ca.crt"]).not.toBe(first["ca.crt"]);
    expect(after["ca-previous.crt"]).toBe(first["ca.crt"]);
    expect(certificatesIn(after["ca-bundle.crt"] as string)).toEqual([...certificatesIn(after["ca.crt"] as string), ...certificatesIn(first["ca.crt"] as string)]);
    expect(result.stderr).toContain("WARN  Replaced the CA in one step (--new-ca --promote-ca)");
    expect(result.stderr).toContain(`kube-devops webhook install-config --ca-bundle-path ${join(dir, "ca-bundle.crt")} --service-name hook --namespace ops | kubectl apply -f -`);
  });
});
