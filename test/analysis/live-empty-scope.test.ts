/**
 * Live `analyze` whose -n or -l leaves no pods: a missing namespace (a typo) or a selector that
 * matched none of the pods in scope refuses a gate (exit 2) and names the filter; an existing
 * namespace without pods only warns, as an empty -f input does. Pure verdicts first, then the
 * compiled binary against the API emulator over HTTPS.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeEmptyScope } from "../../lib/analysis/describe-empty-scope.ts";
import { CLI_ACCESS } from "../../lib/cli/access-review.ts";
import { startEmulator, type Emulator } from "../kube/emulator.ts";
import type { KubeObject } from "../kube/types.ts";
import { ensureBinary, ROOT, runBinaryAsync } from "../support/binary.ts";

setDefaultTimeout(60_000);

describe("describeEmptyScope", () => {
  test("a missing namespace, an unknown one and an unselected scope refuse a gate; an empty namespace or cluster does not", () => {
    expect(describeEmptyScope({ kind: "missing", namespace: "shopp" }, "-n shopp")).toEqual({ refuse: true, message: '-n shopp left nothing to score: namespace "shopp" not found' });
    expect(describeEmptyScope({ kind: "unknown", namespace: "shopp", reason: "forbidden" }, "-n shopp")).toEqual({
      refuse: true,
      message: '-n shopp left nothing to score: no pods in namespace "shopp", which may not exist (cannot get it: forbidden)',
    });
    expect(describeEmptyScope({ kind: "unselected", namespace: "shop" }, "-n shop -l tier=nope")).toEqual({ refuse: true, message: '-n shop -l tier=nope left nothing to score: namespace "shop" has pods, none of them selected' });
    expect(describeEmptyScope({ kind: "unselected", namespace: undefined }, "-l tier=nope").message).toBe("-l tier=nope left nothing to score: the cluster has pods, none of them selected");
    expect(describeEmptyScope({ kind: "empty", namespace: "quiet" }, "-n quiet")).toEqual({ refuse: false, message: '-n quiet found nothing to score: namespace "quiet" has no pods' });
    expect(describeEmptyScope({ kind: "empty", namespace: undefined }, "")).toEqual({ refuse: false, message: "found nothing to score: the cluster has no pods" });
  });

  test("a namespace name cannot smuggle control characters into the terminal", () => {
    expect(describeEmptyScope({ kind: "missing", namespace: "a\u001b[2Jb" }, "-n a\u001b[2Jb").message).toBe('-n a\\x1b[2Jb left nothing to score: namespace "a\\x1b[2Jb" not found');
  });

  test("check asks for get namespaces among the CLI's reads", () => {
    expect(CLI_ACCESS.some((c) => c.verb === "get" && c.group === "" && c.resource === "namespaces")).toBe(true);
  });
});

let emu: Emulator;
let kubeconfig: string;

beforeAll(async () => {
  const snapshot = Bun.YAML.parse(readFileSync(join(ROOT, "examples/cluster-snapshot.yaml"), "utf8")) as { items: KubeObject[] };
  emu = await startEmulator({ seed: [...snapshot.items, { apiVersion: "v1", kind: "Namespace", metadata: { name: "quiet" } } as KubeObject] });
  await emu.settle();
  kubeconfig = emu.writeKubeconfig(join(mkdtempSync(join(tmpdir(), "kd-live-empty-")), "kubeconfig"));
  ensureBinary();
});
afterAll(() => emu.stop());

/** The emulator shares this process: the binary runs asynchronously. */
const kd = (...args: string[]) => runBinaryAsync(["--kubeconfig", kubeconfig, ...args]);

describe("analyze live, -n or -l selecting no pods", () => {
  test("a mistyped -n with --min-score: exit 2, no report on stdout, the namespace named as not found", async () => {
    const r = await kd("analyze", "-n", "shopp", "--min-score", "95");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('error: --min-score 95 judged nothing: -n shopp left nothing to score: namespace "shopp" not found');
    expect(r.stderr).toContain("kubectl get namespaces");
  });

  test("a mistyped -n without a gate: exit 0 and a warning naming the filter", async () => {
    const r = await kd("analyze", "-n", "shopp", "-o", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary.total_pods).toBe(0);
    expect(r.stderr).toContain('-n shopp left nothing to score: namespace "shopp" not found');
    expect(r.stderr).not.toContain("error:");
  });

  test("an -l that matches no pod of a namespace that has some, or of the cluster: exit 2 with a gate", async () => {
    const inNamespace = await kd("analyze", "-n", "shop", "-l", "tier=nope", "--fail-on", "low");
    expect(inNamespace.code).toBe(2);
    expect(inNamespace.stderr).toContain('error: --fail-on low judged nothing: -n shop -l tier=nope left nothing to score: namespace "shop" has pods, none of them selected');
    const anywhere = await kd("analyze", "-l", "tier=nope", "--fail-on", "low", "--min-score", "95");
    expect(anywhere.code).toBe(2);
    expect(anywhere.stderr).toContain("error: --fail-on low and --min-score 95 judged nothing: -l tier=nope left nothing to score: the cluster has pods, none of them selected");
  });

  test("an existing namespace without pods is an empty input: a warning, and the gate judges the empty set (exit 0)", async () => {
    const r = await kd("analyze", "-n", "quiet", "--min-score", "95", "--fail-on", "low");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('-n quiet found nothing to score: namespace "quiet" has no pods');
    const selected = await kd("analyze", "-n", "quiet", "-l", "app=web", "--min-score", "95");
    expect(selected.code).toBe(0);
    expect(selected.stderr).toContain('-n quiet -l app=web found nothing to score: namespace "quiet" has no pods');
  });

  test("a system namespace: its pods are listed but never scored, so a gate judged nothing (exit 2, no report); without one, a warning", async () => {
    const gated = await kd("analyze", "-n", "kube-system", "--fail-on", "low");
    expect(gated.code).toBe(2);
    expect(gated.stdout).toBe("");
    expect(gated.stderr).toContain("error: --fail-on low judged nothing: -n kube-system left nothing to score: 2 pod(s) in system namespaces (kube-*, *-system,");
    const plain = await kd("analyze", "-n", "kube-system", "-o", "json");
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).skipped.systemNamespace).toBe(2);
    expect(plain.stderr).toContain("which analyze never scores");
  });

  test("an existing namespace with pods: gates judge as before, no warning", async () => {
    const pass = await kd("analyze", "-n", "payments", "--fail-on", "critical");
    expect(pass.stderr).toBe("");
    expect(pass.code).toBe(0);
    const fail = await kd("analyze", "-n", "shop", "--fail-on", "critical");
    expect(fail.code).toBe(3);
    expect(fail.stderr).not.toContain("judged nothing");
  });

  test("when the identity may not get namespaces, an empty -n refuses a gate without claiming either way", async () => {
    const saved = emu.hooks.authorize;
    emu.hooks.authorize = (a) => ({ allowed: !(a.resource === "namespaces" && a.verb === "get"), reason: "denied by test" });
    try {
      for (const ns of ["shopp", "quiet"]) {
        const r = await kd("analyze", "-n", ns, "--min-score", "95");
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`error: --min-score 95 judged nothing: -n ${ns} left nothing to score: no pods in namespace "${ns}", which may not exist (cannot get it: `);
        expect(r.stderr).not.toContain("not found");
      }
      const warned = await kd("analyze", "-n", "shopp");
      expect(warned.code).toBe(0);
      expect(warned.stderr).toContain('no pods in namespace "shopp", which may not exist');
    } finally {
      emu.hooks.authorize = saved;
    }
  });
});
