/** caBundle files: what install-config refuses (nothing valid, no certificate, keys, cut-off blocks), warns about, and how a rotation's bundle is composed. */
import { describe, expect, test } from "bun:test";
import { checkCaBundle, composeCaBundle, isCertificateValidAt, splitCertificates } from "../../lib/webhook/ca-bundle.ts";
import { createCertificateAuthority, generateWebhookCertificates } from "../../lib/webhook/certs.ts";
import { thrown } from "../support/thrown.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;
const later = (days: number) => new Date(NOW.getTime() + days * DAY);
const [a, b] = await Promise.all([createCertificateAuthority({ validityDays: 10, now: NOW }), createCertificateAuthority({ validityDays: 100, now: NOW })]);


describe("checkCaBundle()", () => {
  test("several CA certificates are one bundle, normalised; all valid: no warning", () => {
    const checked = checkCaBundle(`# subject=kube-devops\n${a.cert}\n\n${b.cert}`, "bundle.crt", NOW);
    expect(checked).toEqual({ pem: `${a.cert.trim()}\n${b.cert.trim()}\n`, warnings: [] });
  });

  test("an expired certificate beside a valid one is a warning naming it and its notAfter", () => {
    const checked = checkCaBundle(a.cert + b.cert, "bundle.crt", later(20));
    expect(checked.pem).toContain(a.cert.trim()); // the API server skips it; dropping it is the operator's call
    expect(checked.warnings).toHaveLength(1);
    expect(checked.warnings[0]).toMatch(/^certificate 1 of bundle\.crt \(CN=kube-devops-webhook-ca, O=kube-devops\) expired on 2026-06-11T12:00:00\.000Z: it verifies nothing/);
  });

  test("every certificate expired: refused, naming the file and each notAfter", () => {
    const error = thrown(() => checkCaBundle(a.cert + b.cert, "exp/ca.crt", later(200)));
    expect(error.code).toBe("INPUT");
    expect(error.message).toContain("Cannot use exp/ca.crt as a CA bundle: no certificate in it is valid now");
    expect(error.message).toContain("certificate 1 of exp/ca.crt (CN=kube-devops-webhook-ca, O=kube-devops) expired on 2026-06-11T12:00:00.000Z");
    expect(error.message).toContain("expired on 2026-09-09T12:00:00.000Z");
    expect(error.hint).toContain("--new-ca");
    expect(thrown(() => checkCaBundle(a.cert, "f", later(-1))).message).toContain("not valid before");
  });

  test("no certificate, garbage in a block, a private key, a cut-off block and a serving certificate are refused by name", async () => {
    expect(thrown(() => checkCaBundle("", "empty.crt", NOW)).message).toBe("Cannot use empty.crt as a CA bundle: no PEM certificate in it");
    expect(thrown(() => checkCaBundle("hello world\n", "junk.crt", NOW)).message).toBe("Cannot use junk.crt as a CA bundle: no PEM certificate in it");
    const garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    expect(thrown(() => checkCaBundle(garbage, "g.crt", NOW)).message).toStartWith("Cannot use g.crt as a CA bundle: certificate 1 of g.crt does not parse");
    const key = thrown(() => checkCaBundle(`${a.cert}${a.key}`, "k.crt", NOW));
    expect(key.message).toBe(`Cannot use k.crt as a CA bundle: it holds a PRIVATE KEY block (line ${a.cert.split("\n").length}), not only certificates`);
    expect(key.hint).toContain("never pass a private key");
    const cut = a.cert.slice(0, a.cert.length - 40);
    expect(thrown(() => checkCaBundle(`${b.cert}${cut}`, "cut.crt", NOW)).message).toBe(`Cannot use cut.crt as a CA bundle: an incomplete PEM block at line ${b.cert.split("\n").length} (a BEGIN line without its pair)`);
    const serving = await generateWebhookCertificates({ serviceName: "s", namespace: "n", validityDays: 5, caValidityDays: 5, now: NOW });
    expect(thrown(() => checkCaBundle(serving.server.cert, "tls.crt", NOW)).message).toContain("is not a CA");
  });

  test("splitCertificates keeps only whole certificate blocks", () => {
    expect(splitCertificates(`x\n${a.cert}y\n${b.cert}`, "f")).toEqual([a.cert.trim(), b.cert.trim()]);
  });
});

describe("composeCaBundle()", () => {
  test("keeps each CA once, in order, skipping absent, unreadable and expired ones", () => {
    expect(composeCaBundle([b.cert, undefined, a.cert, b.cert, "junk"], NOW)).toBe(`${b.cert.trim()}\n${a.cert.trim()}\n`);
    expect(composeCaBundle([b.cert, a.cert], later(20))).toBe(`${b.cert.trim()}\n`);
    expect(isCertificateValidAt(a.cert, later(20))).toBe(false);
    expect(isCertificateValidAt("junk", NOW)).toBe(false);
    expect(isCertificateValidAt(b.cert, later(20))).toBe(true);
  });
});
