/**
 * Whether a ValidatingWebhookConfiguration still carries the CA bundle, with literal objects and
 * real certificates: only our Service's webhooks count, line wrapping and order do not, extra
 * certificates are fine, a missing one is not.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { bundleCarries, configurationCarries, isOwnWebhook, ownCaBundles, pemCertificates } from "../../lib/webhook/published-bundle.ts";
import { createCertificateAuthority } from "../../lib/webhook/certs.ts";

const SERVICE = { name: "kube-devops-webhook", namespace: "kube-devops" };
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
let ca: string;
let next: string;

beforeAll(async () => {
  const now = new Date("2026-11-26T00:00:00Z");
  ca = (await createCertificateAuthority({ validityDays: 10, now })).cert;
  next = (await createCertificateAuthority({ validityDays: 10, now })).cert;
});

describe("ownCaBundles / isOwnWebhook", () => {
  test("only webhooks calling our Service, in order; an unset caBundle is empty", () => {
    const vwc = {
      webhooks: [
        { name: "a", clientConfig: { service: SERVICE, caBundle: "QQ==" } },
        { name: "other-ns", clientConfig: { service: { ...SERVICE, namespace: "elsewhere" }, caBundle: "Qg==" } },
        { name: "url", clientConfig: { url: "https://example.invalid" } },
        { name: "b", clientConfig: { service: SERVICE } },
      ],
    };
    expect(ownCaBundles(vwc, SERVICE)).toEqual(["QQ==", ""]);
    expect(isOwnWebhook({ clientConfig: { service: { name: "kube-devops-webhook" } } }, SERVICE)).toBe(false);
    expect(ownCaBundles({}, SERVICE)).toEqual([]);
    expect(ownCaBundles({ webhooks: "nonsense" }, SERVICE)).toEqual([]);
  });
});

describe("bundleCarries", () => {
  test("every desired certificate present: carried, whatever the order, wrapping or extras", () => {
    const desired = `${ca.trim()}\n${next.trim()}\n`;
    expect(bundleCarries(b64(desired), desired)).toBe(true);
    expect(bundleCarries(b64(`${next.trim()}\n${ca.trim()}\n`), desired)).toBe(true);
    const unwrapped = desired.replace(/(-----BEGIN CERTIFICATE-----)([\s\S]*?)(-----END CERTIFICATE-----)/g, (_m, a: string, body: string, c: string) => `${a}\r\n${body.replace(/\s+/g, "")}\r\n${c}`);
    expect(bundleCarries(b64(unwrapped), desired)).toBe(true);
    // a bundle with more (another replica already published a staged CA) is not undone
    expect(bundleCarries(b64(desired), ca)).toBe(true);
  });

  test("a missing certificate, an empty or garbage bundle: not carried", () => {
    expect(bundleCarries(b64(ca), `${ca.trim()}\n${next.trim()}\n`)).toBe(false);
    expect(bundleCarries("", ca)).toBe(false);
    expect(bundleCarries(b64("not a certificate"), ca)).toBe(false);
    expect(bundleCarries("%%%", ca)).toBe(false);
  });

  test("configurationCarries: every one of our webhooks must carry it; none of ours is nothing to do", () => {
    expect(configurationCarries([b64(ca), b64(ca)], ca)).toBe(true);
    expect(configurationCarries([b64(ca), ""], ca)).toBe(false);
    expect(configurationCarries([], ca)).toBe(true);
    expect(pemCertificates(`${ca}${ca}`).size).toBe(1);
  });
});
