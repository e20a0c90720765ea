/**
 * Our kubeconfig model (kubeconfig-file.ts, loaded-kubeconfig.ts,
 * credentials.ts): parse errors that name the file, kubectl's relative paths,
 * KUBECONFIG merge, token-file, basic auth, impersonation, tls-server-name,
 * exec plugins returning a client certificate, and the auth providers handed to
 * client-node's full KubeConfig — which is loaded for those users only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { KubeDevopsError } from "../../lib/errors.ts";
import { mergeKubeconfigs, parseKubeconfig } from "../../lib/kube/kubeconfig-file.ts";
import { loadKubeConfig } from "../../lib/kube/kubeconfig.ts";
import { createTransport } from "../../lib/kube/transport.ts";
import { createTestPki, type TestPki } from "../support/certs.ts";
import { TlsEchoServers } from "../support/tls-echo.ts";
import { unexpiredIdToken } from "../support/kubeconfig.ts";

let pki: TestPki;
let examplePki: TestPki;
let echoUrl: string; // echoes the headers we care about; server cert for 127.0.0.1
let mtlsUrl: string; // requires a client certificate signed by pki
let exampleUrl: string; // server certificate only valid for example.com
const dir = mkdtempSync(join(tmpdir(), "kd-kubeconfig-"));

const echo = (req: Request) => Response.json({ auth: req.headers.get("authorization"), impersonate: req.headers.get("impersonate-user") });
const echoes = new TlsEchoServers(echo);

beforeAll(async () => {
  [pki, examplePki] = await Promise.all([createTestPki(), createTestPki(["example.com"])]);
  echoUrl = echoes.start({ cert: pki.server.cert, key: pki.server.key });
  mtlsUrl = echoes.start({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
  exampleUrl = echoes.start({ cert: examplePki.server.cert, key: examplePki.server.key });
});

afterAll(() => echoes.stopAll());

const b64 = (s: string) => Buffer.from(s).toString("base64");

let n = 0;
/** Writes a kubeconfig (object or raw text) into its own directory under `dir`; returns the path. */
function write(config: object | string, name = "config"): string {
  const sub = join(dir, `k${n++}`);
  mkdirSync(sub);
  const path = join(sub, name);
  writeFileSync(path, typeof config === "string" ? config : stringify(config));
  return path;
}

/** A one-context kubeconfig with the given cluster and user fields. */
function single(cluster: Record<string, unknown>, user: Record<string, unknown>) {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "c",
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  };
}

async function headersOf(path: string): Promise<{ auth: string | null; impersonate: string | null }> {
  const res = await createTransport(loadKubeConfig({ kubeconfig: path, env: {} })).request("/version");
  return (await res.json()) as { auth: string | null; impersonate: string | null };
}

function configError(fn: () => unknown): KubeDevopsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KubeDevopsError);
    expect((err as KubeDevopsError).code).toBe("CONFIG");
    return err as KubeDevopsError;
  }
  throw new Error("expected a CONFIG error");
}

async function asyncConfigError(promise: Promise<unknown>): Promise<KubeDevopsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeDevopsError);
  expect((err as KubeDevopsError).code).toBe("CONFIG");
  return err as KubeDevopsError;
}

describe("parse errors name the file", () => {
  test("bad YAML: file, line and column", () => {
    const path = write("apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: x\nusers: []\n");
    const err = configError(() => loadKubeConfig({ kubeconfig: path, env: {} }));
    expect(err.message).toStartWith(`Cannot load kubeconfig "${path}": invalid YAML at line 5, column 1: `);
  });

  test("bad YAML in a KUBECONFIG file says where it came from", () => {
    const good = write(single({ server: echoUrl }, { token: "t" }));
    const bad = write("clusters: [\n");
    const err = configError(() => loadKubeConfig({ env: { KUBECONFIG: `${good}:${bad}` } }));
    expect(err.message).toStartWith(`Cannot load kubeconfig "${bad}" (from KUBECONFIG): invalid YAML`);
  });

  test("a missing required field is named by its path", () => {
    const path = write({ clusters: [{ name: "a", cluster: { "certificate-authority-data": "x" } }] });
    expect(configError(() => loadKubeConfig({ kubeconfig: path, env: {} })).message).toBe(`Cannot load kubeconfig "${path}": clusters[0].cluster.server is missing`);
    const ctx = write({ contexts: [{ name: "a" }] });
    expect(configError(() => loadKubeConfig({ kubeconfig: ctx, env: {} })).message).toBe(`Cannot load kubeconfig "${ctx}": contexts[0].context is missing`);
  });

  test("wrong shapes are errors, not crashes", () => {
    expect(() => parseKubeconfig("- a\n- b\n")).toThrow("expected a mapping with clusters, users and contexts");
    expect(() => parseKubeconfig("users: {name: u}\n")).toThrow("users must be a list");
    expect(() => parseKubeconfig("users: [null]\n")).toThrow("users[0] must be a mapping");
  });

  test("a file naming one context, cluster or user twice is refused, as kubectl refuses it (not one picked silently)", () => {
    const ctx = write({ contexts: [{ name: "prod", context: { cluster: "a", user: "u" } }, { name: "prod", context: { cluster: "b", user: "u" } }] });
    expect(configError(() => loadKubeConfig({ kubeconfig: ctx, env: {} })).message).toBe(`Cannot load kubeconfig "${ctx}": duplicate name "prod" in contexts: each context must be named once`);
    expect(() => parseKubeconfig(stringify({ clusters: [{ name: "a", cluster: { server: "https://a" } }, { name: "a", cluster: { server: "https://b" } }] }))).toThrow('duplicate name "a" in clusters');
    // across KUBECONFIG files the first definition wins, as before
    const one = write(single({ server: echoUrl }, { token: "t" }));
    expect(loadKubeConfig({ env: { KUBECONFIG: `${one}:${one}` } }).getContexts().length).toBe(1);
  });

  test("an empty file is an empty config: no current context", () => {
    const path = write("");
    expect(configError(() => loadKubeConfig({ kubeconfig: path, env: {} })).message).toBe("The kubeconfig has no current context");
  });
});

describe("kubectl's relative paths", () => {
  test("certificate-authority, client-certificate, client-key and token-file resolve against the file's directory", async () => {
    const path = write(single({ server: mtlsUrl, "certificate-authority": "pki/ca.crt" }, { "client-certificate": "pki/me.crt", "client-key": "pki/me.key", "token-file": "pki/token" }));
    const base = join(path, "..");
    mkdirSync(join(base, "pki"));
    const me = await pki.issue({ cn: "me" });
    writeFileSync(join(base, "pki", "ca.crt"), pki.ca.cert);
    writeFileSync(join(base, "pki", "me.crt"), me.cert);
    writeFileSync(join(base, "pki", "me.key"), me.key);
    writeFileSync(join(base, "pki", "token"), "from-file\n");
    const user = loadKubeConfig({ kubeconfig: path, env: {} }).getCurrentUser();
    expect(user?.certFile).toBe(join(base, "pki", "me.crt"));
    expect(user?.tokenFile).toBe(join(base, "pki", "token"));
    // process.cwd() is not the kubeconfig's directory: this only works if the paths were resolved
    expect(process.cwd()).not.toBe(base);
    expect((await headersOf(path)).auth).toBe("Bearer from-file");
  });

  test("an exec command with a slash is resolved; a bare name is left for PATH", () => {
    const rel = parseKubeconfig(stringify(single({ server: echoUrl }, { exec: { command: "./bin/cred", apiVersion: "client.authentication.k8s.io/v1" } })), "/etc/kube");
    expect(rel.users[0]?.exec.command).toBe("/etc/kube/bin/cred");
    const bare = parseKubeconfig(stringify(single({ server: echoUrl }, { exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" } })), "/etc/kube");
    expect(bare.users[0]?.exec.command).toBe("aws");
  });

  test("absolute paths and *-data are left alone; the field mapping is client-node's", () => {
    const data = parseKubeconfig(
      stringify(single({ server: `${echoUrl}/`, "certificate-authority": "/abs/ca.crt", "tls-server-name": "api.example", "proxy-url": "http://proxy:3128", "insecure-skip-tls-verify": true }, { "client-key-data": "a2V5" })),
      "/etc/kube",
    );
    expect(data.clusters[0]).toEqual({ name: "c", server: echoUrl, caFile: "/abs/ca.crt", caData: undefined, tlsServerName: "api.example", proxyUrl: "http://proxy:3128", skipTLSVerify: true });
    expect(data.users[0]?.keyData).toBe("a2V5");
  });
});

test("KUBECONFIG merge: first definition of each name and first current-context win", () => {
  const a = parseKubeconfig(stringify({ clusters: [{ name: "x", cluster: { server: "https://a" } }], users: [], contexts: [] }));
  const b = parseKubeconfig(stringify({ "current-context": "ctx", clusters: [{ name: "x", cluster: { server: "https://b" } }, { name: "y", cluster: { server: "https://y" } }], users: [{ name: "u", user: {} }], contexts: [{ name: "ctx", context: { cluster: "y" } }] }));
  const c = parseKubeconfig(stringify({ "current-context": "other", contexts: [{ name: "ctx", context: { cluster: "x" } }] }));
  const merged = mergeKubeconfigs([a, b, c]);
  expect(merged.clusters.map((x) => x.server)).toEqual(["https://a", "https://y"]);
  expect(merged.users.map((x) => x.name)).toEqual(["u"]);
  expect(merged.contexts.map((x) => [x.name, x.cluster])).toEqual([["ctx", "y"]]);
  expect(merged.currentContext).toBe("ctx");
});

describe("credentials", () => {
  test("token-file is re-read when the file is replaced; with a token beside it the file wins, the token is its fallback (kubectl's rule)", async () => {
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { "token-file": "token" }));
    const tokenPath = join(path, "..", "token");
    writeFileSync(tokenPath, "one\n");
    const transport = createTransport(loadKubeConfig({ kubeconfig: path, env: {} }));
    const auth = async () => ((await (await transport.request("/x")).json()) as { auth: string }).auth;
    expect(await auth()).toBe("Bearer one");
    writeFileSync(`${tokenPath}.new`, "two");
    renameSync(`${tokenPath}.new`, tokenPath);
    expect(await auth()).toBe("Bearer two");
    const both = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { token: "static", "token-file": tokenPath }));
    expect((await headersOf(both)).auth).toBe("Bearer two");
    const unreadable = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { token: "static", tokenFile: join(tokenPath, "..", "missing") }));
    expect((await headersOf(unreadable)).auth).toBe("Bearer static");
  });

  test("kubectl's key tokenFile is read (relative to the kubeconfig) and re-read after rotation, not dropped", async () => {
    // client-go spells it tokenFile; client-node only knew token-file, so this user used to go out anonymous.
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { tokenFile: "sa/token" }));
    const tokenPath = join(path, "..", "sa", "token");
    mkdirSync(join(path, "..", "sa"));
    writeFileSync(tokenPath, "first\n");
    const loaded = loadKubeConfig({ kubeconfig: path, env: {} });
    expect(loaded.getCurrentUser()?.tokenFile).toBe(tokenPath);
    const transport = createTransport(loaded);
    const auth = async () => ((await (await transport.request("/x")).json()) as { auth: string }).auth;
    expect(await auth()).toBe("Bearer first");
    writeFileSync(`${tokenPath}.new`, "rotated");
    renameSync(`${tokenPath}.new`, tokenPath);
    expect(await auth()).toBe("Bearer rotated");
  });

  test("a missing token-file is a CONFIG error naming the file and the user", async () => {
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { "token-file": "nope" }));
    const err = await asyncConfigError(createTransport(loadKubeConfig({ kubeconfig: path, env: {} })).request("/x"));
    expect(err.message).toStartWith(`Cannot read the token file "${join(path, "..", "nope")}" of user "u": ENOENT`);
  });

  test("a missing certificate-authority file names the field, the file and the cluster", async () => {
    const path = write(single({ server: echoUrl, "certificate-authority": "/nonexistent/ca.crt" }, { token: "t" }));
    const err = await asyncConfigError(createTransport(loadKubeConfig({ kubeconfig: path, env: {} })).request("/x"));
    expect(err.message).toStartWith('Cannot read the certificate-authority file "/nonexistent/ca.crt" of cluster "c" (context "c"): ENOENT');
  });

  test("username/password is basic auth; `as` sets Impersonate-User", async () => {
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { username: "alice", password: "s3cret", as: "bob" }));
    expect(await headersOf(path)).toEqual({ auth: `Basic ${b64("alice:s3cret")}`, impersonate: "bob" });
    const both = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { username: "alice", password: "x", token: "t" }));
    const err = await asyncConfigError(headersOf(both));
    expect(err.message).toBe('The user "u" (context "c") sets both a token and username/password; use one');
  });

  test("tls-server-name verifies the server certificate against that name", async () => {
    const ok = write(single({ server: exampleUrl, "certificate-authority-data": b64(examplePki.ca.cert), "tls-server-name": "example.com" }, { token: "sni" }));
    expect((await headersOf(ok)).auth).toBe("Bearer sni");
    const without = write(single({ server: exampleUrl, "certificate-authority-data": b64(examplePki.ca.cert) }, { token: "sni" }));
    const err = await headersOf(without).then(
      () => undefined,
      (e: unknown) => e as KubeDevopsError,
    );
    expect(err?.code).toBe("TLS");
  });

  test("an exec plugin's client certificate and key are used for mTLS", async () => {
    const me = await pki.issue({ cn: "exec-cert" });
    const plugin = join(dir, "cert-plugin");
    const credential = { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { clientCertificateData: me.cert, clientKeyData: me.key } };
    writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(credential)}\nEOF\n`);
    chmodSync(plugin, 0o755);
    const path = write(single({ server: mtlsUrl, "certificate-authority-data": b64(pki.ca.cert) }, { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } }));
    expect((await headersOf(path)).auth).toBeNull();
  });

  test("an auth-provider client-node does not implement is a CONFIG error", async () => {
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, { "auth-provider": { name: "keystone", config: {} } }));
    const err = await asyncConfigError(headersOf(path));
    expect(err.message).toBe('The auth-provider "keystone" of user "u" (context "c") is not supported');
  });
});

describe("auth providers go to client-node, loaded only for them", () => {
  const oidcUser = (idToken: string) => ({ "auth-provider": { name: "oidc", config: { "client-id": "kube", "idp-issuer-url": "https://issuer.invalid", "id-token": idToken } } });

  test("an oidc user with a valid id-token sends it (no network to the issuer)", async () => {
    const token = unexpiredIdToken("alice");
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, oidcUser(token)));
    expect((await headersOf(path)).auth).toBe(`Bearer ${token}`);
  });

  // A fresh process: this test process has long since loaded client-node through other tests.
  async function loadedModules(user: Record<string, unknown>): Promise<{ auth: string | null; modules: string[] }> {
    const path = write(single({ server: echoUrl, "certificate-authority-data": b64(pki.ca.cert) }, user));
    const child = Bun.spawn(["bun", join(import.meta.dir, "fixtures", "loaded-modules.ts"), path], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) throw new Error(`loaded-modules.ts failed: ${err}`);
    return JSON.parse(out) as { auth: string | null; modules: string[] };
  }

  test("a token user never loads client-node's config.js, index.js or generated API", async () => {
    const { auth, modules } = await loadedModules({ token: "plain" });
    expect(auth).toBe("Bearer plain");
    expect(modules.sort()).toEqual(["dist/config_types.js", "dist/exec_auth.js"]);
  });

  test("an oidc user loads the full client-node on its first request", async () => {
    const token = unexpiredIdToken("bob");
    const { auth, modules } = await loadedModules(oidcUser(token));
    expect(auth).toBe(`Bearer ${token}`);
    expect(modules).toContain("dist/index.js");
    expect(modules).toContain("dist/config.js");
    expect(modules).toContain("dist/oidc_auth.js");
  });
});

test("client-node's main entry is imported nowhere but lazily, by auth-provider.ts", async () => {
  const root = join(import.meta.dir, "..", "..");
  const offenders: string[] = [];
  for (const dirName of ["cmd", "lib", "gen"]) {
    for await (const file of new Bun.Glob("**/*.ts").scan(join(root, dirName))) {
      const text = await Bun.file(join(root, dirName, file)).text();
      // `import ... from "@kubernetes/client-node"` or `import "@kubernetes/client-node"` (type-only imports are erased)
      if (/^import\s+(?!type\b)[^;]*?["']@kubernetes\/client-node["']/m.test(text)) offenders.push(`${dirName}/${file}`);
      if (text.includes('import("@kubernetes/client-node")') && `${dirName}/${file}` !== "lib/kube/auth-provider.ts") offenders.push(`${dirName}/${file} (dynamic)`);
    }
  }
  expect(offenders).toEqual([]);
});
