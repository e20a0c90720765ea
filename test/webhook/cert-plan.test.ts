/**
 * Self-managed certificate planning with literal certificates: when to keep, renew the
 * serving certificate or start a new CA, and which CA bundle to publish.
 */
import { describe, expect, test } from "bun:test";
import { caBundleOf, planCertificates, readSecretData, toSecretData } from "../../lib/webhook/cert-plan.ts";
import { createCertificateAuthority, describeCertificate, issueServingCertificate } from "../../lib/webhook/certs.ts";
import { serviceDnsNames } from "../../lib/webhook/constants.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const NAMES = serviceDnsNames("kube-devops-webhook", "kube-devops");

async function setup(options: { caDays?: number; servingDays?: number; issuedDaysAgo?: number; caIssuedDaysAgo?: number; service?: string } = {}) {
  const ca = await createCertificateAuthority({ validityDays: options.caDays ?? 1825, now: new Date(NOW.getTime() - (options.caIssuedDaysAgo ?? 0) * DAY) });
  const issued = await issueServingCertificate(ca, { serviceName: options.service ?? "kube-devops-webhook", namespace: "kube-devops", validityDays: options.servingDays ?? 365, now: new Date(NOW.getTime() - (options.issuedDaysAgo ?? 0) * DAY) });
  const stored = { ca, server: issued.server };
  return { stored, ca: await describeCertificate(ca.cert), serving: await describeCertificate(issued.server.cert) };
}

describe("planCertificates()", () => {
  test("fresh certificates are kept", async () => {
    expect(planCertificates({ ...(await setup()), dnsNames: NAMES, now: NOW })).toBe("keep");
  });

  test("nothing stored, or no CA, means a new CA", async () => {
    expect(planCertificates({ stored: undefined, ca: undefined, serving: undefined, dnsNames: NAMES, now: NOW })).toBe("new-ca");
  });

  test("a serving certificate with less than a third of its life left is renewed under the same CA", async () => {
    expect(planCertificates({ ...(await setup({ issuedDaysAgo: 250 })), dnsNames: NAMES, now: NOW })).toBe("issue-serving");
    expect(planCertificates({ ...(await setup({ issuedDaysAgo: 200 })), dnsNames: NAMES, now: NOW })).toBe("keep");
  });

  test("a serving certificate for another Service is re-issued", async () => {
    expect(planCertificates({ ...(await setup({ service: "old-name" })), dnsNames: NAMES, now: NOW })).toBe("issue-serving");
  });

  test("a Secret bootstrapped without ca.key is served while valid, then a new CA is staged", async () => {
    const fresh = await setup();
    expect(planCertificates({ ...fresh, stored: { ...fresh.stored, ca: { cert: fresh.stored.ca.cert, key: "" } }, dnsNames: NAMES, now: NOW })).toBe("keep");
    const old = await setup({ issuedDaysAgo: 300 });
    expect(planCertificates({ ...old, stored: { ...old.stored, ca: { cert: old.stored.ca.cert, key: "" } }, dnsNames: NAMES, now: NOW })).toBe("stage-ca");
  });

  test("a CA with less than a fifth of its life left is rotated in two steps: staged, then promoted a check later", async () => {
    const aging = await setup({ caDays: 100, caIssuedDaysAgo: 85, servingDays: 10 });
    expect(planCertificates({ ...aging, dnsNames: NAMES, now: NOW })).toBe("stage-ca");
    const next = await createCertificateAuthority({ validityDays: 1825, now: NOW });
    const nextInfo = await describeCertificate(next.cert);
    const staged = { ...aging, stored: { ...aging.stored, next }, next: nextInfo };
    expect(planCertificates({ ...staged, dnsNames: NAMES, now: new Date(NOW.getTime() + 10_000) })).toBe("keep");
    expect(planCertificates({ ...staged, dnsNames: NAMES, now: new Date(NOW.getTime() + 61_000) })).toBe("promote-ca");
    expect(planCertificates({ ...staged, dnsNames: NAMES, now: new Date(NOW.getTime() + 10_000), promoteAfterMs: 5_000 })).toBe("promote-ca");
  });

  test("an expired CA is replaced at once (nothing left to keep trusting)", async () => {
    const expired = await setup({ caDays: 10, caIssuedDaysAgo: 11, servingDays: 5, issuedDaysAgo: 11 });
    expect(planCertificates({ ...expired, dnsNames: NAMES, now: NOW })).toBe("new-ca");
  });
});

describe("Secret data and CA bundle", () => {
  test("round-trips through base64 Secret data; a missing key reads as nothing stored", async () => {
    const { stored } = await setup();
    const data = toSecretData({ ...stored, next: stored.ca, previousCa: stored.ca.cert });
    expect(Object.keys(data).sort()).toEqual(["ca-next.crt", "ca-next.key", "ca-previous.crt", "ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(readSecretData(data)).toEqual({ ...stored, next: stored.ca, previousCa: stored.ca.cert });
    const { "tls.key": _, ...partial } = data;
    expect(readSecretData(partial)).toBeUndefined();
    const { "ca.key": __, ...bootstrapped } = data;
    expect(readSecretData(bootstrapped)?.ca.key).toBe("");
    expect(readSecretData(undefined)).toBeUndefined();
  });

  test("a staged CA is in the bundle beside the current one", async () => {
    const cur = await setup();
    const next = await setup();
    const bundle = caBundleOf({ ...cur.stored, next: next.stored.ca }, undefined, NOW);
    expect(bundle).toBe(`${cur.stored.ca.cert.trim()}\n${next.stored.ca.cert.trim()}\n`);
  });

  test("the bundle carries the previous CA only while it is valid", async () => {
    const old = await setup();
    const next = await setup();
    const certs = { ...next.stored, previousCa: old.stored.ca.cert };
    const both = caBundleOf(certs, old.ca, NOW);
    expect(both.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(both.startsWith(next.stored.ca.cert.trim())).toBe(true);
    const later = new Date(old.ca.notAfter.getTime() + DAY);
    expect(caBundleOf(certs, old.ca, later).match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
  });
});
