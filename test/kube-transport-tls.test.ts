/**
 * The client-node TLS problem under Bun (docs/decisions/0001): a private CA and a
 * client certificate from the kubeconfig must reach the wire. The server here
 * refuses any client without a certificate signed by the test CA, so this test
 * fails the moment the kubeconfig's TLS material stops being applied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKubeConfig } from "../lib/kube/kubeconfig.ts";
import { createTransport } from "../lib/kube/transport.ts";
import { createTestPki, type TestPki } from "./support/certs.ts";
import { renderKubeconfig } from "./support/kubeconfig.ts";

let pki: TestPki;
let server: ReturnType<typeof Bun.serve>;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "kd-tls-"));

beforeAll(async () => {
  pki = await createTestPki();
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true },
    fetch(req) {
      return Response.json({ gitVersion: "v1.32.0", auth: req.headers.get("authorization") });
    },
  });
  url = `https://127.0.0.1:${server.port}`;
});

afterAll(() => {
  server.stop(true);
});

function writeConfig(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

describe("transport over TLS with the kubeconfig's CA and client certificate", () => {
  test("the server really requires a client certificate (control)", async () => {
    const err = await fetch(`${url}/version`, { tls: { ca: pki.ca.cert } } as RequestInit).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
  });

  test("request() sends the client certificate and trusts the private CA", async () => {
    const client = await pki.issue({ cn: "alice", o: ["devs"] });
    const path = writeConfig("mtls.yaml", renderKubeconfig([{ name: "c1", server: url, caPem: pki.ca.cert, user: { certPem: client.cert, keyPem: client.key } }]));
    const transport = createTransport(loadKubeConfig({ kubeconfig: path, env: {} }));
    const res = await transport.request("/version");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { gitVersion: string }).gitVersion).toBe("v1.32.0");
  });

  test("request() sends the bearer token next to the client certificate", async () => {
    const client = await pki.issue({ cn: "bob" });
    const path = writeConfig("token.yaml", renderKubeconfig([{ name: "c1", server: url, caPem: pki.ca.cert, user: { token: "s3cret", certPem: client.cert, keyPem: client.key } }]));
    const res = await createTransport(loadKubeConfig({ kubeconfig: path, env: {} })).request("/version");
    expect(((await res.json()) as { auth: string }).auth).toBe("Bearer s3cret");
  });

  test("without the CA in the kubeconfig the server certificate is rejected", async () => {
    const client = await pki.issue({ cn: "carol" });
    const path = writeConfig("noca.yaml", renderKubeconfig([{ name: "c1", server: url, user: { certPem: client.cert, keyPem: client.key } }]));
    const transport = createTransport(loadKubeConfig({ kubeconfig: path, env: {} }));
    await expect(transport.request("/version")).rejects.toThrow();
  });

  test("insecure-skip-tls-verify skips server verification", async () => {
    const client = await pki.issue({ cn: "dave" });
    const path = writeConfig("insecure.yaml", renderKubeconfig([{ name: "c1", server: url, insecure: true, user: { certPem: client.cert, keyPem: client.key } }]));
    const res = await createTransport(loadKubeConfig({ kubeconfig: path, env: {} })).request("/version");
    expect(res.status).toBe(200);
  });
});
