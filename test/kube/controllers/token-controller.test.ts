/**
 * The emulator's tokens controller: a `kubernetes.io/service-account-token` Secret gets a token
 * that authenticates as its ServiceAccount (real kubectl `auth whoami`), whichever of the two is
 * created first; other Secrets are left alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../emulator.ts";
import { fillTokenSecret } from "./token-controller.ts";

let emu: Emulator;
let kubeconfig: string;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "emu-tokens-"));
  kubeconfig = emu.writeKubeconfig(join(dir, "kubeconfig"));
  await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ops" } } as never);
});
afterAll(() => emu.stop());

const tokenSecret = (name: string, sa: string) => ({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name, annotations: { "kubernetes.io/service-account.name": sa } } });
const serviceAccount = (name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name } });

async function whoami(token: string): Promise<string> {
  const proc = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", mkdtempSync(join(dir, "c-")), "--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], { stdout: "pipe", stderr: "pipe" });
  return new Response(proc.stdout).text();
}

async function tokenOf(name: string): Promise<string> {
  await emu.settle();
  const data = (emu.store.get("secrets", "ops", name) as unknown as { data?: Record<string, string> }).data ?? {};
  return Buffer.from(data.token ?? "", "base64").toString();
}

describe("tokens controller", () => {
  test("a token Secret for an existing ServiceAccount gets a token that authenticates as it, with ca.crt and namespace", async () => {
    await emu.store.create("serviceaccounts", serviceAccount("reader") as never, { namespace: "ops" });
    await emu.store.create("secrets", tokenSecret("reader-token", "reader") as never, { namespace: "ops" });
    const token = await tokenOf("reader-token");
    expect(await whoami(token)).toBe("system:serviceaccount:ops:reader");
    const secret = emu.store.get("secrets", "ops", "reader-token") as unknown as { data: Record<string, string>; metadata: { annotations: Record<string, string> } };
    expect(Buffer.from(secret.data["ca.crt"] ?? "", "base64").toString()).toBe(emu.caPem);
    expect(Buffer.from(secret.data.namespace ?? "", "base64").toString()).toBe("ops");
    expect(secret.metadata.annotations["kubernetes.io/service-account.uid"]).toBe((emu.store.get("serviceaccounts", "ops", "reader") as { metadata: { uid: string } }).metadata.uid);
  });

  test("a Secret applied before its ServiceAccount is filled once the ServiceAccount exists", async () => {
    await emu.store.create("secrets", tokenSecret("late-token", "late") as never, { namespace: "ops" });
    expect(await tokenOf("late-token")).toBe("");
    await emu.store.create("serviceaccounts", serviceAccount("late") as never, { namespace: "ops" });
    expect(await whoami(await tokenOf("late-token"))).toBe("system:serviceaccount:ops:late");
  });

  test("other Secrets, and token Secrets already filled, need nothing", () => {
    const sa = { metadata: { name: "a", namespace: "ops", uid: "u1" } };
    const mint = () => "minted";
    expect(fillTokenSecret({ ...tokenSecret("s", "a"), type: "Opaque", metadata: { ...tokenSecret("s", "a").metadata, namespace: "ops" } }, sa, mint, "ca")).toBeUndefined();
    expect(fillTokenSecret({ ...tokenSecret("s", "a"), metadata: { ...tokenSecret("s", "a").metadata, namespace: "ops" }, data: { token: "x" } }, sa, mint, "ca")).toBeUndefined();
    expect(fillTokenSecret({ ...tokenSecret("s", "a"), metadata: { ...tokenSecret("s", "a").metadata, namespace: "ops" } }, undefined, mint, "ca")).toBeUndefined();
    expect(fillTokenSecret({ ...tokenSecret("s", "a"), metadata: { ...tokenSecret("s", "a").metadata, namespace: "ops" } }, sa, mint, "ca")?.data?.token).toBe(Buffer.from("minted").toString("base64"));
  });
});
