/**
 * Kubeconfig resolution (KUBECONFIG merge, --context), in-cluster config with
 * token rotation, exec-plugin auth and every user-facing TLS/connection error,
 * against small local HTTPS servers that echo the Authorization header.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeDevopsError } from "../../lib/errors.ts";
import { createKubeClient } from "../../lib/kube/client.ts";
import { currentNamespace, loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { PODS } from "../../lib/kube/resources.ts";
import { createTransport } from "../../lib/kube/transport.ts";
import { KubeTransportError } from "../../lib/kube/transport-errors.ts";
import { createTestPki, type TestPki } from "../support/certs.ts";
import { TlsEchoServers } from "../support/tls-echo.ts";
import { renderKubeconfig } from "../support/kubeconfig.ts";

let pki: TestPki;
let otherPki: TestPki;
let wrongHostPki: TestPki;
let echoUrl: string; // server cert for 127.0.0.1, no client cert needed
let mtlsUrl: string; // requires a client cert from pki
let wrongHostUrl: string; // cert only valid for example.com
const dir = mkdtempSync(join(tmpdir(), "kd-config-"));

const echo = (req: Request) => Response.json({ auth: req.headers.get("authorization") });
const echoes = new TlsEchoServers(echo);

beforeAll(async () => {
  [pki, otherPki, wrongHostPki] = await Promise.all([createTestPki(), createTestPki(), createTestPki(["example.com"])]);
  echoUrl = echoes.start({ cert: pki.server.cert, key: pki.server.key });
  mtlsUrl = echoes.start({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
  wrongHostUrl = echoes.start({ cert: wrongHostPki.server.cert, key: wrongHostPki.server.key });
});

afterAll(() => echoes.stopAll());

let n = 0;
function write(yaml: string): string {
  const path = join(dir, `config-${n++}`);
  writeFileSync(path, yaml);
  return path;
}

async function authOf(kc: ReturnType<typeof loadKubeConfig>): Promise<string | null> {
  const res = await createTransport(kc).request("/version");
  return ((await res.json()) as { auth: string | null }).auth;
}

async function failure(promise: Promise<unknown>): Promise<KubeDevopsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeDevopsError);
  return err as KubeDevopsError;
}

describe("kubeconfig resolution", () => {
  test("KUBECONFIG merges files: first definition and first current-context win", async () => {
    const first = write(renderKubeconfig([{ name: "a", server: echoUrl, caPem: pki.ca.cert, user: { token: "token-a" }, namespace: "team-a" }]));
    const second = write(
      renderKubeconfig([
        { name: "b", server: echoUrl, caPem: pki.ca.cert, user: { token: "token-b" } },
        { name: "a", server: "https://127.0.0.1:1", user: { token: "shadowed" } },
      ]),
    );
    const kc = loadKubeConfig({ env: { KUBECONFIG: `${first}:${join(dir, "missing")}:${second}` } });
    expect(kc.getCurrentContext()).toBe("a");
    expect(currentNamespace(kc)).toBe("team-a");
    expect(await authOf(kc)).toBe("Bearer token-a");
    const b = loadKubeConfig({ env: { KUBECONFIG: `${first}:${second}` }, context: "b" });
    expect(currentNamespace(b)).toBe("default");
    expect(await authOf(b)).toBe("Bearer token-b");
  });

  test("--kubeconfig wins over KUBECONFIG", () => {
    const one = write(renderKubeconfig([{ name: "one", server: echoUrl, user: { token: "1" } }]));
    const two = write(renderKubeconfig([{ name: "two", server: echoUrl, user: { token: "2" } }]));
    expect(loadKubeConfig({ kubeconfig: two, env: { KUBECONFIG: one } }).getCurrentContext()).toBe("two");
  });

  test("an unknown context names the ones that exist", () => {
    const path = write(renderKubeconfig([{ name: "dev", server: echoUrl, user: {} }, { name: "prod", server: echoUrl, user: {} }]));
    expect(() => loadKubeConfig({ kubeconfig: path, context: "staging", env: {} })).toThrow('Unknown context "staging": the kubeconfig has dev, prod');
  });

  test("no kubeconfig anywhere is a CONFIG error with a hint", () => {
    let err: unknown;
    try {
      loadKubeConfig({ env: { HOME: join(dir, "nohome") } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeDevopsError);
    expect((err as KubeDevopsError).code).toBe("CONFIG");
    expect((err as KubeDevopsError).message).toContain("No kubeconfig found");
    expect(() => loadKubeConfig({ kubeconfig: join(dir, "absent.yaml"), env: {} })).toThrow("file does not exist");
  });
});

describe("in-cluster config", () => {
  test("uses the service-account CA, token and namespace, and picks up a rotated token", async () => {
    const sa = join(dir, "sa");
    mkdirSync(sa);
    const paths = { token: join(sa, "token"), ca: join(sa, "ca.crt"), namespace: join(sa, "namespace") };
    writeFileSync(paths.token, "first-token\n");
    writeFileSync(paths.ca, pki.ca.cert);
    writeFileSync(paths.namespace, "kube-devops");
    const port = new URL(echoUrl).port;
    const kc = loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: port }, inClusterPaths: paths });
    expect(currentNamespace(kc)).toBe("kube-devops");
    const transport = createTransport(kc);
    const auth = async () => ((await (await transport.request("/x")).json()) as { auth: string }).auth;
    expect(await auth()).toBe("Bearer first-token");
    // The kubelet swaps the projected file atomically; emulate with a rename.
    writeFileSync(join(sa, "token.new"), "second-token");
    renameSync(join(sa, "token.new"), paths.token);
    expect(await auth()).toBe("Bearer second-token");
  });

  test("a missing CA file in a pod is a CONFIG error naming the file", () => {
    const sa = join(dir, "sa2");
    mkdirSync(sa);
    const paths = { token: join(sa, "token"), ca: join(sa, "ca.crt"), namespace: join(sa, "namespace") };
    writeFileSync(paths.token, "t");
    expect(() => loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "443" }, inClusterPaths: paths })).toThrow(`In-cluster CA certificate "${paths.ca}" does not exist`);
  });
});

describe("exec credential plugin", () => {
  function plugin(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  test("the token printed by the plugin is sent", async () => {
    const cmd = plugin("cred-ok", `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec-'"$KD_SUFFIX"'"}}'`);
    const exec = { apiVersion: "client.authentication.k8s.io/v1", command: cmd, env: [{ name: "KD_SUFFIX", value: "42" }], interactiveMode: "Never" };
    const kc = loadKubeConfig({ kubeconfig: write(renderKubeconfig([{ name: "e", server: echoUrl, caPem: pki.ca.cert, user: { exec } }])), env: {} });
    expect(await authOf(kc)).toBe("Bearer from-exec-42");
  });

  test("after a 401 the cached exec credential is dropped and the plugin runs again", async () => {
    const counter = join(dir, "exec-count");
    writeFileSync(counter, "0");
    const cmd = plugin("cred-rotating", `n=$(($(cat ${counter}) + 1)); echo $n > ${counter}; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-'$n'"}}'`);
    const strict = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: pki.server.cert, key: pki.server.key },
      fetch: (req) =>
        req.headers.get("authorization") === "Bearer tok-2"
          ? Response.json({ kind: "Pod", metadata: { name: "ok" } })
          : Response.json({ kind: "Status", code: 401, reason: "Unauthorized" }, { status: 401 }),
    });
    try {
      const kc = loadKubeConfig({ kubeconfig: write(renderKubeconfig([{ name: "r", server: `https://127.0.0.1:${strict.port}`, caPem: pki.ca.cert, user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: cmd } } }])), env: {} });
      const client = createKubeClient(kc, { rateLimit: false });
      expect((await client.get(PODS, "ok", { namespace: "a" })).metadata?.name).toBe("ok");
      expect(readFileSync(counter, "utf8").trim()).toBe("2");
    } finally {
      strict.stop(true);
    }
  });

  test("a failing plugin is a CONFIG error naming the plugin and its stderr", async () => {
    const cmd = plugin("cred-bad", "echo 'token expired, run login' >&2; exit 1");
    const kc = loadKubeConfig({ kubeconfig: write(renderKubeconfig([{ name: "e", server: echoUrl, caPem: pki.ca.cert, user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: cmd } } }])), env: {} });
    const err = await failure(createTransport(kc).request("/x"));
    expect(err.code).toBe("CONFIG");
    expect(err.message).toBe(`The exec credential plugin "${cmd}" of user "e" (context "e") failed: token expired, run login`);
  });
});

describe("user-facing connection and TLS errors", () => {
  const request = (server: string, user: Parameters<typeof renderKubeconfig>[0][number]["user"], caPem?: string) =>
    createTransport(loadKubeConfig({ kubeconfig: write(renderKubeconfig([{ name: "c", server, ...(caPem ? { caPem } : {}), user }])), env: {} })).request("/version");

  test("unknown CA", async () => {
    const err = await failure(request(echoUrl, { token: "x" }, otherPki.ca.cert));
    expect(err.code).toBe("TLS");
    expect(err.message).toContain(`TLS failure talking to the API server at ${echoUrl} (context "c"): the server certificate is signed by an unknown certificate authority`);
  });

  test("hostname mismatch", async () => {
    const err = await failure(request(wrongHostUrl, { token: "x" }, wrongHostPki.ca.cert));
    expect(err.code).toBe("TLS");
    expect(err.message).toContain("the server certificate is not valid for 127.0.0.1 (hostname mismatch)");
  });

  test("client certificate rejected by the server", async () => {
    const stranger = await otherPki.issue({ cn: "mallory" });
    const err = await failure(request(mtlsUrl, { certPem: stranger.cert, keyPem: stranger.key }, pki.ca.cert));
    expect(err.message).toMatch(/client certificate/);
    expect(err.message).toContain(mtlsUrl);
  });

  test("server demands a client certificate and none is configured", async () => {
    const err = await failure(request(mtlsUrl, { token: "x" }, pki.ca.cert));
    expect(err.code).toBe("TLS");
    expect(err.message).toContain("the server requires a client certificate, or does not speak TLS on this port");
  });

  test("malformed certificate data is a CONFIG error before any connection", async () => {
    const err = await failure(request(echoUrl, { certPem: "not a pem", keyPem: "nope" }, pki.ca.cert));
    expect(err.code).toBe("CONFIG");
    expect(err.message).toBe('The client certificate of context "c" is not PEM data');
  });

  test("refused connection names the URL", async () => {
    const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `https://127.0.0.1:${s.port}`;
    s.stop(true);
    const err = await failure(request(url, { token: "x" }, pki.ca.cert));
    expect(err).toBeInstanceOf(KubeTransportError);
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toContain(`Cannot reach the API server at ${url} (context "c"): connection refused`);
  });
});

test("kubeconfig proxy-url: requests tunnel through the proxy (CONNECT) with TLS to the API server intact", async () => {
  const { createServer, connect: tcpConnect } = await import("node:net");
  const targets: string[] = [];
  const proxy = createServer((client) => {
    client.once("data", (head) => {
      const line = head.toString().split("\r\n")[0] ?? "";
      const target = line.split(" ")[1] ?? "";
      targets.push(target);
      const [host, port] = target.split(":");
      const upstream = tcpConnect(Number(port), host as string, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  try {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const { stringify, parse } = await import("yaml");
    const doc = parse(renderKubeconfig([{ name: "p", server: echoUrl, caPem: pki.ca.cert, user: { token: "via-proxy" } }])) as { clusters: { cluster: Record<string, unknown> }[] };
    (doc.clusters[0] as { cluster: Record<string, unknown> }).cluster["proxy-url"] = proxyUrl;
    const kc = loadKubeConfig({ kubeconfig: write(stringify(doc)), env: {} });
    expect(await authOf(kc)).toBe("Bearer via-proxy");
    expect(targets).toEqual([new URL(echoUrl).host]);
  } finally {
    proxy.close();
  }
});
