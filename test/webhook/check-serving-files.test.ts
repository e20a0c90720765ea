/**
 * `deploy generate-all --tls-dir` checks the certificate set before shipping it: each way a set
 * from `webhook cert-generate` can be wrong for the Service is refused, naming the file.
 */
import { describe, expect, test } from "bun:test";
import { generateWebhookCertificates, type WebhookCertificates } from "../../lib/webhook/certs.ts";
import { checkServingFiles, type ServingFiles } from "../../lib/webhook/check-serving-files.ts";

const NOW = new Date("2026-06-01T00:00:00Z");
const NAMES = { caCert: "d/ca.crt", tlsCert: "d/tls.crt", tlsKey: "d/tls.key" };
const HOST = "kube-devops-webhook.ops.svc";
const DAY = 86_400_000;

const generate = (namespace: string): Promise<WebhookCertificates> =>
  generateWebhookCertificates({ serviceName: "kube-devops-webhook", namespace, validityDays: 30, caValidityDays: 365, now: NOW });
const filesOf = (c: WebhookCertificates): ServingFiles => ({ caCert: c.ca.cert, tlsCert: c.server.cert, tlsKey: c.server.key });
const refusal = (files: ServingFiles, now = NOW, host = HOST): string => {
  try {
    checkServingFiles(files, NAMES, host, now);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("checkServingFiles", async () => {
  const ops = await generate("ops");
  const other = await generate("ops");

  test("a set from cert-generate for the namespace passes", () => {
    expect(refusal(filesOf(ops))).toBe("");
    expect(refusal({ ...filesOf(ops), caCert: other.ca.cert + ops.ca.cert })).toBe(""); // a bundle with old and new CA
  });

  test("a set for another namespace's Service is refused, naming the host it must serve", async () => {
    expect(refusal(filesOf(await generate("kube-devops")))).toContain(`d/tls.crt is not valid for ${HOST}, the Service the webhook configuration calls`);
  });

  test("files mixed from two runs are refused: the key, or the CA, of another run", () => {
    expect(refusal({ ...filesOf(ops), tlsKey: other.server.key })).toBe("d/tls.key is not the key of d/tls.crt");
    expect(refusal({ ...filesOf(ops), caCert: other.ca.cert })).toBe("d/tls.crt is not signed by a CA in d/ca.crt");
  });

  test("an expired or not yet valid certificate is refused", () => {
    expect(refusal(filesOf(ops), new Date(NOW.getTime() + 31 * DAY))).toContain("d/tls.crt expired on");
    expect(refusal(filesOf(ops), new Date(NOW.getTime() - 2 * DAY))).toContain("d/tls.crt is not valid before");
  });

  test("what is not PEM is named", () => {
    expect(refusal({ ...filesOf(ops), tlsCert: "hello" })).toBe("d/tls.crt: no PEM certificate in it");
    expect(refusal({ ...filesOf(ops), tlsKey: "hello" })).toContain("d/tls.key: not a PEM private key");
    expect(refusal({ ...filesOf(ops), caCert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" })).toContain("d/ca.crt: certificate 1 does not parse");
  });
});
