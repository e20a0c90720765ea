/**
 * `policy export | import | diff` end to end: the compiled binary against the API
 * emulator over HTTPS. export → import into an empty namespace → diff exits 0;
 * one edited field → diff exits 1 naming it; nothing is applied from a file
 * with any invalid document, duplicate target, or policy the server's dry run refuses.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { renderCrds } from "../../gen/crd.ts";
import { startEmulator } from "../kube/emulator.ts";
import { runBinaryAsync } from "../support/binary.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emu: Emulator;
const dir = mkdtempSync(join(tmpdir(), "kd-gitops-"));
const kubeconfig = join(dir, "kubeconfig");

function kd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBinaryAsync([...args, "--kubeconfig", kubeconfig]);
}

function policy(name: string, namespace: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: "devops.stochastic.io/v1", kind: "DevOpsPolicy", metadata: { name, namespace, ...extra }, spec };
}

/** One DevOpsPolicy document of 7 lines. */
function doc(name: string, namespace: string, specLine: string): string {
  return `apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  ${specLine}\n`;
}

beforeAll(async () => {
  emu = await startEmulator();
  emu.writeKubeconfig(kubeconfig);
  for (const crd of renderCrds()) await emu.store.create("customresourcedefinitions.apiextensions.k8s.io", crd as never);
  for (const ns of ["src", "dst", "empty", "other"]) await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await emu.store.create("devopspolicies.devops.stochastic.io", policy("strict", "src", { forbidLatestTag: true, maxRestartCount: 3, enforcementMode: "audit", severityOverrides: { latestTag: "critical" } }, { labels: { team: "payments" }, annotations: { owner: "sre", "kubectl.kubernetes.io/last-applied-configuration": "{}" } }) as never, { namespace: "src" });
  await emu.store.create("devopspolicies.devops.stochastic.io", policy("baseline", "src", { requireReadinessProbe: true }) as never, { namespace: "src" });
});

afterAll(async () => {
  await emu.stop();
});

describe("policy export", () => {
  test("prints clean, sorted YAML without server-set fields", async () => {
    const { code, stdout } = await kd(["policy", "export", "-n", "src"]);
    expect(code).toBe(0);
    expect(stdout.indexOf("name: baseline")).toBeLessThan(stdout.indexOf("name: strict"));
    for (const serverField of ["uid:", "resourceVersion:", "creationTimestamp:", "generation:", "managedFields", "status:", "last-applied-configuration"]) expect(stdout).not.toContain(serverField);
    expect(stdout).toContain("devops.stochastic.io/exported-from: src");
    expect(stdout).toContain("team: payments");
    expect((await kd(["policy", "export", "-n", "src"])).stdout).toBe(stdout);
  });

  test("an empty namespace gives empty stdout and a note on stderr", async () => {
    const { code, stdout, stderr } = await kd(["policy", "export", "-n", "empty"]);
    expect(code).toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toContain("No DevOpsPolicies found in namespace 'empty'");
  });

  test("a namespace that does not exist: empty stdout, exit 0 as kubectl, and stderr says the namespace is not there", async () => {
    const { code, stdout, stderr } = await kd(["policy", "export", "-n", "emtpy"]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: "" });
    expect(stderr).toContain('No DevOpsPolicies found in emtpy namespace: namespace "emtpy" not found');
  });
});

describe("policy import and diff", () => {
  test("export → import into an empty namespace → diff exits 0; one edit → diff exits 1 naming it", async () => {
    const file = join(dir, "policies.yaml");
    writeFileSync(file, (await kd(["policy", "export", "-n", "src"])).stdout);
    const imported = await kd(["policy", "import", file, "-n", "dst"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe("devopspolicy dst/baseline created\ndevopspolicy dst/strict created\n");
    const clean = await kd(["policy", "diff", file, "-n", "dst"]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe("[=] dst/baseline: no changes\n[=] dst/strict: no changes\n");
    expect((await kd(["policy", "import", file, "-n", "dst"])).stdout).toContain("devopspolicy dst/strict unchanged");

    writeFileSync(file, readFileSync(file, "utf8").replace("maxRestartCount: 3", "maxRestartCount: 5"));
    const drift = await kd(["policy", "diff", file, "-n", "dst"]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain("[~] dst/strict: differs\n  - spec.maxRestartCount: 3\n  + spec.maxRestartCount: 5\n");
    expect(drift.stderr).toContain("1 DevOpsPolicy differs");
  });

  test("diff reports labels, annotations and policies only in the cluster", async () => {
    await emu.store.create("devopspolicies.devops.stochastic.io", policy("p1", "other", { forbidLatestTag: true }, { labels: { env: "prod" } }) as never, { namespace: "other" });
    await emu.store.create("devopspolicies.devops.stochastic.io", policy("stray", "other", {}) as never, { namespace: "other" });
    const file = join(dir, "other.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: p1\n  namespace: other\n  labels:\n    env: staging\nspec:\n  forbidLatestTag: true\n");
    const { code, stdout } = await kd(["policy", "diff", file]);
    expect(code).toBe(1);
    expect(stdout).toContain('  - metadata.labels.env: "prod"\n  + metadata.labels.env: "staging"');
    expect(stdout).toContain("[-] other/stray: only in the cluster (not in the file)");
  });

  test("an invalid document stops the import before anything is applied, naming file:line and field", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, [
      "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: good\n  namespace: dst\nspec:\n  forbidLatestTag: true\n",
      "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: bad\n  namespace: dst\nspec:\n  maxRestartCount: lots\n",
    ].join("---\n"));
    const { code, stderr } = await kd(["policy", "import", file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:15: spec.maxRestartCount`);
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "good")).toThrow("not found");
  });

  test("--dry-run asks the server and persists nothing", async () => {
    const file = join(dir, "dry.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: dry\n  namespace: dst\nspec:\n  requireLivenessProbe: true\n");
    const { code, stdout } = await kd(["policy", "import", file, "--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toBe("devopspolicy dst/dry created (server dry run)\n");
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "dry")).toThrow("not found");
  });

  test("--dry-run of a changed policy says configured, judged on the spec (a dry run moves no resourceVersion)", async () => {
    const file = join(dir, "dry-change.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: baseline\n  namespace: dst\nspec:\n  requireReadinessProbe: true\n  forbidPendingDuration: 600\n");
    const { code, stdout } = await kd(["policy", "import", file, "--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toBe("devopspolicy dst/baseline configured (server dry run)\n");
    expect((emu.store.get("devopspolicies.devops.stochastic.io", "dst", "baseline") as unknown as { spec: Record<string, unknown> }).spec.forbidPendingDuration).toBeUndefined();
  });

  test("a field another field manager set, removed from the file, is named and the import exits 1 (it stays under server-side apply)", async () => {
    const file = join(dir, "takeover.yaml");
    await emu.store.create("devopspolicies.devops.stochastic.io", policy("handmade", "dst", { forbidLatestTag: true, requireReadinessProbe: true }) as never, { namespace: "dst" });
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: handmade\n  namespace: dst\nspec:\n  forbidLatestTag: true\n");
    const { code, stdout, stderr } = await kd(["policy", "import", file]);
    expect(code).toBe(1);
    expect(stdout).toBe("devopspolicy dst/handmade unchanged\n");
    expect(stderr).toContain("devopspolicy dst/handmade still differs from the file");
    expect(stderr).toContain("  - spec.requireReadinessProbe: true");
    expect(stderr).toContain("1 of 1 DevOpsPolicies still differ from the file after the import");
  });

  test("a Namespace then policies in it (kubectl apply -f creates it first): refused before any write, naming the namespace, file:lines and the fix", async () => {
    const file = join(dir, "with-namespace.yaml");
    writeFileSync(file, ["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n", doc("baseline", "team-a", "forbidLatestTag: true"), doc("probes", "team-a", "requireLivenessProbe: true")].join("---\n"));
    const { code, stdout, stderr } = await kd(["policy", "import", file]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toContain(
      `2 of 2 DevOpsPolicies failed the server dry run; nothing was applied:\n${file}:6: namespace "team-a" does not exist (devopspolicy team-a/baseline and 1 more policy of the file target it); the Namespace at ${file}:1 is not created by policy import: it imports DevOpsPolicies only`,
    );
    expect(stderr).toContain("kubectl create namespace team-a, or kubectl apply -f a file holding only the Namespace — then import the file again");
    expect(stderr).not.toContain("not found"); // not the server's bare 404, once per policy
    expect(() => emu.store.get("namespaces", undefined, "team-a")).toThrow("not found");
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "team-a", "baseline")).toThrow("not found");
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } });
    const again = await kd(["policy", "import", file]);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: "devopspolicy team-a/baseline created\ndevopspolicy team-a/probes created\n" });
  });

  test("a policy in a namespace that does not exist, without a Namespace in the file, is named with its file:line", async () => {
    const file = join(dir, "missing-ns.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: orphan\n  namespace: nowhere\nspec: {}\n");
    const { code, stderr } = await kd(["policy", "import", file, "--dry-run"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`1 of 1 DevOpsPolicies failed the server dry run:\n${file}:1: namespace "nowhere" does not exist (devopspolicy nowhere/orphan)\n`);
    expect(stderr).toContain("create the namespace first — kubectl create namespace nowhere");
  });

  test("nothing is applied when any policy fails the server's dry run (a missing namespace after a good one)", async () => {
    const file = join(dir, "half.yaml");
    writeFileSync(file, [doc("a1", "dst", "forbidLatestTag: true"), doc("b1", "ghost", "forbidLatestTag: true"), doc("c1", "dst", "forbidLatestTag: true")].join("---\n"));
    const { code, stdout, stderr } = await kd(["policy", "import", file]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${file}:9: namespace "ghost" does not exist (devopspolicy ghost/b1)`);
    expect(stderr).toContain("1 of 3 DevOpsPolicies failed the server dry run; nothing was applied");
    for (const name of ["a1", "c1"]) expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", name)).toThrow("not found");
    const dry = await kd(["policy", "import", file, "--dry-run"]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toBe("devopspolicy dst/a1 created (server dry run)\ndevopspolicy dst/c1 created (server dry run)\n");
    expect(dry.stderr).toContain("1 of 3 DevOpsPolicies failed the server dry run:\n");
  });

  test("a write that fails after every dry run passed (a race) stops the import, naming what was applied and what not", async () => {
    const file = join(dir, "race.yaml");
    writeFileSync(file, [doc("r1", "dst", "forbidLatestTag: true"), doc("r2", "dst", "forbidLatestTag: true"), doc("r3", "dst", "forbidLatestTag: true")].join("---\n"));
    // Admission that changes its mind between the dry run and the write, as a quota or a webhook can.
    emu.hooks.admit = async (a) => (a.name === "r2" && !a.dryRun ? { allowed: false, status: { code: 403, message: "quota exceeded" } } : { allowed: true });
    try {
      const { code, stdout, stderr } = await kd(["policy", "import", file]);
      expect(code).toBe(1);
      expect(stdout).toBe("devopspolicy dst/r1 created\n");
      expect(stderr).toMatch(/devopspolicy dst\/r2 failed: .*quota exceeded/);
      expect(stderr).toContain("Import stopped at devopspolicy dst/r2: applied 1 of 3 (dst/r1); not applied: dst/r2, dst/r3");
      expect(emu.store.get("devopspolicies.devops.stochastic.io", "dst", "r1")).toBeDefined();
      expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "r3")).toThrow("not found");
    } finally {
      delete emu.hooks.admit;
    }
  });

  test("two documents with one namespace/name target are refused before any write, naming both file:lines", async () => {
    const file = join(dir, "dup.yaml");
    writeFileSync(file, [doc("x", "dst", "forbidLatestTag: true"), doc("x", "dst", "requireLivenessProbe: true")].join("---\n"));
    const { code, stdout, stderr } = await kd(["policy", "import", file]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${file}:1 and ${file}:9 both target devopspolicy dst/x`);
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "x")).toThrow("not found");
    const diff = await kd(["policy", "diff", file]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toBe("");
    expect(diff.stderr).toContain(`${file}:1 and ${file}:9 both target devopspolicy dst/x`);
  });

  test("-n that puts two policies of different namespaces onto one target is refused", async () => {
    const file = join(dir, "dup-n.yaml");
    writeFileSync(file, [doc("y", "src", "forbidLatestTag: true"), doc("y", "other", "requireLivenessProbe: true")].join("---\n"));
    const { code, stderr } = await kd(["policy", "import", file, "-n", "dst"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`Duplicate DevOpsPolicy targets in ${file} (-n dst puts every policy into one namespace)`);
    expect(stderr).toContain(`${file}:1 and ${file}:9 both target devopspolicy dst/y`);
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "y")).toThrow("not found");
    expect((await kd(["policy", "import", file])).code).toBe(0); // without -n they are two policies
  });

  test("an empty file, binary garbage or a mistyped kind is an error, exit 1, with nothing applied (as kubectl apply: no objects passed)", async () => {
    const empty = join(dir, "empty.yaml");
    writeFileSync(empty, "");
    const none = await kd(["policy", "import", empty]);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 1, stdout: "" });
    expect(none.stderr).toContain(`${empty}: no DevOpsPolicy documents to import`);
    const garbage = join(dir, "garbage.bin");
    writeFileSync(garbage, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x0a]));
    const bin = await kd(["policy", "import", garbage]);
    expect(bin.code).toBe(1);
    expect(bin.stderr).toContain(`${garbage}:1:1: character U+007F is not allowed in YAML (is this a text file?)`);
    const typo = join(dir, "kind-typo.yaml");
    writeFileSync(typo, [doc("good-kind", "dst", "forbidLatestTag: true"), doc("typo-kind", "dst", "forbidLatestTag: true").replace("kind: DevOpsPolicy", "kind: DevopsPolicy")].join("---\n"));
    const kind = await kd(["policy", "import", typo]);
    expect({ code: kind.code, stdout: kind.stdout }).toEqual({ code: 1, stdout: "" });
    expect(kind.stderr).toContain(`${typo}:10: kind: unknown kind "DevopsPolicy" in devops.stochastic.io/v1 (did you mean DevOpsPolicy?)`);
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "good-kind")).toThrow("not found");
    expect((await kd(["policy", "diff", typo])).code).toBe(1);
  });

  test("a typo in a policy's metadata is an error naming file:line, not a silently dropped field", async () => {
    const file = join(dir, "meta-typo.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: labelled\n  namespace: dst\n  lables:\n    team: a\nspec: {}\n");
    const { code, stderr } = await kd(["policy", "import", file]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:6: metadata.lables: unknown field (did you mean labels?)`);
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "dst", "labelled")).toThrow("not found");
  });

  test("diff of a file with no policy: an error without -n, and with -n every policy of that namespace is drift", async () => {
    const empty = join(dir, "empty-diff.yaml");
    writeFileSync(empty, "");
    const bare = await kd(["policy", "diff", empty]);
    expect({ code: bare.code, stdout: bare.stdout }).toEqual({ code: 1, stdout: "" });
    expect(bare.stderr).toContain(`${empty}: no DevOpsPolicy documents to compare`);
    const scoped = await kd(["policy", "diff", empty, "-n", "src"]);
    expect(scoped.code).toBe(1);
    expect(scoped.stdout).toContain("[-] src/baseline: only in the cluster (not in the file)\n[-] src/strict: only in the cluster (not in the file)\n");
    expect(scoped.stdout.trim().split("\n").every((line) => line.startsWith("[-] src/"))).toBe(true);
  });

  test("a policy that names no namespace goes to the context's namespace, as kubectl apply puts it, and diff looks there", async () => {
    const config = parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string; contexts: Array<{ name: string; context: Record<string, string> }> };
    for (const c of config.contexts) if (c.name === config["current-context"]) c.context.namespace = "dst";
    const scoped = join(dir, "kubeconfig-dst");
    writeFileSync(scoped, stringify(config));
    const file = join(dir, "no-namespace.yaml");
    writeFileSync(file, "apiVersion: devops.stochastic.io/v1\nkind: DevOpsPolicy\nmetadata:\n  name: homeless\nspec:\n  forbidLatestTag: true\n");
    const imported = await runBinaryAsync(["policy", "import", file, "--kubeconfig", scoped]);
    expect({ code: imported.code, stdout: imported.stdout }).toEqual({ code: 0, stdout: "devopspolicy dst/homeless created\n" });
    expect(emu.store.get("devopspolicies.devops.stochastic.io", "dst", "homeless")).toBeDefined();
    expect(() => emu.store.get("devopspolicies.devops.stochastic.io", "default", "homeless")).toThrow("not found");
    const diff = await runBinaryAsync(["policy", "diff", file, "--kubeconfig", scoped]);
    expect(diff.stdout).toContain("[=] dst/homeless: no changes\n");
  });

  test("diff reads each namespace with one list, not a GET per policy (a file of thousands took minutes at the CLI's qps)", async () => {
    await emu.store.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bulk" } });
    const names = Array.from({ length: 30 }, (_, i) => `p${i}`);
    for (const n of names) await emu.store.create("devopspolicies.devops.stochastic.io", policy(n, "bulk", { forbidLatestTag: true }) as never, { namespace: "bulk" });
    const file = join(dir, "bulk.yaml");
    writeFileSync(file, names.map((n) => doc(n, "bulk", "forbidLatestTag: true")).join("---\n"));
    const verbs: string[] = [];
    emu.hooks.authorize = (attrs) => {
      if (attrs.resource === "devopspolicies") verbs.push(`${attrs.verb} ${attrs.namespace}`);
      return { allowed: true };
    };
    try {
      const { code, stdout } = await kd(["policy", "diff", file]);
      expect(code).toBe(0);
      expect(stdout.split("\n").filter((l) => l.startsWith("[=] bulk/")).length).toBe(30);
      expect(verbs).toEqual(["list bulk"]);
    } finally {
      delete emu.hooks.authorize;
    }
  });

  test("an unreadable file is an input error naming it", async () => {
    const { code, stderr } = await kd(["policy", "diff", join(dir, "nope.yaml")]);
    expect(code).toBe(1);
    expect(stderr).toContain("nope.yaml: cannot read: no such file");
  });
});
